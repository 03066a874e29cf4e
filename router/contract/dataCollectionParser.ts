/**
 * The `aksml/config` keys for model data collection and the service's models:
 * `dataCollection {sampleRate, maxBodyBytes, redactJsonFields}` and `models [{name,
 * version}]`. Every value has an explicit bound (a capture buffer entry and a blob path
 * are built from them). No dependencies, like the rest of `router/contract/`.
 */
import {
  DATA_COLLECTION_SETTINGS,
  MAX_MODEL_VERSION,
  MAX_MODELS,
  MAX_REDACT_FIELDS,
  MAX_REDACT_PATH_LENGTH,
  MAX_REDACT_PATH_SEGMENTS,
  MODEL_NAME_PATTERN,
  REDACT_PATH_PATTERN,
  SAMPLE_RATE_RANGE,
  SERVICE_CONFIG_DEFAULTS,
  type DataCollectionConfig,
  type ModelRef,
} from "./serviceConfigSchema.js";
import { type ConfigProblem, isObject, optionalInt, optionalStringArray, unknownKeys } from "./configReaders.js";

const DATA_COLLECTION_KEYS: Record<keyof DataCollectionConfig, true> = {
  sampleRate: true,
  maxBodyBytes: true,
  redactJsonFields: true,
};
const KNOWN_DATA_COLLECTION = new Set(Object.keys(DATA_COLLECTION_KEYS));
const MODEL_KEYS: Record<keyof ModelRef, true> = { name: true, version: true };
const KNOWN_MODEL = new Set(Object.keys(MODEL_KEYS));

/** Why `path` is not a redaction path, or undefined when it is one. */
export function redactPathProblem(path: string): string | undefined {
  if (path.length > MAX_REDACT_PATH_LENGTH) return `is longer than ${MAX_REDACT_PATH_LENGTH} characters`;
  if (!REDACT_PATH_PATTERN.test(path))
    return `${JSON.stringify(path)} is not a path: dot-separated keys or "*", optionally after "$." (e.g. "data.*.ssn")`;
  const segments = path.replace(/^\$\./, "").split(".").length;
  if (segments > MAX_REDACT_PATH_SEGMENTS) return `has ${segments} segments, at most ${MAX_REDACT_PATH_SEGMENTS}`;
  return undefined;
}

export function parseDataCollection(raw: Record<string, unknown>, problems: ConfigProblem[]): DataCollectionConfig {
  const d = SERVICE_CONFIG_DEFAULTS.dataCollection;
  const given = raw.dataCollection === undefined || raw.dataCollection === null ? {} : raw.dataCollection;
  if (!isObject(given)) {
    problems.push({ path: "dataCollection", reason: "must be an object" });
    return { sampleRate: d.sampleRate, maxBodyBytes: d.maxBodyBytes, redactJsonFields: [] };
  }
  unknownKeys(given, KNOWN_DATA_COLLECTION, "dataCollection.", problems);
  let sampleRate: number = d.sampleRate;
  const rate = given.sampleRate;
  if (rate !== undefined && rate !== null) {
    if (
      typeof rate !== "number" ||
      !Number.isFinite(rate) ||
      rate < SAMPLE_RATE_RANGE.min ||
      rate > SAMPLE_RATE_RANGE.max
    )
      problems.push({
        path: "dataCollection.sampleRate",
        reason: `must be a number from ${SAMPLE_RATE_RANGE.min} to ${SAMPLE_RATE_RANGE.max}, got ${JSON.stringify(rate)}`,
      });
    else sampleRate = rate;
  }
  const maxBodyBytes =
    optionalInt(given, "maxBodyBytes", "dataCollection.", problems, DATA_COLLECTION_SETTINGS.maxBodyBytes) ??
    d.maxBodyBytes;
  // An empty list is the default written out (the serializer writes every key).
  const emptyList = Array.isArray(given.redactJsonFields) && given.redactJsonFields.length === 0;
  const redactJsonFields = emptyList
    ? []
    : (optionalStringArray(given, "redactJsonFields", "dataCollection.", problems) ?? []);
  if (redactJsonFields.length > MAX_REDACT_FIELDS)
    problems.push({
      path: "dataCollection.redactJsonFields",
      reason: `must have at most ${MAX_REDACT_FIELDS} entries, got ${redactJsonFields.length}`,
    });
  redactJsonFields.forEach((p, i) => {
    const problem = redactPathProblem(p);
    if (problem) problems.push({ path: `dataCollection.redactJsonFields[${i}]`, reason: problem });
  });
  return { sampleRate, maxBodyBytes, redactJsonFields };
}

export function parseModels(raw: Record<string, unknown>, problems: ConfigProblem[]): ModelRef[] {
  const given = raw.models;
  if (given === undefined || given === null) return [];
  if (!Array.isArray(given)) {
    problems.push({ path: "models", reason: "must be an array of {name, version}" });
    return [];
  }
  if (given.length > MAX_MODELS) {
    problems.push({ path: "models", reason: `must have at most ${MAX_MODELS} entries, got ${given.length}` });
    return [];
  }
  const models: ModelRef[] = [];
  const seen = new Set<string>();
  given.forEach((m, i) => {
    const at = `models[${i}]`;
    if (!isObject(m)) {
      problems.push({ path: at, reason: "must be an object {name, version}" });
      return;
    }
    unknownKeys(m, KNOWN_MODEL, `${at}.`, problems);
    const name = m.name;
    if (typeof name !== "string" || !MODEL_NAME_PATTERN.test(name))
      problems.push({
        path: `${at}.name`,
        reason: `must be a model name (1-255 letters, digits, ".", "_" or "-", starting with a letter or digit), got ${JSON.stringify(name)}`,
      });
    const version = optionalInt(m, "version", `${at}.`, problems, { min: 1, max: MAX_MODEL_VERSION });
    if (version === undefined && (m.version === undefined || m.version === null))
      problems.push({ path: `${at}.version`, reason: "is required" });
    if (typeof name !== "string" || version === undefined) return;
    const key = `${name}:${version}`;
    if (seen.has(key)) problems.push({ path: at, reason: `model ${key} is listed twice` });
    seen.add(key);
    models.push({ name, version });
  });
  return models;
}
