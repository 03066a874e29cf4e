import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  describeIntegerRange,
  integerRangeProblem,
  serviceKeyProblem,
  type IntegerRange,
} from "../../router/contract/serviceConfig.js";
import { isUnknown, known } from "../shared/inputs.js";
import { NAMESPACE_PATTERN } from "../shared/naming.js";
import {
  componentSubject,
  problemList,
  throwIfInvalid,
  type AddProblem,
  type PropertyProblem,
} from "../shared/problems.js";
import {
  isIntegerInRange,
  isLabelKey,
  isLabelValue,
  isPositiveInteger,
  isPositiveNumber,
} from "../shared/validation.js";
import type { ModelWebserviceArgs } from "./args.js";
import { MODEL_WEBSERVICE_DEFAULTS } from "./defaults.js";
import { AUTOSCALE_INTEGER_ARGS, ROUTER_INTEGER_ARGS } from "./settings.js";
import { dataCollectionProblems } from "./dataCollection.js";
import { MODEL_NAME_PATTERN } from "../../router/contract/serviceConfig.js";
import { modelCacheProblems } from "./modelCache.js";
import { modelReferenceProblems } from "./modelReferences.js";
import { startupProbeProblems } from "./startupProbe.js";

/** Azure ML webservice name rule: 3-32 characters, lowercase letters, digits, "-"; starts with a letter, ends alphanumeric. */
export const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
/** Model names become folder names under `azureml-models/` (and `modeldata/<service>/`): the contract's rule. */
export { MODEL_NAME_PATTERN };

/**
 * Every problem with the known values of the args, as Azure ML's
 * `validate_configuration` finds them, plus the checks this library needs (files exist,
 * names fit Kubernetes). Values not known yet (Outputs) are skipped here and checked by
 * the same rules once they resolve. Empty when valid.
 */
export function modelWebserviceArgsProblems(name: string, a: ModelWebserviceArgs): PropertyProblem[] {
  const { problems, add } = problemList();
  const positive = (path: string, input: pulumi.Input<number> | undefined, integer: boolean) => {
    const v = known(input);
    if (v !== undefined && !(integer ? isPositiveInteger(v) : isPositiveNumber(v)))
      add(path, `must be a positive ${integer ? "integer" : "number"}, got ${v}`);
  };
  // The router enforces these; their ranges are the contract's, so both sides agree.
  const routerInteger = (path: string, input: pulumi.Input<number> | undefined, range: IntegerRange) => {
    const v = known(input);
    if (v !== undefined && integerRangeProblem(range, v) !== undefined)
      add(path, `must be ${describeIntegerRange(range)}, got ${v}`);
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

  positive("cpuCores", a.cpuCores, false);
  positive("memoryGb", a.memoryGb, false);
  positive("cpuCoresLimit", a.cpuCoresLimit, false);
  positive("memoryGbLimit", a.memoryGbLimit, false);
  // A limit is compared with its request (or the request's default) only when both are known.
  const cpuReq = a.cpuCores === undefined ? MODEL_WEBSERVICE_DEFAULTS.cpuCores : known(a.cpuCores);
  const memReq = a.memoryGb === undefined ? MODEL_WEBSERVICE_DEFAULTS.memoryGb : known(a.memoryGb);
  const cpuLimit = known(a.cpuCoresLimit);
  const memLimit = known(a.memoryGbLimit);
  if (cpuLimit !== undefined && cpuReq !== undefined && cpuLimit > 0 && cpuLimit < cpuReq)
    add("cpuCoresLimit", `(${cpuLimit}) must be >= cpuCores (${cpuReq}); raise the limit or lower the request`);
  if (memLimit !== undefined && memReq !== undefined && memLimit > 0 && memLimit < memReq)
    add("memoryGbLimit", `(${memLimit}) must be >= memoryGb (${memReq}); raise the limit or lower the request`);
  const gpu = known(a.gpuCores);
  if (gpu !== undefined && !isIntegerInRange(gpu, 0))
    add("gpuCores", `must be an integer >= 0 (whole GPUs), got ${gpu}`);

  routerInteger("numReplicas", a.numReplicas, ROUTER_INTEGER_ARGS.numReplicas);
  autoscaleProblems(a, routerInteger, add);
  authProblems(a, add);
  keyRotationProblems(a, add);
  for (const key of ["primaryKey", "secondaryKey"] as const) {
    const v = known(a[key]);
    if (v !== undefined) keyProblem(key, v, add);
  }

  if (
    known(a.enableAppInsights) === true &&
    a.appInsightsConnectionString === undefined &&
    a.appInsightsKey === undefined &&
    a.router?.appInsightsConnectionString === undefined
  )
    add(
      "appInsightsConnectionString",
      "is required with enableAppInsights when the router has none (AzuremlFe appInsightsConnectionString): give the Application Insights resource's connection string",
    );
  if (a.appInsightsConnectionString !== undefined && a.appInsightsKey !== undefined)
    add(
      "appInsightsKey",
      "is deprecated and not allowed with appInsightsConnectionString: remove it (the connection string carries the key)",
    );
  tagProblems(a, add);

  routerInteger("scoringTimeoutMs", a.scoringTimeoutMs, ROUTER_INTEGER_ARGS.scoringTimeoutMs);
  routerInteger(
    "replicaMaxConcurrentRequests",
    a.replicaMaxConcurrentRequests,
    ROUTER_INTEGER_ARGS.replicaMaxConcurrentRequests,
  );
  routerInteger("maxRequestWaitTimeMs", a.maxRequestWaitTimeMs, ROUTER_INTEGER_ARGS.maxRequestWaitTimeMs);
  routerInteger("maxQueuedRequests", a.maxQueuedRequests, ROUTER_INTEGER_ARGS.maxQueuedRequests);
  const probe = a.livenessProbe ?? {};
  for (const k of [
    "periodSeconds",
    "initialDelaySeconds",
    "timeoutSeconds",
    "successThreshold",
    "failureThreshold",
  ] as const)
    positive(`livenessProbe.${k}`, probe[k], true);
  const readiness = a.readinessProbe ?? {};
  for (const k of ["periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold"] as const)
    positive(`readinessProbe.${k}`, readiness[k], true);
  const delay = known(readiness.initialDelaySeconds);
  if (delay !== undefined && !isIntegerInRange(delay, 0))
    add("readinessProbe.initialDelaySeconds", `must be an integer >= 0, got ${delay}`);

  const ns = known(a.namespace);
  if (typeof ns === "string" && !NAMESPACE_PATTERN.test(ns))
    add("namespace", `${JSON.stringify(ns)} does not match ${NAMESPACE_PATTERN.source}`);
  routerNamespaceProblems(a, add);

  modelProblems(a, add);
  modelReferenceProblems(a.models, add);
  startupProbeProblems(a.startupProbe, add);
  modelCacheProblems(a.modelCache, add);
  dataCollectionProblems(a.dataCollection, add);
  imageProblems(a, add);
  return problems;
}

/**
 * The router serves (and is granted RBAC in) only the namespaces AzuremlFe declares: a
 * service anywhere else would deploy fine and never be discovered.
 */
function routerNamespaceProblems(a: ModelWebserviceArgs, add: AddProblem): void {
  const watched = known(a.router?.serviceNamespaces);
  if (!Array.isArray(watched) || watched.some((n) => typeof n !== "string")) return;
  const ns = a.namespace === undefined ? MODEL_WEBSERVICE_DEFAULTS.namespace : known(a.namespace);
  // An invalid name has its own problem; it cannot be watched either way.
  if (typeof ns !== "string" || !NAMESPACE_PATTERN.test(ns) || (watched as string[]).includes(ns)) return;
  add(
    "namespace",
    `${JSON.stringify(ns)} is not served by the router, which watches only ${JSON.stringify(watched)} (AzuremlFe serviceNamespaces); add ${JSON.stringify(ns)} to the router's serviceNamespaces, or deploy the service in one of those`,
  );
}

function autoscaleProblems(
  a: ModelWebserviceArgs,
  routerInteger: (path: string, input: pulumi.Input<number> | undefined, range: IntegerRange) => void,
  add: AddProblem,
): void {
  const as = a.autoscale ?? {};
  for (const [k, range] of Object.entries(AUTOSCALE_INTEGER_ARGS) as [
    keyof typeof AUTOSCALE_INTEGER_ARGS,
    IntegerRange,
  ][])
    routerInteger(`autoscale.${k}`, as[k], range);
  const enabled = known(as.enabled);
  // min <= max, each defaulted when unset, compared only when both are known.
  const minV = as.minReplicas === undefined ? MODEL_WEBSERVICE_DEFAULTS.autoscale.minReplicas : known(as.minReplicas);
  const maxV = as.maxReplicas === undefined ? MODEL_WEBSERVICE_DEFAULTS.autoscale.maxReplicas : known(as.maxReplicas);
  if (minV !== undefined && maxV !== undefined && maxV > 0 && minV > maxV)
    add("autoscale.minReplicas", `(${minV}) must be <= autoscale.maxReplicas (${maxV})`);
  if (enabled === true && a.numReplicas !== undefined)
    add(
      "numReplicas",
      "must not be set when autoscale.enabled is true (the router owns the replica count); remove one of them",
    );
  // Autoscale is off when disabled explicitly or, with enabled unset, when numReplicas is
  // given; autoscale values would then be silently ignored, which Azure ML rejects.
  const off = enabled === false || (as.enabled === undefined && known(a.numReplicas) !== undefined);
  if (enabled === false && a.numReplicas === undefined)
    add("numReplicas", "is required when autoscale.enabled is false");
  if (off) {
    for (const k of Object.keys(AUTOSCALE_INTEGER_ARGS) as (keyof typeof AUTOSCALE_INTEGER_ARGS)[]) {
      if (as[k] !== undefined)
        add(
          `autoscale.${k}`,
          "must not be set when autoscale is off (autoscale.enabled false, or numReplicas given); Azure ML rejects autoscale settings with autoscale off",
        );
    }
  }
}

function authProblems(a: ModelWebserviceArgs, add: AddProblem): void {
  const tokenAuth = known(a.tokenAuthEnabled);
  if (known(a.authEnabled) === true && tokenAuth === true)
    add(
      "tokenAuthEnabled",
      "key auth (authEnabled) and token auth cannot both be on; set authEnabled: false to use tokens",
    );
  if (isUnknown(a.tokenAuthEnabled) && a.tokenIssuer === undefined)
    add(
      "tokenAuthEnabled",
      "must be a plain boolean when tokenIssuer is not given (it decides whether an Entra ID application is registered)",
    );
  for (const [path, url] of [
    ["tokenIssuer", known(a.tokenIssuer)],
    ["tokenJwksUri", known(a.tokenJwksUri)],
  ] as const) {
    if (typeof url === "string" && !/^https?:\/\/[^\s]+$/.test(url))
      add(path, `must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  const audience = known(a.tokenAudience);
  if (typeof audience === "string" && audience.trim() === "") add("tokenAudience", "must not be empty");
  const role = known(a.tokenRequiredRole);
  if (typeof role === "string" && !APP_ROLE_PATTERN.test(role))
    add(
      "tokenRequiredRole",
      `must be an app role value: 1-120 letters, digits, '.', '_', ':' or '-', starting with a letter or digit, got ${JSON.stringify(role)}`,
    );
  if (tokenAuth === true && a.tokenJwksUri !== undefined && a.tokenIssuer === undefined)
    add("tokenJwksUri", "is for an external tokenIssuer; the Entra ID application's keys come from its OIDC discovery");
}

/** An Entra ID app role value (what the `roles` claim carries). */
export const APP_ROLE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$/;
/** Highest keyRotation counter (any change rotates; the bound only keeps resource names short). */
export const MAX_KEY_ROTATION = 1_000_000;

/** The counters name the one-time rotation writes, so they must be known when the program runs. */
function keyRotationProblems(a: ModelWebserviceArgs, add: AddProblem): void {
  for (const slot of ["primary", "secondary"] as const) {
    const v = a.keyRotation?.[slot];
    if (v === undefined) continue;
    if (isUnknown(v))
      add(`keyRotation.${slot}`, "must be a plain number known when the program runs (it names the rotation)");
    else if (!isIntegerInRange(known(v) as number, 0, MAX_KEY_ROTATION))
      add(`keyRotation.${slot}`, `must be an integer between 0 and ${MAX_KEY_ROTATION}, got ${known(v)}`);
  }
}

/** A key the router could never accept (or a guessable one). Never quotes the key: it is a secret. */
function keyProblem(path: "primaryKey" | "secondaryKey", key: string, add: AddProblem): void {
  const problem = serviceKeyProblem(key);
  if (problem !== undefined)
    add(path, `${problem} (clients send it as "Authorization: Bearer <key>"); or leave it unset to have one generated`);
}

/**
 * `key` once known, checked by the same rule as a plain key: a Secret built from it fails
 * to register with the InputPropertiesError of a bad one.
 */
export function checkedServiceKey(
  name: string,
  path: "primaryKey" | "secondaryKey",
  key: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.output(key).apply((k) => {
    const { problems, add } = problemList();
    keyProblem(path, k, add);
    throwIfInvalid(componentSubject("ModelWebservice", name), problems);
    return k;
  });
}

/** Tags become Kubernetes labels on the Deployment and Azure tags on the workload identity: both rules apply. */
function tagProblems(a: ModelWebserviceArgs, add: AddProblem): void {
  for (const [k, v] of Object.entries(known(a.tags) ?? {})) {
    const value = known(v);
    if (!isLabelKey(k))
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
    else if (typeof value === "string" && !isLabelValue(value))
      add(
        `tags.${k}`,
        `value ${JSON.stringify(value)} is not a valid Kubernetes label value: up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric`,
      );
  }
}

function modelProblems(a: ModelWebserviceArgs, add: AddProblem): void {
  const models = a.models ?? [];
  if (models.length > MODEL_WEBSERVICE_DEFAULTS.maxModels)
    add("models", `at most ${MODEL_WEBSERVICE_DEFAULTS.maxModels} models per service, got ${models.length}`);
  const seen = new Set<string>();
  models.forEach((m, i) => {
    const mName = known(m.name),
      version = known(m.version),
      path = known(m.path);
    if (typeof mName === "string" && !MODEL_NAME_PATTERN.test(mName))
      add(
        `models[${i}].name`,
        `${JSON.stringify(mName)}: letters, digits, ".", "_", "-", starting alphanumeric, at most 255 characters`,
      );
    if (version !== undefined && !isPositiveInteger(version))
      add(`models[${i}].version`, `must be a positive integer, got ${version}`);
    if (isUnknown(m.path))
      add(
        `models[${i}].path`,
        "must be a plain path known when the program runs (its files decide which blobs are uploaded)",
      );
    else if (m.path !== undefined && (path === undefined || !existsSync(path)))
      add(`models[${i}].path`, `${JSON.stringify(path)} does not exist`);
    if (typeof mName === "string" && typeof version === "number") {
      const key = `${mName}:${version}`;
      if (seen.has(key)) add(`models[${i}]`, `model ${key} is listed twice`);
      seen.add(key);
    }
  });
}

function imageProblems(a: ModelWebserviceArgs, add: AddProblem): void {
  if ((a.image === undefined) === (a.inferenceConfig === undefined)) {
    add(
      a.image === undefined ? "inferenceConfig" : "image",
      "give exactly one of inferenceConfig (build the image) or image (a prebuilt one)",
    );
  }
  const ic = a.inferenceConfig;
  if (!ic) return;
  const dir = known(ic.sourceDirectory),
    entry = known(ic.entryScript);
  if (isUnknown(ic.sourceDirectory) || isUnknown(ic.entryScript))
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
    const f = known(env[k]);
    if (isUnknown(env[k])) add(`inferenceConfig.environment.${k}`, "must be a plain path known when the program runs");
    else if (f !== undefined && !existsSync(f))
      add(`inferenceConfig.environment.${k}`, `${JSON.stringify(f)} does not exist`);
  }
  if (isUnknown(env.environmentVariables))
    add(
      "inferenceConfig.environment.environmentVariables",
      "must be plain values known when the program runs (they are baked into the image and its content hash)",
    );
  else {
    for (const [k, v] of Object.entries(known(env.environmentVariables) ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
        add(`inferenceConfig.environment.environmentVariables.${k}`, "is not a valid environment variable name");
      else if (typeof v !== "string")
        add(
          `inferenceConfig.environment.environmentVariables.${k}`,
          "must be a plain string (it is baked into the image)",
        );
    }
  }
  if (isUnknown(env.baseImage))
    add(
      "inferenceConfig.environment.baseImage",
      "must be a plain value known when the program runs (it is part of the image's content hash)",
    );
  if (env.baseImage === undefined && isUnknown(a.gpuCores))
    add("gpuCores", "must be a plain value when the base image is defaulted (it chooses the CPU or GPU image)");
}

/** Throws one InputPropertiesError naming every problem. */
export function validateModelWebserviceArgs(name: string, a: ModelWebserviceArgs): void {
  throwIfInvalid(componentSubject("ModelWebservice", name), modelWebserviceArgsProblems(name, a));
}
