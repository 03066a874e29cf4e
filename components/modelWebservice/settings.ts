/**
 * What each ModelWebservice arg is, in one table the compiler holds complete: a new arg
 * without a role fails to compile, so no setting can be forgotten on the way to the
 * Kubernetes objects or the `aksml/config` annotation. The settings type, the values
 * re-validated once known, and the router-enforced ranges all derive from it.
 */
import type * as pulumi from "@pulumi/pulumi";
import { AUTOSCALE_SETTINGS, SERVICE_SETTINGS, type IntegerSetting } from "../../router/contract/serviceConfig.js";
import type { AutoscaleArgs, ModelWebserviceArgs } from "./args.js";

/**
 * - `router`: a setting the router enforces (written into the `aksml/config` annotation).
 * - `pod`: a setting of the model pods (resources, probe, namespace, environment).
 * - `label`: used as given, and re-validated once known (tags become Deployment labels).
 * - `input`: handed to a resource as an Input (connections, image, keys, description).
 * - `plain`: must be known when the program runs (it decides a content hash).
 *
 * `router` and `pod` args are the settings: resolved with Azure ML's defaults into
 * ModelWebserviceSettings and, like `label` args, validated again once their Outputs resolve.
 */
export type ModelWebserviceArgRole = "router" | "pod" | "label" | "input" | "plain";

export const MODEL_WEBSERVICE_ARG_ROLES = {
  cluster: "input",
  router: "input",
  models: "plain",
  inferenceConfig: "plain",
  image: "input",
  registryCredentials: "input",
  cpuCores: "pod",
  memoryGb: "pod",
  cpuCoresLimit: "pod",
  memoryGbLimit: "pod",
  gpuCores: "pod",
  autoscale: "router",
  numReplicas: "router",
  authEnabled: "router",
  tokenAuthEnabled: "router",
  tokenIssuer: "router",
  tokenAudience: "router",
  tokenJwksUri: "router",
  tokenRequiredRole: "router",
  scoringTimeoutMs: "router",
  replicaMaxConcurrentRequests: "router",
  maxRequestWaitTimeMs: "router",
  maxQueuedRequests: "router",
  livenessProbe: "pod",
  readinessProbe: "pod",
  startupProbe: "pod",
  modelCache: "pod",
  namespace: "pod",
  enableAppInsights: "router",
  appInsightsConnectionString: "input",
  appInsightsKey: "input",
  collectModelData: "router",
  dataCollection: "router",
  primaryKey: "input",
  secondaryKey: "input",
  keyRotation: "plain",
  tags: "label",
  description: "input",
} as const satisfies Record<keyof ModelWebserviceArgs, ModelWebserviceArgRole>;

type Roles = typeof MODEL_WEBSERVICE_ARG_ROLES;
/** The args whose role is one of `R`. */
export type ArgsWithRole<R extends ModelWebserviceArgRole> = {
  [K in keyof Roles]: Roles[K] extends R ? K : never;
}[keyof Roles];

/** The settings: the args resolved into ModelWebserviceSettings. */
export type SettingKey = ArgsWithRole<"router" | "pod">;
/** The settings as plain values (what `resolveModelWebserviceSettings` takes). */
export type ModelWebserviceSettingsInput = pulumi.Unwrap<Pick<ModelWebserviceArgs, SettingKey>>;
/** The args validated again once their Outputs resolve. */
export type CheckedWhenKnownKey = ArgsWithRole<"router" | "pod" | "label">;

const CHECKED_WHEN_KNOWN = (Object.keys(MODEL_WEBSERVICE_ARG_ROLES) as (keyof Roles)[]).filter(
  (k): k is CheckedWhenKnownKey =>
    MODEL_WEBSERVICE_ARG_ROLES[k] !== "input" && MODEL_WEBSERVICE_ARG_ROLES[k] !== "plain",
);

/** The args re-validated once known, picked from `args` (the settings and the tags). */
export function checkedWhenKnownArgs(args: ModelWebserviceArgs): Pick<ModelWebserviceArgs, CheckedWhenKnownKey> {
  return Object.fromEntries(CHECKED_WHEN_KNOWN.map((k) => [k, args[k]])) as Pick<
    ModelWebserviceArgs,
    CheckedWhenKnownKey
  >;
}

/** The args whose values are numbers. */
type NumberKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends pulumi.Input<number> ? K : never }[keyof T];

/**
 * The contract row (range) each router-enforced number arg obeys. A new `router` number
 * arg without a row fails to compile.
 */
export const ROUTER_INTEGER_ARGS = {
  numReplicas: SERVICE_SETTINGS.numReplicas,
  scoringTimeoutMs: SERVICE_SETTINGS.scoringTimeoutMs,
  replicaMaxConcurrentRequests: SERVICE_SETTINGS.maxConcurrentRequestsPerContainer,
  maxRequestWaitTimeMs: SERVICE_SETTINGS.maxRequestWaitTimeMs,
  maxQueuedRequests: SERVICE_SETTINGS.maxQueuedRequests,
} as const satisfies Record<Extract<ArgsWithRole<"router">, NumberKeys<ModelWebserviceArgs>>, IntegerSetting>;

/** The contract row each `autoscale.*` number obeys, in the args' order. A new one without a row fails to compile. */
export const AUTOSCALE_INTEGER_ARGS = {
  minReplicas: AUTOSCALE_SETTINGS.minReplicas,
  maxReplicas: AUTOSCALE_SETTINGS.maxReplicas,
  refreshSeconds: AUTOSCALE_SETTINGS.refreshSeconds,
  targetUtilization: AUTOSCALE_SETTINGS.targetUtilization,
} as const satisfies Record<NumberKeys<AutoscaleArgs>, IntegerSetting & { readonly default: number }>;
