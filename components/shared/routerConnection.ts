/**
 * What AzuremlFe hands to the ModelWebservices behind it (`AzuremlFe.connection`). A flat
 * interface of Inputs, so it can be filled by hand for a router deployed elsewhere.
 */
import type * as pulumi from "@pulumi/pulumi";

/** What a ModelWebservice needs from the router (`AzuremlFe.connection`). */
export interface RouterConnectionArgs {
  /** Base URL of the router, e.g. `http://20.1.2.3` or `https://ml.example.com`. Required. */
  readonly endpoint: pulumi.Input<string>;
  /** The router image; model pods run its `fetch-model` subcommand as init container. Required. */
  readonly image: pulumi.Input<string>;
  /** The router's namespace: model pods admit traffic from its router pods only (NetworkPolicy). Required. */
  readonly namespace: pulumi.Input<string>;
  /**
   * The namespaces the router serves (AzuremlFe `serviceNamespaces`): a ModelWebservice in
   * any other namespace would never be discovered, so its validation refuses it. Required.
   */
  readonly serviceNamespaces: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The router's Application Insights connection string (AzuremlFe
   * `appInsightsConnectionString`), the default of a ModelWebservice's with
   * `enableAppInsights`. Secret. @default none
   */
  readonly appInsightsConnectionString?: pulumi.Input<string>;
}
