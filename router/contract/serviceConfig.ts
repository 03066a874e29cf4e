/**
 * The router contract: what ModelWebservice writes into the `aksml/config`
 * annotation of a model Service, and what the router enforces.
 *
 * Both halves import this module (the component to build the JSON, the router to
 * parse it), so they cannot drift apart. It has no dependencies on purpose: the
 * router image ships it without Pulumi.
 *
 * Defaults mirror `AksWebservice.deploy_configuration` (Azure ML v1); the service
 * applied them server-side, here the parser applies them and says so.
 */

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
/** Current schema version of the annotation. */
export const CONFIG_VERSION = 1;

export type AuthMode = "key" | "token" | "none";

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
  /** Token mode: the expected `aud`. */
  audience?: string;
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
  /** collect_model_data; default false. */
  collectModelData: boolean;
}

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

export const SERVICE_CONFIG_DEFAULTS = {
  autoscale: { minReplicas: 1, maxReplicas: 10, targetUtilization: 70, refreshSeconds: 1, scaleDownDelaySeconds: 60 },
  auth: { mode: "key" as AuthMode, algorithms: ["RS256"] },
  scoringTimeoutMs: 60_000,
  maxConcurrentRequestsPerContainer: 1,
  maxRequestWaitTimeMs: 500,
  collectModelData: false,
} as const;

/** One problem with a config: the JSON path, and what is wrong with it. */
export interface ConfigProblem {
  path: string;
  reason: string;
}

export type ParseResult = { ok: true; config: ServiceConfig } | { ok: false; problems: ConfigProblem[] };

const KNOWN_TOP = new Set([
  "version",
  "deployment",
  "autoscale",
  "numReplicas",
  "auth",
  "scoringTimeoutMs",
  "maxConcurrentRequestsPerContainer",
  "maxRequestWaitTimeMs",
  "collectModelData",
]);
const KNOWN_AUTOSCALE = new Set([
  "enabled",
  "minReplicas",
  "maxReplicas",
  "targetUtilization",
  "refreshSeconds",
  "scaleDownDelaySeconds",
]);
const KNOWN_AUTH = new Set(["mode", "issuer", "audience", "jwksUri", "algorithms", "issuerRegion"]);

/**
 * Parses and validates the `aksml/config` annotation of service `serviceName`.
 * Accepts the JSON text or an already-parsed value. Every problem is collected;
 * nothing is silently dropped (unknown keys are problems too).
 */
export function parseServiceConfig(serviceName: string, input: unknown): ParseResult {
  const problems: ConfigProblem[] = [];
  let raw: unknown = input;
  if (typeof input === "string") {
    try {
      raw = JSON.parse(input);
    } catch (e) {
      return { ok: false, problems: [{ path: "$", reason: `not valid JSON (${(e as Error).message})` }] };
    }
  }
  if (!isObject(raw)) return { ok: false, problems: [{ path: "$", reason: "must be a JSON object" }] };

  unknownKeys(raw, KNOWN_TOP, "", problems);
  const version = optionalInt(raw, "version", "", problems, { min: 1 }) ?? CONFIG_VERSION;
  if (version > CONFIG_VERSION)
    problems.push({
      path: "version",
      reason: `schema version ${version} is newer than this router understands (${CONFIG_VERSION}); upgrade the router`,
    });
  const deployment = optionalString(raw, "deployment", "", problems) ?? serviceName;

  const numReplicas = optionalInt(raw, "numReplicas", "", problems, { min: 1 });
  const as = raw.autoscale === undefined ? {} : raw.autoscale;
  if (!isObject(as)) problems.push({ path: "autoscale", reason: "must be an object" });
  const asObj = isObject(as) ? as : {};
  unknownKeys(asObj, KNOWN_AUTOSCALE, "autoscale.", problems);
  const enabledGiven = optionalBool(asObj, "enabled", "autoscale.", problems);
  const enabled = enabledGiven ?? numReplicas === undefined;
  const d = SERVICE_CONFIG_DEFAULTS.autoscale;
  const autoscale: AutoscaleConfig = {
    enabled,
    minReplicas: optionalInt(asObj, "minReplicas", "autoscale.", problems, { min: 1 }) ?? d.minReplicas,
    maxReplicas: optionalInt(asObj, "maxReplicas", "autoscale.", problems, { min: 1 }) ?? d.maxReplicas,
    targetUtilization:
      optionalInt(asObj, "targetUtilization", "autoscale.", problems, { min: 1, max: 100 }) ?? d.targetUtilization,
    refreshSeconds: optionalInt(asObj, "refreshSeconds", "autoscale.", problems, { min: 1 }) ?? d.refreshSeconds,
    scaleDownDelaySeconds:
      optionalInt(asObj, "scaleDownDelaySeconds", "autoscale.", problems, { min: 0 }) ?? d.scaleDownDelaySeconds,
  };
  if (autoscale.minReplicas > autoscale.maxReplicas) {
    problems.push({
      path: "autoscale.minReplicas",
      reason: `(${autoscale.minReplicas}) must be <= autoscale.maxReplicas (${autoscale.maxReplicas})`,
    });
  }
  if (enabled && numReplicas !== undefined) {
    problems.push({
      path: "numReplicas",
      reason: "must not be set when autoscale.enabled is true (the router owns the replica count)",
    });
  }
  if (!enabled && numReplicas === undefined) {
    problems.push({ path: "numReplicas", reason: "is required when autoscale.enabled is false" });
  }

  const authRaw = raw.auth === undefined ? {} : raw.auth;
  if (!isObject(authRaw)) problems.push({ path: "auth", reason: "must be an object" });
  const authObj = isObject(authRaw) ? authRaw : {};
  unknownKeys(authObj, KNOWN_AUTH, "auth.", problems);
  const mode = (optionalString(authObj, "mode", "auth.", problems) ?? SERVICE_CONFIG_DEFAULTS.auth.mode) as AuthMode;
  if (!["key", "token", "none"].includes(mode))
    problems.push({ path: "auth.mode", reason: `must be "key", "token" or "none", got ${JSON.stringify(mode)}` });
  const algorithms = optionalStringArray(authObj, "algorithms", "auth.", problems) ?? [
    ...SERVICE_CONFIG_DEFAULTS.auth.algorithms,
  ];
  for (const alg of algorithms) {
    if (!(ALLOWED_TOKEN_ALGORITHMS as readonly string[]).includes(alg)) {
      problems.push({
        path: "auth.algorithms",
        reason: `${JSON.stringify(alg)} is not allowed; use asymmetric algorithms only (${ALLOWED_TOKEN_ALGORITHMS.join(", ")})`,
      });
    }
  }
  const auth: AuthConfig = {
    mode,
    issuer: optionalString(authObj, "issuer", "auth.", problems),
    audience: optionalString(authObj, "audience", "auth.", problems),
    jwksUri: optionalString(authObj, "jwksUri", "auth.", problems),
    algorithms,
    issuerRegion: optionalString(authObj, "issuerRegion", "auth.", problems),
  };
  if (mode === "token") {
    if (!auth.issuer) problems.push({ path: "auth.issuer", reason: 'is required when auth.mode is "token"' });
    if (!auth.audience) problems.push({ path: "auth.audience", reason: 'is required when auth.mode is "token"' });
    for (const key of ["issuer", "jwksUri"] as const) {
      const url = auth[key];
      if (url !== undefined && !isHttpUrl(url))
        problems.push({ path: `auth.${key}`, reason: `must be an http(s) URL, got ${JSON.stringify(url)}` });
    }
  }

  const config: ServiceConfig = {
    version,
    deployment,
    autoscale,
    numReplicas,
    auth,
    scoringTimeoutMs:
      optionalInt(raw, "scoringTimeoutMs", "", problems, { min: 1 }) ?? SERVICE_CONFIG_DEFAULTS.scoringTimeoutMs,
    maxConcurrentRequestsPerContainer:
      optionalInt(raw, "maxConcurrentRequestsPerContainer", "", problems, { min: 1 }) ??
      SERVICE_CONFIG_DEFAULTS.maxConcurrentRequestsPerContainer,
    maxRequestWaitTimeMs:
      optionalInt(raw, "maxRequestWaitTimeMs", "", problems, { min: 1 }) ??
      SERVICE_CONFIG_DEFAULTS.maxRequestWaitTimeMs,
    collectModelData: optionalBool(raw, "collectModelData", "", problems) ?? SERVICE_CONFIG_DEFAULTS.collectModelData,
  };
  return problems.length ? { ok: false, problems } : { ok: true, config };
}

/** Builds the annotation value; the inverse of {@link parseServiceConfig}. Stable key order. */
export function serializeServiceConfig(config: ServiceConfig): string {
  const auth: Record<string, unknown> = { mode: config.auth.mode };
  if (config.auth.mode === "token") {
    for (const k of ["issuer", "audience", "jwksUri", "issuerRegion"] as const)
      if (config.auth[k] !== undefined) auth[k] = config.auth[k];
    auth.algorithms = config.auth.algorithms;
  }
  const out: Record<string, unknown> = {
    version: config.version,
    deployment: config.deployment,
    autoscale: config.autoscale,
  };
  if (config.numReplicas !== undefined) out.numReplicas = config.numReplicas;
  Object.assign(out, {
    auth,
    scoringTimeoutMs: config.scoringTimeoutMs,
    maxConcurrentRequestsPerContainer: config.maxConcurrentRequestsPerContainer,
    maxRequestWaitTimeMs: config.maxRequestWaitTimeMs,
    collectModelData: config.collectModelData,
  });
  return JSON.stringify(out);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

function unknownKeys(
  obj: Record<string, unknown>,
  known: Set<string>,
  prefix: string,
  problems: ConfigProblem[],
): void {
  for (const k of Object.keys(obj)) {
    if (!known.has(k))
      problems.push({ path: `${prefix}${k}`, reason: `unknown key; expected one of ${[...known].join(", ")}` });
  }
}

function optionalInt(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  problems: ConfigProblem[],
  range: { min?: number; max?: number },
): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    problems.push({ path: `${prefix}${key}`, reason: `must be an integer, got ${JSON.stringify(v)}` });
    return undefined;
  }
  if (range.min !== undefined && v < range.min)
    problems.push({ path: `${prefix}${key}`, reason: `must be >= ${range.min}, got ${v}` });
  if (range.max !== undefined && v > range.max)
    problems.push({ path: `${prefix}${key}`, reason: `must be <= ${range.max}, got ${v}` });
  return v;
}

function optionalBool(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  problems: ConfigProblem[],
): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") {
    problems.push({ path: `${prefix}${key}`, reason: `must be true or false, got ${JSON.stringify(v)}` });
    return undefined;
  }
  return v;
}

function optionalString(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  problems: ConfigProblem[],
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.length === 0) {
    problems.push({ path: `${prefix}${key}`, reason: `must be a non-empty string, got ${JSON.stringify(v)}` });
    return undefined;
  }
  return v;
}

function optionalStringArray(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  problems: ConfigProblem[],
): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string")) {
    problems.push({
      path: `${prefix}${key}`,
      reason: `must be a non-empty array of strings, got ${JSON.stringify(v)}`,
    });
    return undefined;
  }
  return v as string[];
}
