/**
 * The properties Pulumi must treat as secrets, by schema location. Pulumi's component
 * schema analyzer never marks anything `secret` (it sees `Output<string>`, not that the
 * value is wrapped in `pulumi.secret`), so the generated schema is post-processed with
 * this list; SDKs generated from it then keep these values secret in every language.
 * test/schema/schema.test.ts checks the output list against what the components really
 * return under Pulumi's mocks, so it cannot drift from the code.
 */

/** Outputs each component returns as `pulumi.secret`. */
export const SECRET_OUTPUTS = {
  AksInferenceCluster: ["kubeconfig"],
  ModelWebservice: ["primaryKey", "secondaryKey"],
  ContainerInsights: ["appInsightsConnectionString"],
  ModelEndpoint: ["primaryKey", "secondaryKey"],
} as const satisfies Record<string, readonly string[]>;

/** Inputs that are credentials or keys, per component. */
export const SECRET_INPUTS = {
  ModelWebservice: ["primaryKey", "secondaryKey", "appInsightsKey", "appInsightsConnectionString"],
  AzuremlFe: ["appInsightsConnectionString"],
  ModelEndpoint: ["primaryKey", "secondaryKey"],
} as const satisfies Record<string, readonly string[]>;

/** Fields of argument and output types that hold credentials, keys or private keys. */
export const SECRET_TYPE_FIELDS = {
  ClusterConnectionArgs: ["sslCertPem", "sslKeyPem"],
  AksTlsArgs: ["sslCertPem", "sslKeyPem"],
  RegistryCredentialsArgs: ["password"],
  RegistryPushCredentialsArgs: ["password"],
  RouterConnectionArgs: ["appInsightsConnectionString"],
  ModelEndpointVersionArgs: ["appInsightsKey", "appInsightsConnectionString"],
} as const satisfies Record<string, readonly string[]>;
