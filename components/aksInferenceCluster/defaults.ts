/**
 * Azure ML applies its provisioning defaults service-side; aksml applies them here,
 * explicitly, so every value the cluster is built from is visible and testable.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterPurpose, LoadBalancerType } from "../shared/clusterConnection.js";
import {
  AcmeEnvironment,
  AcrSku,
  AksSkuTier,
  AutoscalerExpander,
  NetworkPlugin,
  NodeOsUpgradeChannel,
  UpgradeChannel,
  WeekDay,
  type AksInferenceClusterArgs,
  type AksTlsArgs,
} from "./args.js";
import type { AksMonitoringArgs } from "../shared/clusterMonitoring.js";
import { vcpusForVmSize } from "./vmSizes.js";
import { imageRegistryHost } from "./gpuDevicePlugin.js";
import { known } from "../shared/inputs.js";

export const DEFAULTS = {
  clusterPurpose: ClusterPurpose.FastProd,
  /** Azure ML's FastProd default of 3 x Standard_D3_v2 (4 vCPUs), in the current generation. */
  prodAgentCount: 3,
  prodVmSize: "Standard_D4s_v5",
  devTestAgentCount: 1,
  devTestVmSize: "Standard_D2s_v5",
  prodSkuTier: AksSkuTier.Standard,
  devTestSkuTier: AksSkuTier.Free,
  loadBalancerType: LoadBalancerType.PublicIp,
  loadBalancerSubnet: "aks-subnet",
  networkPlugin: NetworkPlugin.Kubenet,
  subnetName: "aks-subnet",
  serviceCidr: "10.0.0.0/16",
  dnsServiceIP: "10.0.0.10",
  vnetAddressSpace: "10.42.0.0/16",
  aksSubnetPrefix: "10.42.0.0/20",
  firewallSubnetPrefix: "10.42.255.0/26",
  gpuPoolName: "gpu",
  gpuVmSize: "Standard_NC4as_T4_v3",
  gpuDevicePluginImage: "nvcr.io/nvidia/k8s-device-plugin:v0.18.0",
  poolCount: 1,
  acrSku: AcrSku.Basic,
  modelContainerName: "models",
  /** The taint that keeps non-GPU pods off GPU nodes; GPU pods tolerate it. */
  gpuTaint: "nvidia.com/gpu=present:NoSchedule",
  /** AKS's recommendation for production pools: a third of the pool at a time. */
  prodMaxSurge: "33%",
  devTestMaxSurge: "1",
  /** GPU quota is scarce and every surge node needs it. */
  gpuMaxSurge: "1",
  /** Patches only: the minor version moves when `kubernetesVersion` does, and only then. */
  upgradeChannel: UpgradeChannel.Patch,
  /** AKS's default: weekly images with security fixes, honouring the window and maxSurge, at no extra cost. */
  nodeOsUpgradeChannel: NodeOsUpgradeChannel.NodeImage,
  /** A weekly weekend window outside DevTest (node images ship weekly). */
  maintenanceWindow: {
    dayOfWeek: WeekDay.Saturday,
    startTime: "00:00",
    durationHours: 8,
    utcOffset: "+00:00",
    intervalWeeks: 1,
  },
  autoscalerProfile: {
    expander: AutoscalerExpander.LeastWaste,
    scaleDownDelayAfterAdd: "10m",
    scaleDownUnneededTime: "10m",
  },
  acmeEnvironment: AcmeEnvironment.Production,
  installCertManager: true,
} as const;

/** A node pool with every default applied. */
export interface ResolvedNodePool {
  readonly name: pulumi.Input<string>;
  readonly vmSize: pulumi.Input<string>;
  readonly count: pulumi.Input<number>;
  /** From the vCPU table or the explicit `vcpusPerNode`; undefined when neither is known. */
  readonly vcpusPerNode?: pulumi.Input<number>;
  /** True when the size is not in the table (the pool then carries the `aksml-vcpus-per-node` tag). */
  readonly vcpusFromArgs: boolean;
  readonly autoscale: boolean;
  readonly minCount?: pulumi.Input<number>;
  readonly maxCount?: pulumi.Input<number>;
  readonly labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly taints?: pulumi.Input<pulumi.Input<string>[]>;
  readonly maxSurge: pulumi.Input<string>;
}

/** The maintenance window with every default applied. */
export interface ResolvedMaintenanceWindow {
  readonly dayOfWeek: pulumi.Input<WeekDay>;
  readonly startTime: pulumi.Input<string>;
  readonly durationHours: pulumi.Input<number>;
  readonly utcOffset: pulumi.Input<string>;
  readonly intervalWeeks: pulumi.Input<number>;
}

export interface ResolvedUpgrade {
  readonly channel: pulumi.Input<UpgradeChannel>;
  readonly nodeOsChannel: pulumi.Input<NodeOsUpgradeChannel>;
  /** Undefined when the window is off. */
  readonly maintenanceWindow?: ResolvedMaintenanceWindow;
}

export interface ResolvedAutoscalerProfile {
  readonly expander: pulumi.Input<AutoscalerExpander>;
  readonly scaleDownDelayAfterAdd: pulumi.Input<string>;
  readonly scaleDownUnneededTime: pulumi.Input<string>;
}

/** The leaf domain certificate with every default applied. */
export interface ResolvedLeafCertificate {
  readonly email?: pulumi.Input<string>;
  readonly acmeEnvironment: pulumi.Input<AcmeEnvironment>;
  readonly installCertManager: boolean;
}

export interface ResolvedNetwork {
  readonly plugin: pulumi.Input<NetworkPlugin>;
  /** True when the six custom-VNet fields name an existing VNet. */
  readonly existingVnet: boolean;
  /** True when aksml creates the VNet (Azure CNI or firewall without an existing VNet). */
  readonly createVnet: boolean;
  readonly vnetResourceGroupName?: pulumi.Input<string>;
  readonly vnetName?: pulumi.Input<string>;
  readonly subnetName: pulumi.Input<string>;
  readonly serviceCidr: pulumi.Input<string>;
  readonly dnsServiceIP: pulumi.Input<string>;
  readonly dockerBridgeCidr?: pulumi.Input<string>;
  readonly vnetAddressSpace: pulumi.Input<string>;
  readonly aksSubnetPrefix?: pulumi.Input<string>;
  readonly firewallSubnetPrefix?: pulumi.Input<string>;
}

export interface ResolvedAksInferenceClusterArgs {
  readonly clusterPurpose: pulumi.Input<ClusterPurpose>;
  readonly existingClusterId?: pulumi.Input<string>;
  readonly systemPool: ResolvedNodePool;
  readonly location?: pulumi.Input<string>;
  readonly resourceGroupName?: pulumi.Input<string>;
  readonly kubernetesVersion?: pulumi.Input<string>;
  readonly dnsPrefix: pulumi.Input<string>;
  readonly skuTier: pulumi.Input<AksSkuTier>;
  readonly network: ResolvedNetwork;
  readonly loadBalancerType: pulumi.Input<LoadBalancerType>;
  /** Set only for an internal load balancer. */
  readonly loadBalancerSubnet?: pulumi.Input<string>;
  /** PEMs already wrapped in `pulumi.secret`. */
  readonly tls: Omit<AksTlsArgs, "leafCertificate">;
  /** Set exactly when there is a leaf domain label. */
  readonly leafCertificate?: ResolvedLeafCertificate;
  readonly upgrade: ResolvedUpgrade;
  readonly autoscalerProfile: ResolvedAutoscalerProfile;
  /** Whether any pool (system, user or GPU) autoscales: the autoscaler profile is sent only then. */
  readonly anyAutoscale: boolean;
  readonly userNodePools: ResolvedNodePool[];
  readonly gpuNodePool?: ResolvedNodePool;
  /** Set exactly when there is a GPU pool. */
  readonly gpuDevicePluginImage?: pulumi.Input<string>;
  readonly firewall: boolean;
  readonly extraFqdns: pulumi.Input<pulumi.Input<string>[]>;
  readonly monitoring?: AksMonitoringArgs & { defenderForContainers: pulumi.Input<boolean> };
  readonly acrSku: pulumi.Input<AcrSku>;
  readonly modelContainerName: pulumi.Input<string>;
  readonly tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** A Kubernetes version with a patch number, e.g. 1.33.2 (which a patch-taking upgrade channel would move). */
export const PINNED_PATCH = /^\d+\.\d+\.\d+$/;

/** Picks a default by purpose, now if the purpose is known, otherwise once it resolves. */
function byPurpose<T>(purpose: pulumi.Input<ClusterPurpose>, prod: T, devTest: T): pulumi.Input<T> {
  const p = known(purpose);
  if (p !== undefined) return p === ClusterPurpose.DevTest ? devTest : prod;
  return pulumi.output(purpose).apply((v) => (v === ClusterPurpose.DevTest ? devTest : prod)) as pulumi.Input<T>;
}

/** DNS prefix from a component name: lowercase alphanumerics and dashes, starting with a letter. */
export function dnsPrefixFor(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  // Cut to AKS's 54 characters, then drop dashes the cut may leave at the end (a DNS prefix ends alphanumeric).
  return (cleaned || "aksml").slice(0, 54).replace(/-+$/, "");
}

function resolvePool(
  pool: {
    name: pulumi.Input<string>;
    vmSize: pulumi.Input<string>;
    count?: pulumi.Input<number>;
    vcpusPerNode?: pulumi.Input<number>;
    minCount?: pulumi.Input<number>;
    maxCount?: pulumi.Input<number>;
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    taints?: pulumi.Input<pulumi.Input<string>[]>;
    maxSurge?: pulumi.Input<string>;
  },
  defaultMaxSurge: pulumi.Input<string>,
): ResolvedNodePool {
  const size = known(pool.vmSize);
  const tableVcpus = size === undefined ? undefined : vcpusForVmSize(size);
  const autoscale = pool.minCount !== undefined && pool.maxCount !== undefined;
  return {
    name: pool.name,
    vmSize: pool.vmSize,
    count: pool.count ?? (autoscale ? pool.minCount! : DEFAULTS.poolCount),
    vcpusPerNode:
      pool.vcpusPerNode ??
      (size !== undefined
        ? tableVcpus
        : // Known only at deploy time; a size missing from the table is then rejected by the deferred check.
          pulumi.output(pool.vmSize).apply((s) => vcpusForVmSize(s) ?? 0)),
    vcpusFromArgs: size !== undefined && tableVcpus === undefined,
    autoscale,
    minCount: pool.minCount,
    maxCount: pool.maxCount,
    labels: pool.labels,
    taints: pool.taints,
    maxSurge: pool.maxSurge ?? defaultMaxSurge,
  };
}

/** Applies every default. Pure: creates no resources. */
export function resolveAksInferenceClusterArgs(
  name: string,
  args: AksInferenceClusterArgs,
): ResolvedAksInferenceClusterArgs {
  const clusterPurpose = args.clusterPurpose ?? DEFAULTS.clusterPurpose;
  const network = args.network ?? {};
  const firewall = known(args.egress?.firewall) ?? false;
  const plugin = network.plugin ?? DEFAULTS.networkPlugin;
  const existingVnet = network.vnetName !== undefined || network.vnetResourceGroupName !== undefined;
  const createVnet = !existingVnet && (known(plugin) === NetworkPlugin.Azure || firewall);
  const loadBalancerType = args.loadBalancerType ?? DEFAULTS.loadBalancerType;
  const internal = known(loadBalancerType) === LoadBalancerType.InternalLoadBalancer;
  const gpu = args.gpuNodePool;
  const tls = args.tls ?? {};
  const poolMaxSurge = byPurpose(clusterPurpose, DEFAULTS.prodMaxSurge, DEFAULTS.devTestMaxSurge);
  const systemAutoscale = args.agentMinCount !== undefined && args.agentMaxCount !== undefined;
  const systemPool = resolvePool(
    {
      name: "system",
      vmSize: args.vmSize ?? byPurpose(clusterPurpose, DEFAULTS.prodVmSize, DEFAULTS.devTestVmSize),
      // An autoscaled system pool starts at its minimum unless agentCount says otherwise.
      count:
        args.agentCount ??
        (systemAutoscale ? undefined : byPurpose(clusterPurpose, DEFAULTS.prodAgentCount, DEFAULTS.devTestAgentCount)),
      vcpusPerNode: args.vcpusPerNode ?? (args.vmSize === undefined ? byPurpose(clusterPurpose, 4, 2) : undefined),
      minCount: args.agentMinCount,
      maxCount: args.agentMaxCount,
      maxSurge: args.agentMaxSurge,
    },
    poolMaxSurge,
  );
  const userNodePools = (args.userNodePools ?? []).map((p) => resolvePool(p, poolMaxSurge));
  const gpuNodePool = gpu && {
    ...resolvePool(
      { ...gpu, name: gpu.name ?? DEFAULTS.gpuPoolName, vmSize: gpu.vmSize ?? DEFAULTS.gpuVmSize },
      DEFAULTS.gpuMaxSurge,
    ),
    labels: { "aksml/accelerator": "nvidia-gpu" },
    taints: [DEFAULTS.gpuTaint],
  };
  const window = args.upgrade?.maintenanceWindow ?? {};
  // Outside DevTest by default; with a purpose known only later, the production default.
  const windowOn = known(window.enabled) ?? known(clusterPurpose) !== ClusterPurpose.DevTest;
  const profile = args.autoscalerProfile ?? {};

  return {
    clusterPurpose,
    existingClusterId: args.existingClusterId,
    systemPool,
    location: args.location,
    resourceGroupName: args.resourceGroupName,
    kubernetesVersion: args.kubernetesVersion,
    dnsPrefix: args.dnsPrefix ?? dnsPrefixFor(name),
    skuTier: args.skuTier ?? byPurpose(clusterPurpose, DEFAULTS.prodSkuTier, DEFAULTS.devTestSkuTier),
    network: {
      plugin,
      existingVnet,
      createVnet,
      vnetResourceGroupName: network.vnetResourceGroupName,
      vnetName: network.vnetName,
      subnetName: network.subnetName ?? DEFAULTS.subnetName,
      serviceCidr: network.serviceCidr ?? DEFAULTS.serviceCidr,
      dnsServiceIP: network.dnsServiceIP ?? DEFAULTS.dnsServiceIP,
      dockerBridgeCidr: network.dockerBridgeCidr,
      vnetAddressSpace: network.vnetAddressSpace ?? DEFAULTS.vnetAddressSpace,
      aksSubnetPrefix: network.aksSubnetPrefix ?? (createVnet ? DEFAULTS.aksSubnetPrefix : undefined),
      firewallSubnetPrefix:
        network.firewallSubnetPrefix ?? (createVnet && firewall ? DEFAULTS.firewallSubnetPrefix : undefined),
    },
    loadBalancerType,
    // Azure ML's default "aks-subnet" is the subnet of the VNet AKS manages; in a VNet aksml
    // creates the only subnet is the node subnet, whatever network.subnetName calls it.
    loadBalancerSubnet:
      args.loadBalancerSubnet ??
      (internal ? (createVnet ? (network.subnetName ?? DEFAULTS.subnetName) : DEFAULTS.loadBalancerSubnet) : undefined),
    tls: {
      sslCname: tls.sslCname,
      sslCertPem: tls.sslCertPem === undefined ? undefined : pulumi.secret(tls.sslCertPem),
      sslKeyPem: tls.sslKeyPem === undefined ? undefined : pulumi.secret(tls.sslKeyPem),
      leafDomainLabel: tls.leafDomainLabel,
    },
    leafCertificate:
      tls.leafDomainLabel === undefined
        ? undefined
        : {
            email: tls.leafCertificate?.email,
            acmeEnvironment: tls.leafCertificate?.acmeEnvironment ?? DEFAULTS.acmeEnvironment,
            installCertManager: known(tls.leafCertificate?.installCertManager) ?? DEFAULTS.installCertManager,
          },
    upgrade: {
      // A pinned patch version (1.33.2) is taken at its word: no automatic Kubernetes upgrades then.
      channel:
        args.upgrade?.channel ??
        (PINNED_PATCH.test(known(args.kubernetesVersion) ?? "") ? UpgradeChannel.None : DEFAULTS.upgradeChannel),
      nodeOsChannel: args.upgrade?.nodeOsChannel ?? DEFAULTS.nodeOsUpgradeChannel,
      maintenanceWindow: windowOn
        ? {
            dayOfWeek: window.dayOfWeek ?? DEFAULTS.maintenanceWindow.dayOfWeek,
            startTime: window.startTime ?? DEFAULTS.maintenanceWindow.startTime,
            durationHours: window.durationHours ?? DEFAULTS.maintenanceWindow.durationHours,
            utcOffset: window.utcOffset ?? DEFAULTS.maintenanceWindow.utcOffset,
            intervalWeeks: window.intervalWeeks ?? DEFAULTS.maintenanceWindow.intervalWeeks,
          }
        : undefined,
    },
    autoscalerProfile: {
      expander: profile.expander ?? DEFAULTS.autoscalerProfile.expander,
      scaleDownDelayAfterAdd: profile.scaleDownDelayAfterAdd ?? DEFAULTS.autoscalerProfile.scaleDownDelayAfterAdd,
      scaleDownUnneededTime: profile.scaleDownUnneededTime ?? DEFAULTS.autoscalerProfile.scaleDownUnneededTime,
    },
    anyAutoscale: [systemPool, ...userNodePools, ...(gpuNodePool ? [gpuNodePool] : [])].some((p) => p.autoscale),
    userNodePools,
    gpuNodePool,
    gpuDevicePluginImage: gpu && (gpu.devicePluginImage ?? DEFAULTS.gpuDevicePluginImage),
    firewall,
    // The device plugin's registry must be reachable from the GPU nodes.
    extraFqdns: gpu
      ? pulumi
          .all([args.egress?.extraFqdns ?? [], gpu.devicePluginImage ?? DEFAULTS.gpuDevicePluginImage])
          .apply(([extra, image]) => [...new Set([...extra, imageRegistryHost(image)])])
      : (args.egress?.extraFqdns ?? []),
    monitoring: args.monitoring && {
      ...args.monitoring,
      defenderForContainers: args.monitoring.defenderForContainers ?? false,
    },
    // Behind the firewall, image layers must come from the registry's own data endpoint
    // (<acr>.<region>.data.azurecr.io), which only Premium registries offer.
    acrSku: args.acrSku ?? (firewall ? AcrSku.Premium : DEFAULTS.acrSku),
    modelContainerName: args.modelContainerName ?? DEFAULTS.modelContainerName,
    tags: args.tags ?? {},
  };
}
