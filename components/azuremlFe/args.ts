import type * as pulumi from "@pulumi/pulumi";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";

/** Router log levels (pino). */
export const RouterLogLevel = {
  Debug: "debug",
  Info: "info",
  Warn: "warn",
  Error: "error",
} as const;
export type RouterLogLevel = (typeof RouterLogLevel)[keyof typeof RouterLogLevel];

/** An A record for the router's IP in an existing Azure DNS zone. */
export interface RouterDnsRecordArgs {
  /** Resource group of the DNS zone. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** The zone, e.g. `ml.example.com`. */
  readonly zoneName: pulumi.Input<string>;
  /** Record name relative to the zone, e.g. `scoring`. */
  readonly relativeRecordSetName: pulumi.Input<string>;
  /**
   * Time to live of the record, in seconds.
   * @default 300
   */
  readonly ttl?: pulumi.Input<number>;
}

/** Credentials for pushing the router image (e.g. an ACR token or a service principal). */
export interface RegistryCredentialsArgs {
  /** User name (an ACR token name or a service principal's client id). */
  readonly username: pulumi.Input<string>;
  /** Stored as a secret. */
  readonly password: pulumi.Input<string>;
}

export interface AzuremlFeArgs {
  /** What the cluster hands over (`AksInferenceCluster.connection`). */
  readonly cluster: ClusterConnectionArgs;
  /**
   * Namespace created for the router. Azure ML installs azureml-fe in `azureml`.
   * @default "azureml"
   */
  readonly namespace?: pulumi.Input<string>;
  /**
   * A prebuilt router image reference (ideally `repo@sha256:...`). When set nothing is
   * built; otherwise the image is built from this repository (`router/Dockerfile`) and
   * pushed to the cluster's ACR.
   */
  readonly image?: pulumi.Input<string>;
  /**
   * Credentials to push the built image. Without them the build uses the Docker
   * credential store of the machine running Pulumi (`az acr login --name <acr>`), so the
   * ACR admin user can stay disabled. Ignored when `image` is set.
   */
  readonly registryCredentials?: RegistryCredentialsArgs;
  /**
   * Router replicas. azureml-fe-v2 runs 3 (`inferenceRouterHA`), 1 without HA.
   * @default 3, or 1 on a DevTest cluster
   */
  readonly replicas?: pulumi.Input<number>;
  /**
   * Largest accepted request body in bytes (`AKSML_MAX_REQUEST_BYTES`); azureml-fe's limit is 100 MB.
   * @default 104857600
   */
  readonly maxRequestBytes?: pulumi.Input<number>;
  /**
   * Log level of the router (`AKSML_LOG_LEVEL`).
   * @default "info"
   */
  readonly logLevel?: pulumi.Input<RouterLogLevel>;
  /** Optional A record pointing at the router's load balancer IP. */
  readonly dnsRecord?: RouterDnsRecordArgs;
}
