/**
 * The router's half of the contract: parses and validates the `aksml/config`
 * annotation, applying every default. Ranges and defaults come from the schema table
 * (`serviceConfigSchema.ts`). No dependencies, like the rest of `router/contract/`.
 */
import {
  ALLOWED_TOKEN_ALGORITHMS,
  AUTH_MODES,
  AUTOSCALE_SETTINGS,
  CONFIG_VERSION,
  MAX_ADDITIONAL_AUDIENCES,
  SERVICE_CONFIG_DEFAULTS,
  SERVICE_SETTINGS,
  type AuthConfig,
  type AuthMode,
  type AutoscaleConfig,
  type ServiceConfig,
} from "./serviceConfigSchema.js";
import {
  type ConfigProblem,
  isHttpUrl,
  isObject,
  optionalBool,
  optionalInt,
  optionalString,
  optionalStringArray,
  unknownKeys,
} from "./configReaders.js";
import { parseDataCollection, parseModels } from "./dataCollectionParser.js";

export type { ConfigProblem } from "./configReaders.js";
export { redactPathProblem } from "./dataCollectionParser.js";

export type ParseResult = { ok: true; config: ServiceConfig } | { ok: false; problems: ConfigProblem[] };

// Every key of each object, as records the types hold complete, in the annotation's order.
const TOP_KEYS: Record<keyof ServiceConfig, true> = {
  version: true,
  deployment: true,
  autoscale: true,
  numReplicas: true,
  auth: true,
  scoringTimeoutMs: true,
  maxConcurrentRequestsPerContainer: true,
  maxRequestWaitTimeMs: true,
  maxQueuedRequests: true,
  collectModelData: true,
  dataCollection: true,
  appInsightsEnabled: true,
  models: true,
};
const AUTOSCALE_KEYS: Record<keyof AutoscaleConfig, true> = {
  enabled: true,
  minReplicas: true,
  maxReplicas: true,
  targetUtilization: true,
  refreshSeconds: true,
  scaleDownDelaySeconds: true,
};
const AUTH_KEYS: Record<keyof AuthConfig, true> = {
  mode: true,
  issuer: true,
  audience: true,
  additionalAudiences: true,
  requiredRole: true,
  jwksUri: true,
  algorithms: true,
  issuerRegion: true,
};
const KNOWN_TOP = new Set(Object.keys(TOP_KEYS));
const KNOWN_AUTOSCALE = new Set(Object.keys(AUTOSCALE_KEYS));
const KNOWN_AUTH = new Set(Object.keys(AUTH_KEYS));

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
  // The version's maximum has its own message below.
  const version = optionalInt(raw, "version", "", problems, { min: SERVICE_SETTINGS.version.min }) ?? CONFIG_VERSION;
  if (version > CONFIG_VERSION)
    problems.push({
      path: "version",
      reason: `schema version ${version} is newer than this router understands (${CONFIG_VERSION}); upgrade the router`,
    });
  const deployment = optionalString(raw, "deployment", "", problems) ?? serviceName;

  const numReplicas = optionalInt(raw, "numReplicas", "", problems, SERVICE_SETTINGS.numReplicas);
  const as = raw.autoscale === undefined ? {} : raw.autoscale;
  if (!isObject(as)) problems.push({ path: "autoscale", reason: "must be an object" });
  const asObj = isObject(as) ? as : {};
  unknownKeys(asObj, KNOWN_AUTOSCALE, "autoscale.", problems);
  const enabledGiven = optionalBool(asObj, "enabled", "autoscale.", problems);
  const enabled = enabledGiven ?? numReplicas === undefined;
  const autoscaleInt = (key: keyof typeof AUTOSCALE_SETTINGS) =>
    optionalInt(asObj, key, "autoscale.", problems, AUTOSCALE_SETTINGS[key]) ?? AUTOSCALE_SETTINGS[key].default;
  const autoscale: AutoscaleConfig = {
    enabled,
    minReplicas: autoscaleInt("minReplicas"),
    maxReplicas: autoscaleInt("maxReplicas"),
    targetUtilization: autoscaleInt("targetUtilization"),
    refreshSeconds: autoscaleInt("refreshSeconds"),
    scaleDownDelaySeconds: autoscaleInt("scaleDownDelaySeconds"),
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

  const auth = parseAuth(raw, problems);

  const topInt = (
    key: "scoringTimeoutMs" | "maxConcurrentRequestsPerContainer" | "maxRequestWaitTimeMs" | "maxQueuedRequests",
  ) => optionalInt(raw, key, "", problems, SERVICE_SETTINGS[key]) ?? SERVICE_SETTINGS[key].default;
  const config: ServiceConfig = {
    version,
    deployment,
    autoscale,
    numReplicas,
    auth,
    scoringTimeoutMs: topInt("scoringTimeoutMs"),
    maxConcurrentRequestsPerContainer: topInt("maxConcurrentRequestsPerContainer"),
    maxRequestWaitTimeMs: topInt("maxRequestWaitTimeMs"),
    maxQueuedRequests: topInt("maxQueuedRequests"),
    collectModelData: optionalBool(raw, "collectModelData", "", problems) ?? SERVICE_CONFIG_DEFAULTS.collectModelData,
    dataCollection: parseDataCollection(raw, problems),
    appInsightsEnabled:
      optionalBool(raw, "appInsightsEnabled", "", problems) ?? SERVICE_CONFIG_DEFAULTS.appInsightsEnabled,
    models: parseModels(raw, problems),
  };
  return problems.length ? { ok: false, problems } : { ok: true, config };
}

/** The `auth` object of an annotation (services and endpoints share it), every default applied. */
export function parseAuth(raw: Record<string, unknown>, problems: ConfigProblem[]): AuthConfig {
  const authRaw = raw.auth === undefined ? {} : raw.auth;
  if (!isObject(authRaw)) problems.push({ path: "auth", reason: "must be an object" });
  const authObj = isObject(authRaw) ? authRaw : {};
  unknownKeys(authObj, KNOWN_AUTH, "auth.", problems);
  const mode = (optionalString(authObj, "mode", "auth.", problems) ?? SERVICE_CONFIG_DEFAULTS.auth.mode) as AuthMode;
  if (!AUTH_MODES.includes(mode))
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
    additionalAudiences: optionalStringArray(authObj, "additionalAudiences", "auth.", problems),
    requiredRole: optionalString(authObj, "requiredRole", "auth.", problems),
    jwksUri: optionalString(authObj, "jwksUri", "auth.", problems),
    algorithms,
    issuerRegion: optionalString(authObj, "issuerRegion", "auth.", problems),
  };
  if ((auth.additionalAudiences?.length ?? 0) > MAX_ADDITIONAL_AUDIENCES)
    problems.push({
      path: "auth.additionalAudiences",
      reason: `must have at most ${MAX_ADDITIONAL_AUDIENCES} entries, got ${auth.additionalAudiences?.length}`,
    });
  if (mode === "token") {
    if (!auth.issuer) problems.push({ path: "auth.issuer", reason: 'is required when auth.mode is "token"' });
    if (!auth.audience) problems.push({ path: "auth.audience", reason: 'is required when auth.mode is "token"' });
    for (const key of ["issuer", "jwksUri"] as const) {
      const url = auth[key];
      if (url !== undefined && !isHttpUrl(url))
        problems.push({ path: `auth.${key}`, reason: `must be an http(s) URL, got ${JSON.stringify(url)}` });
    }
  }
  return auth;
}
