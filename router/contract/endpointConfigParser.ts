/**
 * The router's half of the endpoint contract: parses and validates the
 * `aksml/endpoint-config` annotation with Azure ML's rules for `AksEndpoint` versions
 * (percentiles 0..100 summing to at most 100, exactly one default version taking the
 * rest, at most one control version, at most 6 versions), Azure ML v2's for mirrored
 * traffic (at most 50 %, never to a version that also takes live traffic), and the
 * rollout plan's. Every problem is collected, in the error style of the service
 * annotation (`parseServiceConfig`). No dependencies, like the rest of `router/contract/`.
 */
import {
  ENDPOINT_CONFIG_VERSION,
  ENDPOINT_VERSION_SETTINGS,
  MAX_ENDPOINT_VERSIONS,
  MAX_ROLLOUT_STEPS,
  ROLLOUT_SETTINGS,
  ROLLOUT_STEP_RANGE,
  VERSION_NAME_PATTERN,
  staticWeights,
  type EndpointConfig,
  type EndpointVersionConfig,
  type RolloutPlanConfig,
} from "./endpointConfig.js";
import {
  isObject,
  optionalBool,
  optionalInt,
  optionalString,
  unknownKeys,
  type ConfigProblem,
} from "./configReaders.js";
import { parseAuth } from "./serviceConfigParser.js";
import { integerRangeProblem } from "./serviceConfigSchema.js";

export type EndpointParseResult = { ok: true; config: EndpointConfig } | { ok: false; problems: ConfigProblem[] };

const TOP_KEYS: Record<keyof EndpointConfig, true> = { version: true, auth: true, versions: true, rollout: true };
const VERSION_KEYS: Record<keyof EndpointVersionConfig, true> = {
  version: true,
  service: true,
  trafficPercentile: true,
  isDefault: true,
  isControlVersion: true,
  mirrorPercentile: true,
};
const ROLLOUT_KEYS: Record<keyof RolloutPlanConfig, true> = {
  version: true,
  steps: true,
  intervalSeconds: true,
  maxErrorRateIncreasePercent: true,
  maxP99LatencyIncreasePercent: true,
  minRequests: true,
};
const KNOWN_TOP = new Set(Object.keys(TOP_KEYS));
const KNOWN_VERSION = new Set(Object.keys(VERSION_KEYS));
const KNOWN_ROLLOUT = new Set(Object.keys(ROLLOUT_KEYS));
/** A Kubernetes Service name (what a version's `service` names). */
const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Parses and validates the `aksml/endpoint-config` annotation of endpoint `endpointName`.
 * Accepts the JSON text or an already-parsed value.
 */
export function parseEndpointConfig(endpointName: string, input: unknown): EndpointParseResult {
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
  const version = optionalInt(raw, "version", "", problems, { min: 1 }) ?? ENDPOINT_CONFIG_VERSION;
  if (version > ENDPOINT_CONFIG_VERSION)
    problems.push({
      path: "version",
      reason: `schema version ${version} is newer than this router understands (${ENDPOINT_CONFIG_VERSION}); upgrade the router`,
    });
  const auth = parseAuth(raw, problems);
  const versions = parseVersions(endpointName, raw.versions, problems);
  const rollout = raw.rollout === undefined ? undefined : parseRollout(raw.rollout, versions, problems);
  const config: EndpointConfig = { version, auth, versions, ...(rollout ? { rollout } : {}) };
  return problems.length ? { ok: false, problems } : { ok: true, config };
}

function parseVersions(endpointName: string, raw: unknown, problems: ConfigProblem[]): EndpointVersionConfig[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({
      path: "versions",
      reason: `must be a non-empty array of versions, e.g. [{"version": "blue", "service": "${endpointName}-blue", "isDefault": true}]`,
    });
    return [];
  }
  if (raw.length > MAX_ENDPOINT_VERSIONS)
    problems.push({
      path: "versions",
      reason: `at most ${MAX_ENDPOINT_VERSIONS} versions behind one endpoint (Azure ML's limit), got ${raw.length}; delete the versions no longer served`,
    });
  const out: EndpointVersionConfig[] = [];
  const names = new Set<string>();
  const services = new Set<string>();
  raw.forEach((v: unknown, i: number) => {
    const at = `versions[${i}]`;
    if (!isObject(v)) {
      problems.push({ path: at, reason: "must be an object with at least version and service" });
      return;
    }
    unknownKeys(v, KNOWN_VERSION, `${at}.`, problems);
    const name = optionalString(v, "version", `${at}.`, problems);
    if (name === undefined) problems.push({ path: `${at}.version`, reason: "is required (the version's name)" });
    else if (!VERSION_NAME_PATTERN.test(name))
      problems.push({
        path: `${at}.version`,
        reason: `${JSON.stringify(name)} is not a version name: 1-32 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit`,
      });
    else if (names.has(name))
      problems.push({ path: `${at}.version`, reason: `version ${JSON.stringify(name)} is listed twice` });
    const service = optionalString(v, "service", `${at}.`, problems);
    if (service === undefined)
      problems.push({ path: `${at}.service`, reason: "is required (the model service serving this version)" });
    else if (!SERVICE_NAME.test(service))
      problems.push({ path: `${at}.service`, reason: `${JSON.stringify(service)} is not a Service name` });
    else if (service === endpointName)
      problems.push({
        path: `${at}.service`,
        reason: `is the endpoint's own name; a version is a model service with a name of its own`,
      });
    else if (services.has(service))
      problems.push({
        path: `${at}.service`,
        reason: `service ${JSON.stringify(service)} already serves another version; give each version its own service`,
      });
    const int = (key: keyof typeof ENDPOINT_VERSION_SETTINGS) =>
      optionalInt(v, key, `${at}.`, problems, ENDPOINT_VERSION_SETTINGS[key]) ?? ENDPOINT_VERSION_SETTINGS[key].default;
    const parsed: EndpointVersionConfig = {
      version: name ?? "",
      service: service ?? "",
      trafficPercentile: int("trafficPercentile"),
      isDefault: optionalBool(v, "isDefault", `${at}.`, problems) ?? false,
      isControlVersion: optionalBool(v, "isControlVersion", `${at}.`, problems) ?? false,
      mirrorPercentile: int("mirrorPercentile"),
    };
    if (name !== undefined) names.add(name);
    if (service !== undefined) services.add(service);
    out.push(parsed);
  });
  splitProblems(out, problems);
  return out;
}

/** The rules across versions: the split, the default, the control, the mirrors. */
function splitProblems(versions: EndpointVersionConfig[], problems: ConfigProblem[]): void {
  if (versions.length === 0) return;
  const total = versions.reduce((sum, v) => sum + v.trafficPercentile, 0);
  if (total > 100)
    problems.push({
      path: "versions",
      reason: `trafficPercentile values sum to ${total}; they must sum to at most 100 (the default version takes the rest)`,
    });
  const defaults = versions.filter((v) => v.isDefault).map((v) => v.version);
  if (defaults.length !== 1)
    problems.push({
      path: "versions",
      reason:
        defaults.length === 0
          ? "exactly one version must be the default (isDefault: true): it takes the traffic no other version is given"
          : `exactly one version must be the default, got ${defaults.length} (${defaults.join(", ")})`,
    });
  const controls = versions.filter((v) => v.isControlVersion).map((v) => v.version);
  if (controls.length > 1)
    problems.push({
      path: "versions",
      reason: `at most one version may be the control version, got ${controls.length} (${controls.join(", ")})`,
    });
  versions.forEach((v, i) => {
    if (v.mirrorPercentile === 0) return;
    if (v.isDefault || v.trafficPercentile > 0)
      problems.push({
        path: `versions[${i}].mirrorPercentile`,
        reason: `a version receiving mirrored traffic takes no live traffic (Azure ML v2's rule); set trafficPercentile to 0 and isDefault to false on ${JSON.stringify(v.version)}, or mirrorPercentile to 0`,
      });
  });
}

function parseRollout(
  raw: unknown,
  versions: EndpointVersionConfig[],
  problems: ConfigProblem[],
): RolloutPlanConfig | undefined {
  if (!isObject(raw)) {
    problems.push({ path: "rollout", reason: 'must be an object like {"version": "green", "steps": [10, 50, 100]}' });
    return undefined;
  }
  unknownKeys(raw, KNOWN_ROLLOUT, "rollout.", problems);
  const version = optionalString(raw, "version", "rollout.", problems);
  const target = versions.find((v) => v.version === version);
  const control = versions.find((v) => v.isControlVersion);
  if (version === undefined)
    problems.push({ path: "rollout.version", reason: "is required (the version to roll out)" });
  else if (!target)
    problems.push({
      path: "rollout.version",
      reason: `${JSON.stringify(version)} is not one of the versions (${versions.map((v) => v.version).join(", ")})`,
    });
  else if (target.isControlVersion)
    problems.push({ path: "rollout.version", reason: "is the control version; roll out another version against it" });
  else if (target.mirrorPercentile > 0)
    problems.push({
      path: "rollout.version",
      reason: "receives mirrored traffic, which takes no live traffic; set its mirrorPercentile to 0 to roll it out",
    });
  if (!control)
    problems.push({
      path: "rollout",
      reason:
        "needs a control version to compare the new version with: mark the version serving today isControlVersion: true",
    });
  else if (target && !target.isControlVersion) {
    // The rollout moves the traffic the two hold together; with none there is nothing to move.
    const weights = staticWeights({ versions });
    if ((weights[control.version] ?? 0) + (weights[target.version] ?? 0) === 0)
      problems.push({
        path: "rollout",
        reason: `the control version ${JSON.stringify(control.version)} and ${JSON.stringify(target.version)} hold no traffic together, so the rollout would move none; give the control version traffic (or make it the default)`,
      });
  }
  const steps = parseSteps(raw.steps, problems);
  const int = (key: keyof typeof ROLLOUT_SETTINGS) =>
    optionalInt(raw, key, "rollout.", problems, ROLLOUT_SETTINGS[key]) ?? ROLLOUT_SETTINGS[key].default;
  return {
    version: version ?? "",
    steps,
    intervalSeconds: int("intervalSeconds"),
    maxErrorRateIncreasePercent: int("maxErrorRateIncreasePercent"),
    maxP99LatencyIncreasePercent: int("maxP99LatencyIncreasePercent"),
    minRequests: int("minRequests"),
  };
}

function parseSteps(raw: unknown, problems: ConfigProblem[]): number[] {
  const example = "e.g. [10, 50, 100]";
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({ path: "rollout.steps", reason: `must be a non-empty array of percentages, ${example}` });
    return [];
  }
  if (raw.length > MAX_ROLLOUT_STEPS)
    problems.push({ path: "rollout.steps", reason: `at most ${MAX_ROLLOUT_STEPS} steps, got ${raw.length}` });
  const steps: number[] = [];
  raw.forEach((s: unknown, i: number) => {
    const problem = integerRangeProblem(ROLLOUT_STEP_RANGE, s);
    if (problem !== undefined) problems.push({ path: `rollout.steps[${i}]`, reason: problem });
    else if (steps.length > 0 && (s as number) <= steps[steps.length - 1]!)
      problems.push({
        path: `rollout.steps[${i}]`,
        reason: `must be greater than the step before it (${steps[steps.length - 1]}); steps only go up, ${example}`,
      });
    if (typeof s === "number" && Number.isInteger(s)) steps.push(s);
  });
  if (steps.length > 0 && steps[steps.length - 1] !== 100)
    problems.push({
      path: "rollout.steps",
      reason: `must end at 100 (the new version then takes all of the control's traffic), got ${steps[steps.length - 1]}`,
    });
  return steps;
}
