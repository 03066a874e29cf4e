/**
 * The endpoint contract: several versions of a model behind one scoring URI (Azure ML
 * v1's `AksEndpoint`), what ModelEndpoint writes into the `aksml/endpoint-config`
 * annotation of the endpoint's Service and what the router enforces: the traffic split,
 * the default version that takes the traffic nobody else is given, the control version,
 * mirrored (shadow) traffic and an optional rollout plan the router's scaling leader
 * carries out. Both halves import this module, so they cannot drift apart; no
 * dependencies, like the rest of `router/contract/`.
 *
 * The endpoint's Service (no selector: it fronts no pods itself) is labelled
 * `aksml/endpoint: <name>` in a namespace the router watches; its keys are the Secret
 * `<name>-keys` labelled the same way. Each version is a model service (a
 * ModelWebservice) with its own name and URI. The live state of a rollout is never in
 * the annotation (Pulumi owns that): the router keeps it in the ConfigMap
 * `<name>-rollout`, which no stack declares.
 */
import type { AuthConfig, IntegerSetting } from "./serviceConfigSchema.js";

/** Label on the endpoint's Service and keys Secret: `aksml/endpoint: <name>`. */
export const ENDPOINT_LABEL = "aksml/endpoint";
/** Annotation on the endpoint's Service holding the JSON of {@link EndpointConfig}. */
export const ENDPOINT_CONFIG_ANNOTATION = "aksml/endpoint-config";
/** Label on the ConfigMap holding a rollout's live state: `aksml/rollout-of: <endpoint>`. */
export const ROLLOUT_LABEL = "aksml/rollout-of";
/** Suffix of that ConfigMap's name: `<endpoint>-rollout`. */
export const ROLLOUT_CONFIGMAP_SUFFIX = "-rollout";
/** The ConfigMap key holding the live state's JSON. */
export const ROLLOUT_STATE_KEY = "state.json";
/**
 * Request header pinning a version (Azure ML v2's `azureml-model-deployment`), and the
 * response header naming the version that served a request.
 */
export const DEPLOYMENT_HEADER = "azureml-model-deployment";
/** Current schema version of the annotation. */
export const ENDPOINT_CONFIG_VERSION = 1;
/** Versions behind one endpoint (Azure ML v1's controlled rollout: "up to 6 versions"). */
export const MAX_ENDPOINT_VERSIONS = 6;
/** Steps one rollout plan may have. */
export const MAX_ROLLOUT_STEPS = 10;
/** Version names: lowercase letters, digits and "-", starting with a letter (they end up in service names and headers). */
export const VERSION_NAME_PATTERN = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** One version behind an endpoint. */
export interface EndpointVersionConfig {
  /** `version_name`. */
  version: string;
  /** The model service serving this version (its own URI stays `/api/v1/service/<service>/score`). */
  service: string;
  /** `traffic_percentile`: the share of the endpoint's requests it gets; default 0. */
  trafficPercentile: number;
  /** `is_default`: takes the traffic no other version is given. Exactly one version is the default. */
  isDefault: boolean;
  /** `is_control_version_type`: the control a rollout's new version is compared with; at most one. */
  isControlVersion: boolean;
  /**
   * Azure ML v2's `mirror_traffic`: it also receives a copy of this share of the
   * endpoint's requests (answers discarded); at most 50; default 0.
   */
  mirrorPercentile: number;
}

/**
 * An automatic canary rollout of `version` against the control version: its share of
 * the traffic the two hold together goes through `steps`; the router's scaling leader
 * advances a step every `intervalSeconds` while the new version's error rate and p99
 * latency stay within the thresholds against the control's, and rolls it back to 0 %
 * the moment one is crossed (once `minRequests` of the new version have been measured).
 */
export interface RolloutPlanConfig {
  /** The new (treatment) version being rolled out; not the control. */
  version: string;
  /** Its share of the control+new traffic at each step, in percent: increasing, the last 100. */
  steps: number[];
  /** How long each step is watched before the next; default 300. */
  intervalSeconds: number;
  /** Percentage points by which its 5xx rate may exceed the control's; default 1. */
  maxErrorRateIncreasePercent: number;
  /** Percent by which its p99 latency may exceed the control's; default 50. */
  maxP99LatencyIncreasePercent: number;
  /** Requests of the new version measured in a step before it is judged; default 100. */
  minRequests: number;
}

export interface EndpointConfig {
  version: number;
  /** As a service's `auth`: key (the `<name>-keys` Secret), token or none. */
  auth: AuthConfig;
  /** 1 to {@link MAX_ENDPOINT_VERSIONS} versions. */
  versions: EndpointVersionConfig[];
  rollout?: RolloutPlanConfig;
}

/** Integer settings of a version, with their Azure ML names and defaults. */
export const ENDPOINT_VERSION_SETTINGS = {
  trafficPercentile: { azureMl: "traffic_percentile", min: 0, max: 100, default: 0 },
  /** Azure ML v2 caps mirrored traffic at 50 %. */
  mirrorPercentile: { azureMl: "mirror_traffic", min: 0, max: 50, default: 0 },
} as const satisfies Record<string, IntegerSetting & { readonly default: number }>;

/** Integer settings of a rollout plan (aksml's own: no peer has them). */
export const ROLLOUT_SETTINGS = {
  /** Up to a day per step. */
  intervalSeconds: { min: 1, max: 86_400, default: 300 },
  maxErrorRateIncreasePercent: { min: 0, max: 100, default: 1 },
  maxP99LatencyIncreasePercent: { min: 0, max: 1000, default: 50 },
  minRequests: { min: 1, max: 1_000_000, default: 100 },
} as const satisfies Record<string, IntegerSetting & { readonly default: number }>;

/** A rollout step: a percentage. */
export const ROLLOUT_STEP_RANGE = { min: 1, max: 100 } as const;

/** Builds the annotation value; the inverse of `parseEndpointConfig`. Stable key order. */
export function serializeEndpointConfig(config: EndpointConfig): string {
  const auth: Record<string, unknown> = { mode: config.auth.mode };
  if (config.auth.mode === "token") {
    for (const k of ["issuer", "audience", "additionalAudiences", "requiredRole", "jwksUri", "issuerRegion"] as const)
      if (config.auth[k] !== undefined) auth[k] = config.auth[k];
    auth.algorithms = config.auth.algorithms;
  }
  const versions = config.versions.map((v): { [K in keyof EndpointVersionConfig]-?: unknown } => ({
    version: v.version,
    service: v.service,
    trafficPercentile: v.trafficPercentile,
    isDefault: v.isDefault,
    isControlVersion: v.isControlVersion,
    mirrorPercentile: v.mirrorPercentile,
  }));
  const r = config.rollout;
  const rollout: { [K in keyof RolloutPlanConfig]-?: unknown } | undefined = r && {
    version: r.version,
    steps: r.steps,
    intervalSeconds: r.intervalSeconds,
    maxErrorRateIncreasePercent: r.maxErrorRateIncreasePercent,
    maxP99LatencyIncreasePercent: r.maxP99LatencyIncreasePercent,
    minRequests: r.minRequests,
  };
  const out: { [K in keyof EndpointConfig]-?: unknown } = { version: config.version, auth, versions, rollout };
  return JSON.stringify(out);
}

/**
 * The static traffic split: each version's `trafficPercentile`, the default version
 * taking whatever the others leave (Azure ML: "traffic not assigned goes to the default
 * version"). Sums to 100 for a valid config.
 */
export function staticWeights(config: Pick<EndpointConfig, "versions">): Record<string, number> {
  const out: Record<string, number> = {};
  let assigned = 0;
  for (const v of config.versions)
    if (!v.isDefault) {
      out[v.version] = v.trafficPercentile;
      assigned += v.trafficPercentile;
    }
  for (const v of config.versions) if (v.isDefault) out[v.version] = Math.max(0, 100 - assigned);
  return out;
}
