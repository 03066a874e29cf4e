/** Every AksInferenceCluster arg and its kind (the compiler holds this complete; see shared/argShape.ts). */
import type { ArgShape } from "../shared/argShape.js";
import type { AksMonitoringArgs } from "../shared/clusterMonitoring.js";
import type {
  AksEgressArgs,
  AksGpuNodePoolArgs,
  AksAutoscalerProfileArgs,
  AksInferenceClusterArgs,
  AksLeafCertificateArgs,
  AksMaintenanceWindowArgs,
  AksNetworkArgs,
  AksNodePoolArgs,
  AksTlsArgs,
  AksUpgradeArgs,
} from "./args.js";

const NETWORK = {
  plugin: "string",
  vnetResourceGroupName: "string",
  vnetName: "string",
  subnetName: "string",
  serviceCidr: "string",
  dnsServiceIP: "string",
  dockerBridgeCidr: "string",
  vnetAddressSpace: "string",
  aksSubnetPrefix: "string",
  firewallSubnetPrefix: "string",
} as const satisfies ArgShape<AksNetworkArgs>;

const LEAF_CERTIFICATE = {
  email: "string",
  acmeEnvironment: "string",
  installCertManager: "boolean",
} as const satisfies ArgShape<AksLeafCertificateArgs>;

const TLS = {
  sslCname: "string",
  sslCertPem: "string",
  sslKeyPem: "string",
  leafDomainLabel: "string",
  leafCertificate: { fields: LEAF_CERTIFICATE },
} as const satisfies ArgShape<AksTlsArgs>;

const NODE_POOL = {
  name: "string",
  vmSize: "string",
  count: "number",
  vcpusPerNode: "number",
  minCount: "number",
  maxCount: "number",
  labels: "stringMap",
  taints: "stringList",
  maxSurge: "string",
} as const satisfies ArgShape<AksNodePoolArgs>;

const GPU_NODE_POOL = {
  name: "string",
  vmSize: "string",
  count: "number",
  vcpusPerNode: "number",
  minCount: "number",
  maxCount: "number",
  devicePluginImage: "string",
  maxSurge: "string",
} as const satisfies ArgShape<AksGpuNodePoolArgs>;

const EGRESS = { firewall: "boolean", extraFqdns: "stringList" } as const satisfies ArgShape<AksEgressArgs>;

const MAINTENANCE_WINDOW = {
  enabled: "boolean",
  dayOfWeek: "string",
  startTime: "string",
  durationHours: "number",
  utcOffset: "string",
  intervalWeeks: "number",
} as const satisfies ArgShape<AksMaintenanceWindowArgs>;

const UPGRADE = {
  channel: "string",
  nodeOsChannel: "string",
  maintenanceWindow: { fields: MAINTENANCE_WINDOW },
} as const satisfies ArgShape<AksUpgradeArgs>;

const AUTOSCALER_PROFILE = {
  expander: "string",
  scaleDownDelayAfterAdd: "string",
  scaleDownUnneededTime: "string",
} as const satisfies ArgShape<AksAutoscalerProfileArgs>;

const MONITORING = {
  logAnalyticsWorkspaceId: "string",
  dataCollectionRuleId: "string",
  defenderForContainers: "boolean",
  applicationInsights: "boolean",
} as const satisfies ArgShape<AksMonitoringArgs>;

export const AKS_INFERENCE_CLUSTER_ARG_SHAPE = {
  clusterPurpose: "string",
  agentCount: "number",
  vmSize: "string",
  vcpusPerNode: "number",
  location: "string",
  resourceGroupName: "string",
  kubernetesVersion: "string",
  dnsPrefix: "string",
  skuTier: "string",
  network: { fields: NETWORK },
  loadBalancerType: "string",
  loadBalancerSubnet: "string",
  tls: { fields: TLS },
  existingClusterId: "string",
  userNodePools: { items: { fields: NODE_POOL } },
  gpuNodePool: { fields: GPU_NODE_POOL },
  egress: { fields: EGRESS },
  monitoring: { fields: MONITORING },
  acrSku: "string",
  modelContainerName: "string",
  tags: "stringMap",
  agentMinCount: "number",
  agentMaxCount: "number",
  agentMaxSurge: "string",
  upgrade: { fields: UPGRADE },
  autoscalerProfile: { fields: AUTOSCALER_PROFILE },
} as const satisfies ArgShape<AksInferenceClusterArgs>;
