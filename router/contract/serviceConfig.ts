/**
 * The router contract: what ModelWebservice writes into the `aksml/config`
 * annotation of a model Service, and what the router enforces.
 *
 * Both halves import this module (the component to build the JSON, the router to
 * parse it), so they cannot drift apart. It has no dependencies on purpose: the
 * router image ships it without Pulumi.
 *
 * Defaults mirror `AksWebservice.deploy_configuration` (Azure ML v1); the service
 * applied them server-side, here the parser applies them and says so. The schema
 * (types, and the table of every setting's range and default) is in
 * `serviceConfigSchema.ts`, the parser in `serviceConfigParser.ts`; this module is the
 * entry both halves import.
 */
import type { ServiceConfig } from "./serviceConfigSchema.js";

export * from "./serviceConfigSchema.js";
export * from "./serviceConfigParser.js";
export * from "./serviceKeys.js";

/** Label on every model Service (and its Deployment/pods): `aksml/webservice: <name>`. */
export const WEBSERVICE_LABEL = "aksml/webservice";
/** Annotation on the model Service holding the JSON of {@link ServiceConfig}. */
export const CONFIG_ANNOTATION = "aksml/config";
/** Suffix of the Secret holding `primaryKey` and `secondaryKey`: `<name>-keys`. */
export const KEYS_SECRET_SUFFIX = "-keys";
/** Container port of every model replica (the Azure ML inference server's default). */
export const MODEL_CONTAINER_PORT = 5001;
/** Largest request body the router accepts (azureml-fe: 100 MB; nginx client_max_body_size 100m). */
export const MAX_REQUEST_BYTES = 100 * 1024 * 1024;

/** Builds the annotation value; the inverse of {@link parseServiceConfig}. Stable key order. */
export function serializeServiceConfig(config: ServiceConfig): string {
  const auth: Record<string, unknown> = { mode: config.auth.mode };
  if (config.auth.mode === "token") {
    for (const k of ["issuer", "audience", "additionalAudiences", "requiredRole", "jwksUri", "issuerRegion"] as const)
      if (config.auth[k] !== undefined) auth[k] = config.auth[k];
    auth.algorithms = config.auth.algorithms;
  }
  // Every key of ServiceConfig, in the annotation's order: a new field cannot be left out
  // (the type says so). JSON.stringify drops an unset numReplicas.
  const out: { [K in keyof ServiceConfig]-?: unknown } = {
    version: config.version,
    deployment: config.deployment,
    autoscale: config.autoscale,
    numReplicas: config.numReplicas,
    auth,
    scoringTimeoutMs: config.scoringTimeoutMs,
    maxConcurrentRequestsPerContainer: config.maxConcurrentRequestsPerContainer,
    maxRequestWaitTimeMs: config.maxRequestWaitTimeMs,
    maxQueuedRequests: config.maxQueuedRequests,
    collectModelData: config.collectModelData,
    dataCollection: config.dataCollection,
    appInsightsEnabled: config.appInsightsEnabled,
    models: config.models,
  };
  return JSON.stringify(out);
}
