/**
 * Reads the `inferenceconfig.json` and `deploymentconfig.json` that
 * `az ml model deploy --ic ... --dc ...` takes, accepting both the docs' and the REST
 * key names (`tokenAuthEnabled`/`aadAuthEnabled`, `gpuCores`/`containerResourceRequirements.gpu`).
 * Unknown keys are errors naming the file and the key; nothing is silently dropped.
 * Relative paths in the inference config are resolved against its own folder.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";
import { throwIfInvalid, type PropertyProblem } from "../shared/problems.js";
import type { RouterConnectionArgs } from "../shared/routerConnection.js";
import type { ModelArgs, ModelWebserviceArgs, RegistryPushCredentialsArgs } from "./args.js";

export interface FromAzureMlConfigOptions {
  /** `inferenceconfig.json` (entryScript, sourceDirectory, environment). */
  readonly inferenceConfigPath: string;
  /** `deploymentconfig.json` (computeType "aks", autoScaler, containerResourceRequirements, ...). */
  readonly deploymentConfigPath: string;
  readonly cluster: ClusterConnectionArgs;
  readonly router: RouterConnectionArgs;
  /** `az ml model deploy -m <name>:<version>`, with the local file or folder of each. */
  readonly models?: ModelArgs[];
  readonly registryCredentials?: RegistryPushCredentialsArgs;
  /**
   * Token auth settings the files cannot hold (Azure ML issued its own tokens): required
   * when `tokenAuthEnabled`/`aadAuthEnabled` is true, as in the constructor's args.
   */
  readonly tokenIssuer?: pulumi.Input<string>;
  readonly tokenAudience?: pulumi.Input<string>;
  readonly tokenJwksUri?: pulumi.Input<string>;
  /**
   * Application Insights connection string (Azure ML took the workspace's); with
   * `appInsightsEnabled: true`, required unless the router has one. Stored as a secret.
   */
  readonly appInsightsConnectionString?: pulumi.Input<string>;
  /** Deprecated: use `appInsightsConnectionString` (Microsoft retired key-only ingestion). */
  readonly appInsightsKey?: pulumi.Input<string>;
}

type Json = Record<string, unknown>;
type Kind = "number" | "boolean" | "string" | "object" | "strings";

class Reader {
  readonly problems: PropertyProblem[] = [];
  constructor(
    readonly file: string,
    readonly label: string,
  ) {}
  /** Checks keys and types of one object; returns it (or {} when absent/invalid). */
  object(raw: unknown, path: string, schema: Record<string, Kind>): Json {
    if (raw === undefined || raw === null) return {};
    if (typeof raw !== "object" || Array.isArray(raw)) {
      this.add(path, "must be an object");
      return {};
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(raw as Json)) {
      const p = path ? `${path}.${k}` : k;
      const kind = schema[k];
      if (!kind) {
        this.add(p, `unknown key; expected one of ${Object.keys(schema).join(", ")}`);
        continue;
      }
      if (v === null) continue;
      const ok =
        kind === "strings"
          ? typeof v === "object" &&
            v !== null &&
            !Array.isArray(v) &&
            Object.values(v).every((x) => typeof x === "string")
          : kind === "object"
            ? typeof v === "object" && !Array.isArray(v)
            : typeof v === kind;
      // Name the type found, never the value: it may be a key (keys.primaryKey) and the
      // message is printed before anything could mark it secret.
      if (!ok)
        this.add(p, `must be ${kind === "strings" ? "an object of strings" : `a ${kind}`}, got ${describeType(v)}`);
      else out[k] = v;
    }
    return out;
  }
  add(path: string, reason: string) {
    this.problems.push({ propertyPath: `${this.label}#${path}`, reason: `${reason} (in ${this.file})` });
  }
}

function describeType(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object" && v !== null) return "an object with a non-string value";
  return `a ${typeof v}`;
}

function readJson(file: string, r: Reader): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    // V8 quotes a fragment of the source in JSON syntax errors; the file may hold keys.
    const reason = (e as Error).message.replace(/"(?:[^"\\]|\\.)*"(?:\.\.\.)?/g, "(text omitted)");
    r.add("$", `cannot be read as JSON: ${reason}`);
    return {};
  }
}

const INFERENCE_TOP: Record<string, Kind> = {
  entryScript: "string",
  sourceDirectory: "string",
  environment: "object",
  runtime: "string",
  condaFile: "string",
  baseImage: "string",
  enableGpu: "boolean",
  description: "string",
};
const ENVIRONMENT: Record<string, Kind> = {
  name: "string",
  version: "string",
  docker: "object",
  python: "object",
  environmentVariables: "strings",
  inferencingStackVersion: "string",
};
const DOCKER: Record<string, Kind> = { baseImage: "string", enabled: "boolean" };
const PYTHON: Record<string, Kind> = {
  condaDependenciesFile: "string",
  userManagedDependencies: "boolean",
  interpreterPath: "string",
};

const DEPLOYMENT_TOP: Record<string, Kind> = {
  computeType: "string",
  autoScaler: "object",
  dataCollection: "object",
  authEnabled: "boolean",
  tokenAuthEnabled: "boolean",
  aadAuthEnabled: "boolean",
  containerResourceRequirements: "object",
  gpuCores: "number",
  appInsightsEnabled: "boolean",
  scoringTimeoutMs: "number",
  maxConcurrentRequestsPerContainer: "number",
  maxQueueWaitMs: "number",
  numReplicas: "number",
  keys: "object",
  livenessProbeRequirements: "object",
  namespace: "string",
  description: "string",
  tags: "strings",
  kvTags: "strings",
};
const AUTOSCALER: Record<string, Kind> = {
  autoscaleEnabled: "boolean",
  minReplicas: "number",
  maxReplicas: "number",
  refreshPeriodInSeconds: "number",
  targetUtilization: "number",
};
const RESOURCES: Record<string, Kind> = {
  cpu: "number",
  memoryInGB: "number",
  cpuLimit: "number",
  memoryInGBLimit: "number",
  gpu: "number",
};
const PROBE: Record<string, Kind> = {
  periodSeconds: "number",
  initialDelaySeconds: "number",
  timeoutSeconds: "number",
  successThreshold: "number",
  failureThreshold: "number",
};

/** Both files as ModelWebservice args; throws one InputPropertiesError listing every problem in either file. */
export function loadAzureMlConfig(o: FromAzureMlConfigOptions): ModelWebserviceArgs {
  const ir = new Reader(o.inferenceConfigPath, "inferenceconfig");
  const dr = new Reader(o.deploymentConfigPath, "deploymentconfig");
  const inference = inferenceArgs(readJson(o.inferenceConfigPath, ir), ir, dirname(resolve(o.inferenceConfigPath)));
  const deployment = deploymentArgs(readJson(o.deploymentConfigPath, dr), dr);
  throwIfInvalid("ModelWebservice.fromAzureMlConfig", [...ir.problems, ...dr.problems]);
  return {
    ...deployment,
    inferenceConfig: inference,
    cluster: o.cluster,
    router: o.router,
    models: o.models,
    registryCredentials: o.registryCredentials,
    tokenIssuer: o.tokenIssuer,
    tokenAudience: o.tokenAudience,
    tokenJwksUri: o.tokenJwksUri,
    appInsightsConnectionString: o.appInsightsConnectionString,
    appInsightsKey: o.appInsightsKey,
  };
}

function inferenceArgs(raw: unknown, r: Reader, base: string): ModelWebserviceArgs["inferenceConfig"] {
  const top = r.object(raw, "", INFERENCE_TOP);
  const env = r.object(top.environment, "environment", ENVIRONMENT);
  const docker = r.object(env.docker, "environment.docker", DOCKER);
  const python = r.object(env.python, "environment.python", PYTHON);
  if (top.runtime !== undefined && top.runtime !== "python")
    r.add("runtime", `only "python" is supported, got ${JSON.stringify(top.runtime)}`);
  if (typeof top.entryScript !== "string") r.add("entryScript", "is required");
  const baseImage = (docker.baseImage ?? top.baseImage) as string | undefined;
  const conda = (python.condaDependenciesFile ?? top.condaFile) as string | undefined;
  if (python.condaDependenciesFile !== undefined && top.condaFile !== undefined)
    r.add("condaFile", "given twice (also environment.python.condaDependenciesFile); keep one");
  return {
    entryScript: (top.entryScript as string) ?? "",
    sourceDirectory: resolve(base, (top.sourceDirectory as string | undefined) ?? "."),
    environment: {
      baseImage,
      condaFile: conda !== undefined ? resolve(base, conda) : undefined,
      environmentVariables: env.environmentVariables as Record<string, string> | undefined,
    },
  };
}

type DeploymentPart = Omit<
  ModelWebserviceArgs,
  "cluster" | "router" | "inferenceConfig" | "image" | "models" | "registryCredentials"
>;

function deploymentArgs(raw: unknown, r: Reader): DeploymentPart {
  const top = r.object(raw, "", DEPLOYMENT_TOP);
  const as = r.object(top.autoScaler, "autoScaler", AUTOSCALER);
  const res = r.object(top.containerResourceRequirements, "containerResourceRequirements", RESOURCES);
  const probe = r.object(top.livenessProbeRequirements, "livenessProbeRequirements", PROBE);
  const keys = r.object(top.keys, "keys", { primaryKey: "string", secondaryKey: "string" });
  const dc = r.object(top.dataCollection, "dataCollection", { storageEnabled: "boolean" });
  if (top.computeType !== undefined && String(top.computeType).toLowerCase() !== "aks")
    r.add("computeType", `must be "aks", got ${JSON.stringify(top.computeType)}`);
  const pick = <T>(a: unknown, b: unknown, pathA: string, pathB: string): T | undefined => {
    if (a !== undefined && b !== undefined && a !== b)
      r.add(
        pathA,
        `conflicts with ${pathB} (${JSON.stringify(a)} vs ${JSON.stringify(b)}); they are the docs' and the REST name of one setting, keep one`,
      );
    return (a ?? b) as T | undefined;
  };
  const num = (v: unknown) => v as number | undefined;
  const autoscale = Object.keys(as).length
    ? {
        enabled: as.autoscaleEnabled as boolean | undefined,
        minReplicas: num(as.minReplicas),
        maxReplicas: num(as.maxReplicas),
        refreshSeconds: num(as.refreshPeriodInSeconds),
        targetUtilization: num(as.targetUtilization),
      }
    : undefined;
  const livenessProbe = Object.keys(probe).length ? (probe as Record<string, number>) : undefined;
  return {
    cpuCores: num(res.cpu),
    memoryGb: num(res.memoryInGB),
    cpuCoresLimit: num(res.cpuLimit),
    memoryGbLimit: num(res.memoryInGBLimit),
    gpuCores: pick<number>(top.gpuCores, res.gpu, "gpuCores", "containerResourceRequirements.gpu"),
    autoscale,
    numReplicas: num(top.numReplicas),
    authEnabled: top.authEnabled as boolean | undefined,
    tokenAuthEnabled: pick<boolean>(top.tokenAuthEnabled, top.aadAuthEnabled, "tokenAuthEnabled", "aadAuthEnabled"),
    scoringTimeoutMs: num(top.scoringTimeoutMs),
    replicaMaxConcurrentRequests: num(top.maxConcurrentRequestsPerContainer),
    maxRequestWaitTimeMs: num(top.maxQueueWaitMs),
    livenessProbe,
    namespace: top.namespace as string | undefined,
    enableAppInsights: top.appInsightsEnabled as boolean | undefined,
    collectModelData: dc.storageEnabled as boolean | undefined,
    primaryKey: keys.primaryKey as string | undefined,
    secondaryKey: keys.secondaryKey as string | undefined,
    tags: pick<Record<string, string>>(top.tags, top.kvTags, "tags", "kvTags"),
    description: top.description as string | undefined,
  };
}
