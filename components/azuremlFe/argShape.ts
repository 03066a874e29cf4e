/** Every AzuremlFe arg and its kind (the compiler holds this complete; see shared/argShape.ts). */
import type { ArgShape } from "../shared/argShape.js";
import { CLUSTER_CONNECTION_SHAPE, REGISTRY_CREDENTIALS_SHAPE } from "../shared/connectionShapes.js";
import type {
  AzuremlFeArgs,
  MetricsScraperArgs,
  ModelDataCaptureArgs,
  RegistryCredentialsArgs,
  RouterDnsRecordArgs,
  RouterMonitoringArgs,
  RouterSelfScalingArgs,
} from "./args.js";

const MODEL_DATA_CAPTURE = {
  bufferBytes: "number",
  flushSeconds: "number",
} as const satisfies ArgShape<ModelDataCaptureArgs>;

const MONITORING = {
  podAnnotations: "boolean",
  podMonitor: "boolean",
  grafanaDashboard: "boolean",
} as const satisfies ArgShape<RouterMonitoringArgs>;

const DNS_RECORD = {
  resourceGroupName: "string",
  zoneName: "string",
  relativeRecordSetName: "string",
  ttl: "number",
} as const satisfies ArgShape<RouterDnsRecordArgs>;

const METRICS_SCRAPER = {
  enabled: "boolean",
  namespace: "string",
  podLabels: "stringMap",
} as const satisfies ArgShape<MetricsScraperArgs>;

const SELF_SCALING = {
  minPods: "number",
  maxPods: "number",
  minCpuPerPod: "number",
  maxCpuPerPod: "number",
} as const satisfies ArgShape<RouterSelfScalingArgs>;

export const AZUREML_FE_ARG_SHAPE = {
  cluster: { fields: CLUSTER_CONNECTION_SHAPE },
  namespace: "string",
  image: "string",
  registryCredentials: { fields: REGISTRY_CREDENTIALS_SHAPE satisfies ArgShape<RegistryCredentialsArgs> },
  replicas: "number",
  cpuPerPod: "number",
  selfScaling: { fields: SELF_SCALING },
  nodeVcpus: "number",
  maxRequestBytes: "number",
  logLevel: "string",
  dnsRecord: { fields: DNS_RECORD },
  serviceNamespaces: "stringList",
  metricsScraper: { fields: METRICS_SCRAPER },
  modelDataCapture: { fields: MODEL_DATA_CAPTURE },
  appInsightsConnectionString: "string",
  monitoring: { fields: MONITORING },
} as const satisfies ArgShape<AzuremlFeArgs>;
