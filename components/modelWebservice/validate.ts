import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ModelWebserviceArgs } from "./args.js";
import { MODEL_WEBSERVICE_DEFAULTS } from "./defaults.js";
import { isPlainValue } from "../shared/inputs.js";

/** Azure ML webservice name rule: 3-32 characters, lowercase letters, digits, "-"; starts with a letter, ends alphanumeric. */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
/** Azure ML's `namespace` regex. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Model names become folder names under `azureml-models/`. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** Kubernetes label key (optional DNS prefix) and value rules. */
export const LABEL_KEY_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE_PATTERN = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export interface PropertyError {
  propertyPath: string;
  reason: string;
}

/** Marks a value that is an Output or Promise: its rules are skipped (checked by nobody until it is known). */
const UNKNOWN = Symbol("unknown");
type Known<T> = T | undefined | typeof UNKNOWN;
const view = <T>(v: pulumi.Input<T> | undefined): Known<T> => (isPlainValue(v) ? v : UNKNOWN);
const isNum = (v: unknown): v is number => typeof v === "number";

/**
 * Every problem with the known values of the args, as Azure ML's
 * `validate_configuration` finds them, plus the checks this library needs (files exist,
 * names fit Kubernetes). Empty when valid.
 */
export function modelWebserviceArgsProblems(name: string, a: ModelWebserviceArgs): PropertyError[] {
  const errors: PropertyError[] = [];
  const add = (propertyPath: string, reason: string) => errors.push({ propertyPath, reason });
  const positive = (path: string, v: Known<number>, integer: boolean) => {
    if (!isNum(v)) return;
    if (!(v > 0) || (integer && !Number.isInteger(v)))
      add(path, `must be a positive ${integer ? "integer" : "number"}, got ${v}`);
  };

  if (!SERVICE_NAME_PATTERN.test(name))
    add(
      "name",
      `${JSON.stringify(name)} is not a valid service name: 3-32 characters, lowercase letters, digits and "-", starting with a letter and ending with a letter or digit`,
    );
  // The service's ServiceAccount is named after it, and every namespace already has a
  // "default" one: the component would take it over (workload identity annotation) and delete it on destroy.
  else if (name === "default")
    add("name", `"default" is the name of every namespace's own ServiceAccount; pick another service name`);

  const cpu = view(a.cpuCores),
    mem = view(a.memoryGb),
    cpuLimit = view(a.cpuCoresLimit),
    memLimit = view(a.memoryGbLimit),
    gpu = view(a.gpuCores);
  positive("cpuCores", cpu, false);
  positive("memoryGb", mem, false);
  positive("cpuCoresLimit", cpuLimit, false);
  positive("memoryGbLimit", memLimit, false);
  const cpuReq = cpu === undefined ? MODEL_WEBSERVICE_DEFAULTS.cpuCores : cpu;
  const memReq = mem === undefined ? MODEL_WEBSERVICE_DEFAULTS.memoryGb : mem;
  if (isNum(cpuLimit) && isNum(cpuReq) && cpuLimit > 0 && cpuLimit < cpuReq)
    add("cpuCoresLimit", `(${cpuLimit}) must be >= cpuCores (${cpuReq}); raise the limit or lower the request`);
  if (isNum(memLimit) && isNum(memReq) && memLimit > 0 && memLimit < memReq)
    add("memoryGbLimit", `(${memLimit}) must be >= memoryGb (${memReq}); raise the limit or lower the request`);
  if (isNum(gpu) && (!Number.isInteger(gpu) || gpu < 0))
    add("gpuCores", `must be an integer >= 0 (whole GPUs), got ${gpu}`);

  const num = view(a.numReplicas);
  positive("numReplicas", num, true);
  const as = a.autoscale ?? {};
  const enabled = view(as.enabled);
  const min = view(as.minReplicas),
    max = view(as.maxReplicas),
    refresh = view(as.refreshSeconds),
    target = view(as.targetUtilization);
  positive("autoscale.minReplicas", min, true);
  positive("autoscale.maxReplicas", max, true);
  positive("autoscale.refreshSeconds", refresh, true);
  if (isNum(target) && (!Number.isInteger(target) || target < 1 || target > 100))
    add("autoscale.targetUtilization", `must be an integer percentage between 1 and 100, got ${target}`);
  const minV = min === undefined ? MODEL_WEBSERVICE_DEFAULTS.autoscale.minReplicas : min;
  const maxV = max === undefined ? MODEL_WEBSERVICE_DEFAULTS.autoscale.maxReplicas : max;
  if (isNum(minV) && isNum(maxV) && maxV > 0 && minV > maxV)
    add("autoscale.minReplicas", `(${minV}) must be <= autoscale.maxReplicas (${maxV})`);
  if (enabled === true && num !== undefined)
    add(
      "numReplicas",
      "must not be set when autoscale.enabled is true (the router owns the replica count); remove one of them",
    );
  // Autoscale is off when disabled explicitly or, with enabled unset, when numReplicas is
  // given; autoscale values would then be silently ignored, which Azure ML rejects.
  const off = enabled === false || (enabled === undefined && num !== undefined && num !== UNKNOWN);
  if (enabled === false && num === undefined) add("numReplicas", "is required when autoscale.enabled is false");
  if (off) {
    for (const k of ["minReplicas", "maxReplicas", "refreshSeconds", "targetUtilization"] as const) {
      if (as[k] !== undefined)
        add(
          `autoscale.${k}`,
          "must not be set when autoscale is off (autoscale.enabled false, or numReplicas given); Azure ML rejects autoscale settings with autoscale off",
        );
    }
  }

  const keyAuth = view(a.authEnabled),
    tokenAuth = view(a.tokenAuthEnabled);
  if (keyAuth === true && tokenAuth === true)
    add(
      "tokenAuthEnabled",
      "key auth (authEnabled) and token auth cannot both be on; set authEnabled: false to use tokens",
    );
  const issuer = view(a.tokenIssuer);
  if (tokenAuth === true && issuer === undefined)
    add("tokenIssuer", "is required with tokenAuthEnabled (the issuer whose OIDC discovery gives the signing keys)");
  for (const [path, url] of [
    ["tokenIssuer", issuer],
    ["tokenJwksUri", view(a.tokenJwksUri)],
  ] as const) {
    if (typeof url === "string" && !/^https?:\/\/[^\s]+$/.test(url))
      add(path, `must be an http(s) URL, got ${JSON.stringify(url)}`);
  }

  const audience = view(a.tokenAudience);
  if (typeof audience === "string" && audience.trim() === "") add("tokenAudience", "must not be empty");
  const insights = view(a.enableAppInsights);
  if (insights === true && a.appInsightsKey === undefined)
    add(
      "appInsightsKey",
      "is required with enableAppInsights (the Application Insights instrumentation key or connection string)",
    );
  const tags = view(a.tags);
  if (tags !== undefined && tags !== UNKNOWN) {
    for (const [k, v] of Object.entries(tags)) {
      if (!LABEL_KEY_PATTERN.test(k))
        add(
          `tags.${k}`,
          "is not a valid Kubernetes label key (tags become labels on the Deployment): up to 63 letters, digits, '-', '_', '.', with an optional DNS prefix",
        );
      // Tags are also Azure tags on the workload identity, and Azure rejects tag names
      // containing '/' (InvalidTagNameCharacters), so a prefixed label key cannot be used.
      else if (k.includes("/"))
        add(
          `tags.${k}`,
          "must not contain '/': tags are also Azure tags (on the workload identity), whose names cannot contain '/'",
        );
      else if (typeof v === "string" && !LABEL_VALUE_PATTERN.test(v))
        add(
          `tags.${k}`,
          `value ${JSON.stringify(v)} is not a valid Kubernetes label value: up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric`,
        );
    }
  }

  positive("scoringTimeoutMs", view(a.scoringTimeoutMs), true);
  positive("replicaMaxConcurrentRequests", view(a.replicaMaxConcurrentRequests), true);
  positive("maxRequestWaitTimeMs", view(a.maxRequestWaitTimeMs), true);
  const probe = a.livenessProbe ?? {};
  for (const k of [
    "periodSeconds",
    "initialDelaySeconds",
    "timeoutSeconds",
    "successThreshold",
    "failureThreshold",
  ] as const)
    positive(`livenessProbe.${k}`, view(probe[k]), true);

  const ns = view(a.namespace);
  if (typeof ns === "string" && !NAMESPACE_PATTERN.test(ns))
    add("namespace", `${JSON.stringify(ns)} does not match ${NAMESPACE_PATTERN.source}`);

  modelProblems(a, add);
  imageProblems(a, add);
  return errors;
}

function modelProblems(a: ModelWebserviceArgs, add: (p: string, r: string) => void): void {
  const models = a.models ?? [];
  if (models.length > MODEL_WEBSERVICE_DEFAULTS.maxModels)
    add("models", `at most ${MODEL_WEBSERVICE_DEFAULTS.maxModels} models per service, got ${models.length}`);
  const seen = new Set<string>();
  models.forEach((m, i) => {
    const mName = view(m.name),
      version = view(m.version),
      path = view(m.path);
    if (typeof mName === "string" && !MODEL_NAME_PATTERN.test(mName))
      add(
        `models[${i}].name`,
        `${JSON.stringify(mName)}: letters, digits, ".", "_", "-", starting alphanumeric, at most 255 characters`,
      );
    if (isNum(version) && (!Number.isInteger(version) || version < 1))
      add(`models[${i}].version`, `must be a positive integer, got ${version}`);
    if (path === UNKNOWN)
      add(
        `models[${i}].path`,
        "must be a plain path known when the program runs (its files decide which blobs are uploaded)",
      );
    else if (path === undefined || !existsSync(path))
      add(`models[${i}].path`, `${JSON.stringify(path)} does not exist`);
    const key = `${String(mName)}:${String(version)}`;
    if (typeof mName === "string" && isNum(version)) {
      if (seen.has(key)) add(`models[${i}]`, `model ${key} is listed twice`);
      seen.add(key);
    }
  });
}

function imageProblems(a: ModelWebserviceArgs, add: (p: string, r: string) => void): void {
  if ((a.image === undefined) === (a.inferenceConfig === undefined)) {
    add(
      a.image === undefined ? "inferenceConfig" : "image",
      "give exactly one of inferenceConfig (build the image) or image (a prebuilt one)",
    );
  }
  const ic = a.inferenceConfig;
  if (!ic) return;
  const dir = view(ic.sourceDirectory),
    entry = view(ic.entryScript);
  if (dir === UNKNOWN || entry === UNKNOWN)
    add(
      "inferenceConfig",
      "sourceDirectory and entryScript must be plain values known when the program runs (they decide the image's content hash)",
    );
  else if (dir === undefined || !existsSync(dir) || !statSync(dir).isDirectory())
    add("inferenceConfig.sourceDirectory", `${JSON.stringify(dir)} is not a folder`);
  else if (entry === undefined || !existsSync(join(dir, entry)))
    add("inferenceConfig.entryScript", `${JSON.stringify(entry)} not found in sourceDirectory ${JSON.stringify(dir)}`);
  // Only sourceDirectory is copied into the image: an entry script outside it is missing at run time.
  else if (isAbsolute(entry) || relative(dir, join(dir, entry)).startsWith(".."))
    add(
      "inferenceConfig.entryScript",
      `${JSON.stringify(entry)} is outside sourceDirectory ${JSON.stringify(dir)}; only that folder is copied into the image`,
    );
  const env = ic.environment ?? {};
  if (env.condaFile !== undefined && env.pipRequirements !== undefined)
    add("inferenceConfig.environment", "give condaFile or pipRequirements, not both");
  for (const k of ["condaFile", "pipRequirements"] as const) {
    const f = view(env[k]);
    if (f === UNKNOWN) add(`inferenceConfig.environment.${k}`, "must be a plain path known when the program runs");
    else if (f !== undefined && !existsSync(f))
      add(`inferenceConfig.environment.${k}`, `${JSON.stringify(f)} does not exist`);
  }
  const vars = view(env.environmentVariables);
  if (vars === UNKNOWN)
    add(
      "inferenceConfig.environment.environmentVariables",
      "must be plain values known when the program runs (they are baked into the image and its content hash)",
    );
  else if (vars !== undefined) {
    for (const [k, v] of Object.entries(vars)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        add(`inferenceConfig.environment.environmentVariables.${k}`, "is not a valid environment variable name");
      else if (typeof v !== "string")
        add(
          `inferenceConfig.environment.environmentVariables.${k}`,
          "must be a plain string (it is baked into the image)",
        );
    }
  }
  if (view(env.baseImage) === UNKNOWN)
    add(
      "inferenceConfig.environment.baseImage",
      "must be a plain value known when the program runs (it is part of the image's content hash)",
    );
  if (env.baseImage === undefined && view(a.gpuCores) === UNKNOWN)
    add("gpuCores", "must be a plain value when the base image is defaulted (it chooses the CPU or GPU image)");
}

/** Throws one InputPropertiesError naming every problem. */
export function validateModelWebserviceArgs(name: string, a: ModelWebserviceArgs): void {
  const errors = modelWebserviceArgsProblems(name, a);
  if (errors.length) {
    throw new pulumi.InputPropertiesError({
      message: `ModelWebservice ${name}: ${errors.length} invalid argument(s): ${errors.map((e) => `${e.propertyPath} ${e.reason}`).join("; ")}`,
      errors,
    });
  }
}
