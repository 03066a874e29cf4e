/**
 * The schema of the `aksml/config` annotation: its types, and one table naming every
 * integer setting with its Azure ML counterpart, its range and its default. The parser
 * (`serviceConfigParser.ts`), the defaults below and ModelWebservice's validation all
 * read the ranges and defaults from here, so each rule exists once.
 *
 * No dependencies, like the rest of `router/contract/`.
 */

/** Current schema version of the annotation. */
export const CONFIG_VERSION = 1;

export type AuthMode = "key" | "token" | "none";
export const AUTH_MODES: readonly AuthMode[] = ["key", "token", "none"];

export interface AutoscaleConfig {
  /** autoscale_enabled; default true unless numReplicas is set. */
  enabled: boolean;
  /** autoscale_min_replicas; default 1. */
  minReplicas: number;
  /** autoscale_max_replicas; default 10. */
  maxReplicas: number;
  /** autoscale_target_utilization (percent); default 70. */
  targetUtilization: number;
  /** autoscale_refresh_seconds; default 1. */
  refreshSeconds: number;
  /** How long demand must stay lower before scaling down (azureml-fe: about 1 minute); default 60. */
  scaleDownDelaySeconds: number;
}

export interface AuthConfig {
  /** key (auth_enabled, the default), token (token_auth_enabled) or none. */
  mode: AuthMode;
  /** Token mode: the expected `iss`. */
  issuer?: string;
  /** Token mode: the expected `aud` (for Entra ID v2.0 tokens, the application's client id). */
  audience?: string;
  /**
   * Token mode: other `aud` values accepted too (e.g. the application ID URI, which v1.0
   * tokens carry); at most MAX_ADDITIONAL_AUDIENCES.
   */
  additionalAudiences?: string[];
  /** Token mode: an app role the token's `roles` claim must hold (403 otherwise); default: none required. */
  requiredRole?: string;
  /** Token mode: where to fetch signing keys; default: OIDC discovery at `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
  /** Token mode: accepted JWS algorithms; default ["RS256"]. Never "none", never HS* (no shared secret exists). */
  algorithms: string[];
  /** Token mode, informational: the Azure region of the issuer (the seed's outage warning). */
  issuerRegion?: string;
}

export interface ServiceConfig {
  version: number;
  /** Name of the Deployment the router scales; default: the service name. */
  deployment: string;
  autoscale: AutoscaleConfig;
  /** num_replicas: fixed replica count when autoscale is off. */
  numReplicas?: number;
  auth: AuthConfig;
  /** scoring_timeout_ms; default 60000. A replica slower than this gets the caller a 504. */
  scoringTimeoutMs: number;
  /** replica_max_concurrent_requests; default 1. */
  maxConcurrentRequestsPerContainer: number;
  /** max_request_wait_time (ms); default 500. A request still queued after this gets 503. */
  maxRequestWaitTimeMs: number;
  /** Requests one router process queues for the service (aksml's own); default 100. One more gets 503 at once. */
  maxQueuedRequests: number;
  /** collect_model_data; default false. The router captures requests and responses itself (router/capture/). */
  collectModelData: boolean;
  /** How model data is captured when `collectModelData` is on (aksml's own; Azure ML v2's data collector has the same knobs). */
  dataCollection: DataCollectionConfig;
  /** enable_app_insights; default false. The router sends request and dependency telemetry for this service. */
  appInsightsEnabled: boolean;
  /** The service's models (name, version), named in captured records and their blob paths; default none. */
  models: ModelRef[];
}

/** One registered model of a service. */
export interface ModelRef {
  /** Azure ML model name ({@link MODEL_NAME_PATTERN}). */
  name: string;
  /** Azure ML model version, a positive integer. */
  version: number;
}

export interface DataCollectionConfig {
  /** Fraction of requests captured, 0 to 1; default 1 (every request). */
  sampleRate: number;
  /**
   * Largest request or response body recorded, in bytes (at most {@link MAX_CAPTURE_BODY_BYTES});
   * default 1 MiB. A larger body is recorded as truncated, with its size and without its content.
   */
  maxBodyBytes: number;
  /**
   * JSON paths whose values are replaced by `"[redacted]"` before a record leaves the router:
   * dot-separated keys, `*` for any key, arrays crossed implicitly (`data.*.ssn`, `$.customer.email`);
   * at most {@link MAX_REDACT_FIELDS}, each at most {@link MAX_REDACT_PATH_LENGTH} characters. Default none.
   */
  redactJsonFields: string[];
}

/** Azure ML model names: they become folder names (`azureml-models/<name>/`, `modeldata/<service>/<name>/`). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/** Most models one service lists (Azure ML: 1000 models per deployment). */
export const MAX_MODELS = 1000;
/** Largest model version (a 32-bit integer, as Azure ML's). */
export const MAX_MODEL_VERSION = 2_147_483_647;
/**
 * Largest `dataCollection.maxBodyBytes` (2 MiB): each captured exchange may hold twice this in the
 * router's capture buffer, and one record line must fit one 4 MiB append block.
 */
export const MAX_CAPTURE_BODY_BYTES = 2 * 1024 * 1024;
/** Most `dataCollection.redactJsonFields` entries. */
export const MAX_REDACT_FIELDS = 32;
/** Longest `dataCollection.redactJsonFields` entry, in characters. */
export const MAX_REDACT_PATH_LENGTH = 256;
/** Most segments in one redaction path. */
export const MAX_REDACT_PATH_SEGMENTS = 16;
/** One redaction path: optional `$.`, then dot-separated segments, each a key (no dot or whitespace) or `*`. */
export const REDACT_PATH_PATTERN = /^(\$\.)?[^.\s]+(\.[^.\s]+)*$/;

/** `dataCollection.*` integer settings. */
export const DATA_COLLECTION_SETTINGS = {
  maxBodyBytes: { min: 0, max: MAX_CAPTURE_BODY_BYTES, default: 1024 * 1024 },
} as const satisfies Record<
  Exclude<IntegerKeys<DataCollectionConfig>, "sampleRate">,
  IntegerSetting & { readonly default: number }
>;

/** `dataCollection.sampleRate`: a number from 0 to 1. */
export const SAMPLE_RATE_RANGE = { min: 0, max: 1, default: 1 } as const;

/** Most `auth.additionalAudiences` entries accepted. */
export const MAX_ADDITIONAL_AUDIENCES = 8;

export const ALLOWED_TOKEN_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/** An inclusive integer range. */
export interface IntegerRange {
  readonly min: number;
  readonly max?: number;
}

/** One integer setting of the annotation: every one has a maximum (a timer or a count the router must be able to hold). */
export interface IntegerSetting extends IntegerRange {
  readonly max: number;
  /** The `AksWebservice.deploy_configuration` name it mirrors; unset for aksml's own settings. */
  readonly azureMl?: string;
  /** Applied by the parser when the key is absent; unset when absence means something. */
  readonly default?: number;
}

/** The keys of `T` whose values are numbers. */
type IntegerKeys<T> = { [K in keyof T]-?: NonNullable<T[K]> extends number ? K : never }[keyof T];

/** Most replicas a service may ask for (numReplicas, autoscale.minReplicas/maxReplicas). */
export const MAX_REPLICAS = 1000;

/**
 * Top-level integer settings. `satisfies` makes a new integer field of ServiceConfig without a row fail to compile.
 * Durations stay far below 2^31-1 ms, past which Node timers fire after 1 ms.
 */
export const SERVICE_SETTINGS = {
  /** The parser reports a version above CONFIG_VERSION as "newer than this router understands". */
  version: { min: 1, max: CONFIG_VERSION, default: CONFIG_VERSION },
  numReplicas: { azureMl: "num_replicas", min: 1, max: MAX_REPLICAS },
  /** Up to 1 hour: the inference server's own default timeout. */
  scoringTimeoutMs: { azureMl: "scoring_timeout_ms", min: 1, max: 3_600_000, default: 60_000 },
  maxConcurrentRequestsPerContainer: { azureMl: "replica_max_concurrent_requests", min: 1, max: 1000, default: 1 },
  /** Up to 5 minutes. */
  maxRequestWaitTimeMs: { azureMl: "max_request_wait_time", min: 1, max: 300_000, default: 500 },
  /**
   * aksml's own (azureml-fe's queue had no length limit). 0: never queue. Each queued request
   * may hold a small body (up to 64 KiB) in the router's memory.
   */
  maxQueuedRequests: { min: 0, max: 10_000, default: 100 },
} as const satisfies Record<IntegerKeys<ServiceConfig>, IntegerSetting>;

/** `autoscale.*` integer settings, in the annotation's key order; every one has a default. */
export const AUTOSCALE_SETTINGS = {
  minReplicas: { azureMl: "autoscale_min_replicas", min: 1, max: MAX_REPLICAS, default: 1 },
  maxReplicas: { azureMl: "autoscale_max_replicas", min: 1, max: MAX_REPLICAS, default: 10 },
  targetUtilization: { azureMl: "autoscale_target_utilization", min: 1, max: 100, default: 70 },
  refreshSeconds: { azureMl: "autoscale_refresh_seconds", min: 1, max: 300, default: 1 },
  /** Up to 1 hour. */
  scaleDownDelaySeconds: { min: 0, max: 3600, default: 60 },
} as const satisfies Record<IntegerKeys<AutoscaleConfig>, IntegerSetting & { readonly default: number }>;

/** Every default the parser applies (Azure ML applied them server-side). */
export const SERVICE_CONFIG_DEFAULTS = {
  autoscale: {
    minReplicas: AUTOSCALE_SETTINGS.minReplicas.default,
    maxReplicas: AUTOSCALE_SETTINGS.maxReplicas.default,
    targetUtilization: AUTOSCALE_SETTINGS.targetUtilization.default,
    refreshSeconds: AUTOSCALE_SETTINGS.refreshSeconds.default,
    scaleDownDelaySeconds: AUTOSCALE_SETTINGS.scaleDownDelaySeconds.default,
  },
  auth: { mode: "key" as AuthMode, algorithms: ["RS256"] },
  scoringTimeoutMs: SERVICE_SETTINGS.scoringTimeoutMs.default,
  maxConcurrentRequestsPerContainer: SERVICE_SETTINGS.maxConcurrentRequestsPerContainer.default,
  maxRequestWaitTimeMs: SERVICE_SETTINGS.maxRequestWaitTimeMs.default,
  maxQueuedRequests: SERVICE_SETTINGS.maxQueuedRequests.default,
  collectModelData: false,
  dataCollection: {
    sampleRate: SAMPLE_RATE_RANGE.default,
    maxBodyBytes: DATA_COLLECTION_SETTINGS.maxBodyBytes.default,
    redactJsonFields: [] as readonly string[],
  },
  appInsightsEnabled: false,
} as const;

/**
 * The range rule itself: why `v` is not an integer inside `range`, in the parser's words
 * ("must be an integer", "must be >= 1", "must be <= 100"), or undefined when it is.
 */
export function integerRangeProblem(range: IntegerRange, v: unknown): string | undefined {
  if (typeof v !== "number" || !Number.isInteger(v)) return `must be an integer, got ${JSON.stringify(v)}`;
  if (v < range.min) return `must be >= ${range.min}, got ${v}`;
  if (range.max !== undefined && v > range.max) return `must be <= ${range.max}, got ${v}`;
  return undefined;
}

/** The range in words, for messages that state the whole rule: "a positive integer", "an integer between 1 and 100". */
export function describeIntegerRange(range: IntegerRange): string {
  if (range.max !== undefined) return `an integer between ${range.min} and ${range.max}`;
  if (range.min === 1) return "a positive integer";
  return `an integer >= ${range.min}`;
}
