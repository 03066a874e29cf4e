/**
 * The router's process settings, read from the environment (the names are the
 * router contract's, contract/routerEnvironment.ts). Every bad value is reported at
 * once with what to fix.
 */
import { MAX_REQUEST_BYTES } from "./contract/serviceConfig.js";
import {
  CAPTURE_BUFFER_BYTES_RANGE,
  DEFAULT_CAPTURE_BUFFER_BYTES,
  DEFAULT_CAPTURE_FLUSH_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REPLICA_TABLE_SIZE,
  DEFAULT_SERVICE_TABLE_SIZE,
  DEFAULT_SHUTDOWN_GRACE_MS,
  MAX_CAPTURE_FLUSH_MS,
  MODEL_DATA_CONTAINER,
  DEFAULT_WATCH_NAMESPACES,
  KUBERNETES_BACKEND,
  MAX_CONNECTIONS_LIMIT,
  MAX_REPLICA_TABLE_SIZE,
  MAX_SERVICE_TABLE_SIZE,
  MAX_ROUTER_REPLICAS,
  MAX_SHUTDOWN_GRACE_MS,
  MAX_WATCH_NAMESPACES,
  ROUTER_ENV,
  ROUTER_TUNING_ENV,
} from "./contract/routerEnvironment.js";
import { MAX_ROUTER_CPU_PER_POD, type RouterSizeBounds } from "./contract/routerSize.js";
import { BACKENDS, type BackendKind } from "./backends/index.js";
import { acmeSolverUrlProblem } from "./acmeChallenge.js";
import { parseWorkersSetting } from "./contract/workerCount.js";

export type { BackendKind };

export interface RouterEnvConfig {
  backend: BackendKind;
  /** PEM files; both or neither. When set the data port serves HTTPS. */
  tls?: { certFile: string; keyFile: string };
  maxRequestBytes: number;
  podName: string;
  podNamespace?: string;
  podIp?: string;
  peersService?: string;
  leaseName?: string;
  routerDeployment?: string;
  selfScaling: boolean;
  /** The bounds AzuremlFe set (unset ones take the self-scaler's defaults; no CPU bounds: no vertical scaling). */
  selfScalingBounds: Partial<RouterSizeBounds>;
  logLevel: string;
  /** Longest wait for in-flight requests after SIGTERM. */
  shutdownGraceMs: number;
  /** Namespaces whose model services the Kubernetes backend watches. */
  watchNamespaces: string[];
  /** File holding the secret router processes share on the peer load endpoint; required with a lease. */
  peerSecretFile?: string;
  /** Client connections served at once over all workers; one more gets a 503. */
  maxConnections: number;
  /** Data-path worker threads, or "auto" (one per whole CPU of the container's limit). */
  workers: number | "auto";
  /** Services served at once (rows of the workers' slot table). */
  serviceTableSize: number;
  /** Replicas tracked at once over all services (rows of the workers' slot table). */
  replicaTableSize: number;
  /** cert-manager's HTTP-01 solver (`http://host:port`); with TLS, the ACME port forwards challenges to it. */
  acmeHttp01SolverUrl?: string;
  /** Where model data capture writes: exactly one destination, or none (capture then counts `no_destination`). */
  modelData?: { containerUrl: string } | { connectionString: string; container: string } | { dir: string };
  captureBufferBytes: number;
  captureFlushMs: number;
  /** Application Insights: the router's telemetry for services with `appInsightsEnabled`. */
  appInsights?: { connectionString: string; samplingRatio: number };
}

export class RouterConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid router environment:\n  - ${problems.join("\n  - ")}`);
    this.name = "RouterConfigError";
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env): RouterEnvConfig {
  const problems: string[] = [];
  const get = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  /** A decimal integer in [min, max], or `fallback` when unset; a bad value is a problem. */
  const integer = (name: string, min: number, max: number, fallback: number, unit: string): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (${unit}), got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return n;
  };

  const backendRaw = get(ROUTER_ENV.backend) ?? KUBERNETES_BACKEND;
  const kinds = Object.keys(BACKENDS);
  if (!kinds.includes(backendRaw))
    problems.push(
      `${ROUTER_ENV.backend} must be ${kinds.map((k) => JSON.stringify(k)).join(" or ")}, got ${JSON.stringify(backendRaw)}`,
    );

  const certFile = get(ROUTER_ENV.tlsCertFile);
  const keyFile = get(ROUTER_ENV.tlsKeyFile);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push(
      `${ROUTER_ENV.tlsCertFile} and ${ROUTER_ENV.tlsKeyFile} must be set together (PEM certificate chain and private key) or both left unset for plain HTTP`,
    );
  }

  const maxRequestBytes = integer(
    ROUTER_ENV.maxRequestBytes,
    1,
    MAX_REQUEST_BYTES,
    MAX_REQUEST_BYTES,
    "bytes (100 MB, the azureml-fe limit)",
  );
  const maxConnections = integer(
    ROUTER_TUNING_ENV.maxConnections,
    1,
    MAX_CONNECTIONS_LIMIT,
    DEFAULT_MAX_CONNECTIONS,
    "client connections per router pod, over all its workers",
  );
  const serviceTableSize = integer(
    ROUTER_TUNING_ENV.serviceTableSize,
    1,
    MAX_SERVICE_TABLE_SIZE,
    DEFAULT_SERVICE_TABLE_SIZE,
    "services served at once",
  );
  const replicaTableSize = integer(
    ROUTER_TUNING_ENV.replicaTableSize,
    1,
    MAX_REPLICA_TABLE_SIZE,
    DEFAULT_REPLICA_TABLE_SIZE,
    "replicas tracked at once over all services",
  );
  const workersSetting = parseWorkersSetting(env[ROUTER_ENV.workers]);
  if ("problem" in workersSetting) problems.push(`${ROUTER_ENV.workers} ${workersSetting.problem}`);

  let selfScaling = false;
  const selfRaw = get(ROUTER_ENV.selfScaling);
  if (selfRaw !== undefined) {
    if (selfRaw !== "true" && selfRaw !== "false")
      problems.push(`${ROUTER_ENV.selfScaling} must be "true" or "false", got ${JSON.stringify(selfRaw)}`);
    selfScaling = selfRaw === "true";
  }

  const selfScalingBounds = selfScalingBoundsFrom(get, problems);

  // Default: the 60 s default scoring timeout plus margin, so a rollout never cuts a
  // request the replica is still allowed to answer.
  const shutdownGraceMs = integer(
    ROUTER_ENV.shutdownGraceMs,
    0,
    MAX_SHUTDOWN_GRACE_MS,
    DEFAULT_SHUTDOWN_GRACE_MS,
    "milliseconds",
  );

  const watchNamespaces = watchNamespacesFrom(get(ROUTER_ENV.watchNamespaces), problems);
  const peerSecretFile = get(ROUTER_ENV.peerSecretFile);
  if (get(ROUTER_ENV.leaseName) !== undefined && peerSecretFile === undefined)
    problems.push(
      `${ROUTER_ENV.peerSecretFile} must name the file holding the router peers' shared secret when ${ROUTER_ENV.leaseName} is set: the peer load endpoint refuses reports without it`,
    );

  const acmeHttp01SolverUrl = get(ROUTER_ENV.acmeHttp01SolverUrl);
  if (acmeHttp01SolverUrl !== undefined) {
    const problem = acmeSolverUrlProblem(acmeHttp01SolverUrl);
    if (problem) problems.push(`${ROUTER_ENV.acmeHttp01SolverUrl}: ${problem}`);
    if (certFile === undefined)
      problems.push(
        `${ROUTER_ENV.acmeHttp01SolverUrl} needs ${ROUTER_ENV.tlsCertFile} and ${ROUTER_ENV.tlsKeyFile}: the ACME port exists to obtain the certificate the HTTPS port serves`,
      );
  }

  const capture = captureFrom(get, integer, problems);

  const logLevel = get(ROUTER_ENV.logLevel) ?? "info";
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`${ROUTER_ENV.logLevel} must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);

  if (problems.length) throw new RouterConfigError(problems);
  return {
    backend: backendRaw as BackendKind,
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    maxRequestBytes,
    podName: get(ROUTER_ENV.podName) ?? `router-${process.pid}`,
    podNamespace: get(ROUTER_ENV.podNamespace),
    podIp: get(ROUTER_ENV.podIp),
    peersService: get(ROUTER_ENV.peersService),
    leaseName: get(ROUTER_ENV.leaseName),
    routerDeployment: get(ROUTER_ENV.routerDeployment),
    selfScaling,
    selfScalingBounds,
    logLevel,
    shutdownGraceMs,
    watchNamespaces,
    peerSecretFile,
    maxConnections,
    workers: "workers" in workersSetting ? workersSetting.workers : "auto",
    serviceTableSize,
    replicaTableSize,
    acmeHttp01SolverUrl,
    ...capture,
  };
}

type CaptureConfig = Pick<RouterEnvConfig, "modelData" | "captureBufferBytes" | "captureFlushMs" | "appInsights">;

/** The model data destination (one of three), the capture bounds, and Application Insights. */
function captureFrom(
  get: (k: string) => string | undefined,
  integer: (name: string, min: number, max: number, fallback: number, unit: string) => number,
  problems: string[],
): CaptureConfig {
  const containerUrl = get(ROUTER_ENV.modelDataContainerUrl);
  const connectionString = get(ROUTER_TUNING_ENV.modelDataConnectionString);
  const dir = get(ROUTER_TUNING_ENV.modelDataDir);
  const given = [containerUrl, connectionString, dir].filter((v) => v !== undefined).length;
  if (given > 1)
    problems.push(
      `set one model data destination: ${ROUTER_ENV.modelDataContainerUrl}, ${ROUTER_TUNING_ENV.modelDataConnectionString} or ${ROUTER_TUNING_ENV.modelDataDir}`,
    );
  if (containerUrl !== undefined && !/^https?:\/\/[^/]+\/[a-z0-9][a-z0-9-]{2,62}\/?$/.test(containerUrl))
    problems.push(
      `${ROUTER_ENV.modelDataContainerUrl} must be a blob container URL (https://<account>.blob.core.windows.net/<container>), got ${JSON.stringify(containerUrl)}`,
    );
  const modelData: CaptureConfig["modelData"] =
    containerUrl !== undefined
      ? { containerUrl }
      : connectionString !== undefined
        ? { connectionString, container: get(ROUTER_TUNING_ENV.modelDataContainer) ?? MODEL_DATA_CONTAINER }
        : dir !== undefined
          ? { dir }
          : undefined;
  const captureBufferBytes = integer(
    ROUTER_ENV.captureBufferBytes,
    CAPTURE_BUFFER_BYTES_RANGE.min,
    CAPTURE_BUFFER_BYTES_RANGE.max,
    DEFAULT_CAPTURE_BUFFER_BYTES,
    "bytes per data-listener thread",
  );
  const captureFlushMs = integer(
    ROUTER_ENV.captureFlushMs,
    0,
    MAX_CAPTURE_FLUSH_MS,
    DEFAULT_CAPTURE_FLUSH_MS,
    "milliseconds",
  );
  const aiConnection = get(ROUTER_ENV.appInsightsConnectionString);
  const ratioRaw = get(ROUTER_TUNING_ENV.appInsightsSamplingRatio);
  let samplingRatio = 1;
  if (ratioRaw !== undefined) {
    const r = Number(ratioRaw);
    if (!Number.isFinite(r) || r < 0 || r > 1)
      problems.push(
        `${ROUTER_TUNING_ENV.appInsightsSamplingRatio} must be a number from 0 to 1, got ${JSON.stringify(ratioRaw)}`,
      );
    else samplingRatio = r;
  }
  if (aiConnection !== undefined && !/(^|;)\s*instrumentationkey=[0-9a-f-]{36}/i.test(aiConnection))
    problems.push(
      `${ROUTER_ENV.appInsightsConnectionString} must be an Application Insights connection string (InstrumentationKey=<guid>;IngestionEndpoint=...)`,
    );
  return {
    modelData,
    captureBufferBytes,
    captureFlushMs,
    appInsights: aiConnection !== undefined ? { connectionString: aiConnection, samplingRatio } : undefined,
  };
}

/** The self-scaling bounds that are set: integers in range, each minimum at most its maximum. */
function selfScalingBoundsFrom(get: (k: string) => string | undefined, problems: string[]): Partial<RouterSizeBounds> {
  const bounds: Partial<RouterSizeBounds> = {};
  const pairs = [
    ["minPods", "maxPods", ROUTER_ENV.selfScalingMinPods, ROUTER_ENV.selfScalingMaxPods, MAX_ROUTER_REPLICAS, "pods"],
    [
      "minCpuPerPod",
      "maxCpuPerPod",
      ROUTER_ENV.selfScalingMinCpuPerPod,
      ROUTER_ENV.selfScalingMaxCpuPerPod,
      MAX_ROUTER_CPU_PER_POD,
      "whole CPU cores per pod",
    ],
  ] as const;
  for (const [minKey, maxKey, minName, maxName, limit, unit] of pairs) {
    for (const [key, name] of [
      [minKey, minName],
      [maxKey, maxName],
    ] as const) {
      const raw = get(name);
      if (raw === undefined) continue;
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < 1 || n > limit)
        problems.push(`${name} must be an integer between 1 and ${limit} (${unit}), got ${JSON.stringify(raw)}`);
      else bounds[key] = n;
    }
    const [lo, hi] = [bounds[minKey], bounds[maxKey]];
    if (lo !== undefined && hi !== undefined && lo > hi)
      problems.push(`${minName} (${lo}) must not exceed ${maxName} (${hi})`);
  }
  return bounds;
}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The watched namespaces from their comma-separated list (unset: the default namespace). */
function watchNamespacesFrom(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [...DEFAULT_WATCH_NAMESPACES];
  const names = raw.split(",").map((n) => n.trim());
  const bad = names.filter((n) => !NAMESPACE_NAME.test(n));
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (bad.length || twice.length || names.length > MAX_WATCH_NAMESPACES)
    problems.push(
      `${ROUTER_ENV.watchNamespaces} must be 1 to ${MAX_WATCH_NAMESPACES} distinct namespace names separated by commas, got ${JSON.stringify(raw)}`,
    );
  return names;
}
