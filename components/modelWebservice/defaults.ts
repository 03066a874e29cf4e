import { SERVICE_CONFIG_DEFAULTS, type AuthMode } from "../../router/contract/serviceConfig.js";
import type { ModelWebserviceSettingsInput } from "./settings.js";
import { MODEL_CACHE_DEFAULTS, resolveModelCache, type ModelCacheSettings } from "./modelCache.js";
import { STARTUP_PROBE_DEFAULTS, resolveStartupProbe, type StartupProbeSettings } from "./startupProbe.js";
import { DATA_COLLECTION_DEFAULTS, resolveDataCollection } from "./dataCollection.js";
import type { DataCollectionConfig } from "../../router/contract/serviceConfig.js";

export type { ModelWebserviceSettingsInput } from "./settings.js";

/**
 * Azure ML's documented defaults (`AksWebservice.deploy_configuration`), applied here.
 * The router-enforced ones are the contract's (`router/contract/serviceConfigSchema.ts`).
 */
export const MODEL_WEBSERVICE_DEFAULTS = {
  cpuCores: 0.1,
  memoryGb: 0.5,
  gpuCores: 0,
  autoscale: {
    minReplicas: SERVICE_CONFIG_DEFAULTS.autoscale.minReplicas,
    maxReplicas: SERVICE_CONFIG_DEFAULTS.autoscale.maxReplicas,
    refreshSeconds: SERVICE_CONFIG_DEFAULTS.autoscale.refreshSeconds,
    targetUtilization: SERVICE_CONFIG_DEFAULTS.autoscale.targetUtilization,
  },
  authEnabled: SERVICE_CONFIG_DEFAULTS.auth.mode === "key",
  tokenAuthEnabled: false,
  scoringTimeoutMs: SERVICE_CONFIG_DEFAULTS.scoringTimeoutMs,
  replicaMaxConcurrentRequests: SERVICE_CONFIG_DEFAULTS.maxConcurrentRequestsPerContainer,
  maxRequestWaitTimeMs: SERVICE_CONFIG_DEFAULTS.maxRequestWaitTimeMs,
  maxQueuedRequests: SERVICE_CONFIG_DEFAULTS.maxQueuedRequests,
  livenessProbe: {
    periodSeconds: 10,
    initialDelaySeconds: 310,
    timeoutSeconds: 2,
    successThreshold: 1,
    failureThreshold: 3,
  },
  /** The timeout defaults to the liveness probe's. */
  readinessProbe: {
    periodSeconds: 5,
    initialDelaySeconds: 0,
    successThreshold: 1,
    failureThreshold: 3,
  },
  /** Seconds a replica being replaced keeps serving before SIGTERM, while the router stops sending to it. */
  preStopSeconds: 5,
  startupProbe: STARTUP_PROBE_DEFAULTS,
  modelCache: MODEL_CACHE_DEFAULTS,
  namespace: "default",
  enableAppInsights: false,
  collectModelData: SERVICE_CONFIG_DEFAULTS.collectModelData,
  dataCollection: DATA_COLLECTION_DEFAULTS,
  cpuBaseImage: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
  gpuBaseImage: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cuda11.8-gpu-inference:latest",
  maxModels: 1000,
} as const;

export interface ModelWebserviceSettings {
  readonly cpuCores: number;
  readonly memoryGb: number;
  readonly cpuCoresLimit: number;
  readonly memoryGbLimit: number;
  readonly gpuCores: number;
  readonly autoscale: {
    readonly enabled: boolean;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly refreshSeconds: number;
    readonly targetUtilization: number;
  };
  readonly numReplicas?: number;
  readonly authMode: AuthMode;
  readonly tokenIssuer?: string;
  readonly tokenAudience?: string;
  readonly tokenJwksUri?: string;
  readonly tokenRequiredRole?: string;
  /** Token auth without `tokenIssuer`: the service gets its own Entra ID application (entra.ts). */
  readonly entraApplication: boolean;
  readonly scoringTimeoutMs: number;
  readonly replicaMaxConcurrentRequests: number;
  readonly maxRequestWaitTimeMs: number;
  readonly maxQueuedRequests: number;
  readonly livenessProbe: {
    readonly periodSeconds: number;
    readonly initialDelaySeconds: number;
    readonly timeoutSeconds: number;
    readonly successThreshold: number;
    readonly failureThreshold: number;
  };
  readonly readinessProbe: {
    readonly periodSeconds: number;
    readonly initialDelaySeconds: number;
    readonly timeoutSeconds: number;
    readonly successThreshold: number;
    readonly failureThreshold: number;
  };
  readonly startupProbe: StartupProbeSettings;
  readonly modelCache: ModelCacheSettings;
  readonly namespace: string;
  readonly enableAppInsights: boolean;
  readonly collectModelData: boolean;
  readonly dataCollection: DataCollectionConfig;
}

/** The default token audience of service `name` with an external `tokenIssuer`. */
export const defaultTokenAudience = (name: string) => `api://aksml/${name}`;

/** Applies every Azure ML default. Limits default to the requests (Azure ML's behaviour). */
export function resolveModelWebserviceSettings(name: string, a: ModelWebserviceSettingsInput): ModelWebserviceSettings {
  const d = MODEL_WEBSERVICE_DEFAULTS;
  const cpuCores = a.cpuCores ?? d.cpuCores;
  const memoryGb = a.memoryGb ?? d.memoryGb;
  const tokenAuth = a.tokenAuthEnabled ?? d.tokenAuthEnabled;
  // Token auth replaces key auth (never both), so key auth's default yields to it.
  const keyAuth = a.authEnabled ?? (tokenAuth ? false : d.authEnabled);
  const authMode: AuthMode = tokenAuth ? "token" : keyAuth ? "key" : "none";
  const as = a.autoscale ?? {};
  const livenessProbe = { ...d.livenessProbe, ...stripUndefined(a.livenessProbe ?? {}) };
  return {
    cpuCores,
    memoryGb,
    cpuCoresLimit: a.cpuCoresLimit ?? cpuCores,
    memoryGbLimit: a.memoryGbLimit ?? memoryGb,
    gpuCores: a.gpuCores ?? d.gpuCores,
    autoscale: {
      enabled: as.enabled ?? a.numReplicas === undefined,
      minReplicas: as.minReplicas ?? d.autoscale.minReplicas,
      maxReplicas: as.maxReplicas ?? d.autoscale.maxReplicas,
      refreshSeconds: as.refreshSeconds ?? d.autoscale.refreshSeconds,
      targetUtilization: as.targetUtilization ?? d.autoscale.targetUtilization,
    },
    numReplicas: a.numReplicas,
    authMode,
    tokenIssuer: tokenAuth ? a.tokenIssuer : undefined,
    // With the Entra ID application, the audience is its client id, known once it exists
    // (entra.ts); a given tokenAudience is then its identifier URI.
    tokenAudience: tokenAuth
      ? (a.tokenAudience ?? (a.tokenIssuer ? defaultTokenAudience(name) : undefined))
      : undefined,
    tokenJwksUri: tokenAuth ? a.tokenJwksUri : undefined,
    tokenRequiredRole: tokenAuth ? a.tokenRequiredRole : undefined,
    entraApplication: tokenAuth && a.tokenIssuer === undefined,
    scoringTimeoutMs: a.scoringTimeoutMs ?? d.scoringTimeoutMs,
    replicaMaxConcurrentRequests: a.replicaMaxConcurrentRequests ?? d.replicaMaxConcurrentRequests,
    maxRequestWaitTimeMs: a.maxRequestWaitTimeMs ?? d.maxRequestWaitTimeMs,
    maxQueuedRequests: a.maxQueuedRequests ?? d.maxQueuedRequests,
    livenessProbe,
    readinessProbe: {
      ...d.readinessProbe,
      timeoutSeconds: livenessProbe.timeoutSeconds,
      ...stripUndefined(a.readinessProbe ?? {}),
    },
    startupProbe: resolveStartupProbe(a.startupProbe),
    modelCache: resolveModelCache(a.modelCache),
    namespace: a.namespace ?? d.namespace,
    enableAppInsights: a.enableAppInsights ?? d.enableAppInsights,
    collectModelData: a.collectModelData ?? d.collectModelData,
    dataCollection: resolveDataCollection(a.dataCollection),
  };
}

/** The default base image for a GPU or CPU service. */
export const defaultBaseImage = (gpuCores: number) =>
  gpuCores > 0 ? MODEL_WEBSERVICE_DEFAULTS.gpuBaseImage : MODEL_WEBSERVICE_DEFAULTS.cpuBaseImage;

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
