/** Every ModelWebservice arg and its kind (the compiler holds this complete; see shared/argShape.ts). */
import type { ArgShape } from "../shared/argShape.js";
import {
  CLUSTER_CONNECTION_SHAPE,
  REGISTRY_CREDENTIALS_SHAPE,
  ROUTER_CONNECTION_SHAPE,
} from "../shared/connectionShapes.js";
import type {
  AutoscaleArgs,
  DataCollectionArgs,
  EnvironmentArgs,
  InferenceConfigArgs,
  KeyRotationArgs,
  LivenessProbeArgs,
  ModelArgs,
  ModelCacheArgs,
  ModelWebserviceArgs,
  ReadinessProbeArgs,
  RegistryPushCredentialsArgs,
  StartupProbeArgs,
} from "./args.js";

const MODEL = {
  name: "string",
  version: "number",
  path: "string",
  blobUri: "string",
  sha256: "string",
} as const satisfies ArgShape<ModelArgs>;

const ENVIRONMENT = {
  baseImage: "string",
  condaFile: "string",
  pipRequirements: "string",
  environmentVariables: "stringMap",
} as const satisfies ArgShape<EnvironmentArgs>;

const INFERENCE_CONFIG = {
  entryScript: "string",
  sourceDirectory: "string",
  environment: { fields: ENVIRONMENT },
} as const satisfies ArgShape<InferenceConfigArgs>;

const AUTOSCALE = {
  enabled: "boolean",
  minReplicas: "number",
  maxReplicas: "number",
  refreshSeconds: "number",
  targetUtilization: "number",
} as const satisfies ArgShape<AutoscaleArgs>;

const DATA_COLLECTION = {
  sampleRate: "number",
  maxBodyBytes: "number",
  redactJsonFields: "stringList",
} as const satisfies ArgShape<DataCollectionArgs>;

const LIVENESS_PROBE = {
  periodSeconds: "number",
  initialDelaySeconds: "number",
  timeoutSeconds: "number",
  successThreshold: "number",
  failureThreshold: "number",
} as const satisfies ArgShape<LivenessProbeArgs>;

const KEY_ROTATION = { primary: "number", secondary: "number" } as const satisfies ArgShape<KeyRotationArgs>;
const READINESS_PROBE = {
  periodSeconds: "number",
  initialDelaySeconds: "number",
  timeoutSeconds: "number",
  successThreshold: "number",
  failureThreshold: "number",
} as const satisfies ArgShape<ReadinessProbeArgs>;

const STARTUP_PROBE = {
  periodSeconds: "number",
  initialDelaySeconds: "number",
  timeoutSeconds: "number",
  successThreshold: "number",
  failureThreshold: "number",
} as const satisfies ArgShape<StartupProbeArgs>;

const MODEL_CACHE = { enabled: "boolean", maxSizeGb: "number" } as const satisfies ArgShape<ModelCacheArgs>;

export const MODEL_WEBSERVICE_ARG_SHAPE = {
  cluster: { fields: CLUSTER_CONNECTION_SHAPE },
  router: { fields: ROUTER_CONNECTION_SHAPE },
  models: { items: { fields: MODEL } },
  inferenceConfig: { fields: INFERENCE_CONFIG },
  image: "string",
  registryCredentials: { fields: REGISTRY_CREDENTIALS_SHAPE satisfies ArgShape<RegistryPushCredentialsArgs> },
  cpuCores: "number",
  memoryGb: "number",
  cpuCoresLimit: "number",
  memoryGbLimit: "number",
  gpuCores: "number",
  autoscale: { fields: AUTOSCALE },
  numReplicas: "number",
  authEnabled: "boolean",
  tokenAuthEnabled: "boolean",
  tokenIssuer: "string",
  tokenAudience: "string",
  tokenJwksUri: "string",
  tokenRequiredRole: "string",
  scoringTimeoutMs: "number",
  replicaMaxConcurrentRequests: "number",
  maxRequestWaitTimeMs: "number",
  maxQueuedRequests: "number",
  livenessProbe: { fields: LIVENESS_PROBE },
  readinessProbe: { fields: READINESS_PROBE },
  startupProbe: { fields: STARTUP_PROBE },
  modelCache: { fields: MODEL_CACHE },
  namespace: "string",
  enableAppInsights: "boolean",
  appInsightsConnectionString: "string",
  appInsightsKey: "string",
  collectModelData: "boolean",
  dataCollection: { fields: DATA_COLLECTION },
  primaryKey: "string",
  secondaryKey: "string",
  keyRotation: { fields: KEY_ROTATION },
  tags: "stringMap",
  description: "string",
} as const satisfies ArgShape<ModelWebserviceArgs>;
