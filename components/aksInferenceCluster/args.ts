/**
 * Arguments of AksInferenceCluster. They mirror Azure ML's
 * `AksCompute.provisioning_configuration` / `attach_configuration` in camelCase;
 * each field names its Azure ML counterpart and its default. Defaults are applied by
 * `resolveAksInferenceClusterArgs` (defaults.ts), rules by
 * `validateAksInferenceClusterArgs` (validate.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterPurpose, LoadBalancerType } from "../shared/clusterConnection.js";
import type { AksMonitoringArgs } from "../shared/clusterMonitoring.js";
import type { AksTlsArgs } from "./tlsArgs.js";
import type { AksAutoscalerProfileArgs, AksUpgradeArgs } from "./lifecycleArgs.js";

export * from "./lifecycleArgs.js";
export * from "./tlsArgs.js";

/** AKS network plugin. Azure ML: kubenet when no VNet is given, Azure CNI on a custom VNet. */
export const NetworkPlugin = {
  Kubenet: "kubenet",
  Azure: "azure",
} as const;
export type NetworkPlugin = (typeof NetworkPlugin)[keyof typeof NetworkPlugin];

/** ACR SKU. */
export const AcrSku = {
  Basic: "Basic",
  Standard: "Standard",
  Premium: "Premium",
} as const;
export type AcrSku = (typeof AcrSku)[keyof typeof AcrSku];

/** AKS control-plane tier. */
export const AksSkuTier = {
  Free: "Free",
  Standard: "Standard",
  Premium: "Premium",
} as const;
export type AksSkuTier = (typeof AksSkuTier)[keyof typeof AksSkuTier];

export interface AksNetworkArgs {
  /**
   * Network plugin. With `azure` and no existing VNet named below, a VNet and subnet are created.
   * @default "kubenet"
   */
  readonly plugin?: pulumi.Input<NetworkPlugin>;
  /**
   * Resource group of an existing VNet. One of the six custom-VNet fields (all or none).
   * Azure ML: `vnet_resourcegroup_name`.
   */
  readonly vnetResourceGroupName?: pulumi.Input<string>;
  /** Name of an existing VNet (custom-VNet field). Azure ML: `vnet_name`. */
  readonly vnetName?: pulumi.Input<string>;
  /**
   * Subnet for the nodes. On an existing VNet it must exist, except with `egress.firewall`,
   * where aksml creates it (a route table must be attached at creation) using `aksSubnetPrefix`.
   * On a created VNet it names the created subnet.
   * Azure ML: `subnet_name`.
   * @default "aks-subnet" (created VNet)
   */
  readonly subnetName?: pulumi.Input<string>;
  /**
   * Kubernetes service CIDR; set with `dnsServiceIP`. Azure ML: `service_cidr`.
   * @default "10.0.0.0/16"
   */
  readonly serviceCidr?: pulumi.Input<string>;
  /**
   * Cluster DNS service IP, inside `serviceCidr`. Azure ML: `dns_service_ip`.
   * @default "10.0.0.10"
   */
  readonly dnsServiceIP?: pulumi.Input<string>;
  /**
   * Docker bridge CIDR. Azure ML: `docker_bridge_cidr`. Accepted and checked for parity
   * with Azure ML's all-or-none rule; current AKS API versions no longer take it, so it is not sent.
   */
  readonly dockerBridgeCidr?: pulumi.Input<string>;
  /**
   * Address space of the created VNet (no Azure ML equivalent: Azure ML never creates a VNet).
   * @default "10.42.0.0/16"
   */
  readonly vnetAddressSpace?: pulumi.Input<string>;
  /**
   * Prefix of the created node subnet.
   * @default "10.42.0.0/20" on a created VNet; required when the firewall creates the subnet in an existing VNet
   */
  readonly aksSubnetPrefix?: pulumi.Input<string>;
  /**
   * Prefix of the `AzureFirewallSubnet` (at least /26) when `egress.firewall` is on.
   * @default "10.42.255.0/26" on a created VNet; required on an existing VNet
   */
  readonly firewallSubnetPrefix?: pulumi.Input<string>;
}

export interface AksNodePoolArgs {
  /** Pool name: lowercase letters and digits, starting with a letter, at most 12 characters. */
  readonly name: pulumi.Input<string>;
  /** VM size of the pool's nodes. */
  readonly vmSize: pulumi.Input<string>;
  /**
   * Node count (the initial count when autoscaling).
   * @default minCount when autoscaling, else 1
   */
  readonly count?: pulumi.Input<number>;
  /** vCPUs of one node; required when `vmSize` is not in the vCPU table. */
  readonly vcpusPerNode?: pulumi.Input<number>;
  /** Autoscaler minimum; set with `maxCount` to turn node autoscaling on. */
  readonly minCount?: pulumi.Input<number>;
  /** Autoscaler maximum; set with `minCount`. */
  readonly maxCount?: pulumi.Input<number>;
  /** Kubernetes node labels. */
  readonly labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Node taints, e.g. `dedicated=models:NoSchedule`. */
  readonly taints?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Extra nodes added during an upgrade, a count (`"1"`) or a percentage of the pool (`"33%"`).
   * @default "33%" (FastProd/DenseProd, AKS's recommendation for production pools), "1" (DevTest)
   */
  readonly maxSurge?: pulumi.Input<string>;
}

export interface AksGpuNodePoolArgs {
  /**
   * Pool name.
   * @default "gpu"
   */
  readonly name?: pulumi.Input<string>;
  /**
   * GPU VM size.
   * @default "Standard_NC4as_T4_v3"
   */
  readonly vmSize?: pulumi.Input<string>;
  /**
   * Node count (the initial count when autoscaling).
   * @default minCount when autoscaling, else 1
   */
  readonly count?: pulumi.Input<number>;
  /** vCPUs of one node; required when `vmSize` is not in the vCPU table. */
  readonly vcpusPerNode?: pulumi.Input<number>;
  /** Autoscaler minimum; set with `maxCount` to turn node autoscaling on. */
  readonly minCount?: pulumi.Input<number>;
  /** Autoscaler maximum; set with `minCount`. */
  readonly maxCount?: pulumi.Input<number>;
  /**
   * Image of the NVIDIA device plugin DaemonSet deployed on this pool (AKS installs the
   * drivers, not the plugin; without it no node advertises `nvidia.com/gpu`). Its
   * registry host is added to `requiredEgressFqdns`; with restricted egress, import it
   * into the cluster's registry (`az acr import`) and give that reference here.
   * Azure ML's Kubernetes extension calls this `installNvidiaDevicePlugin`.
   * @default "nvcr.io/nvidia/k8s-device-plugin:v0.18.0"
   */
  readonly devicePluginImage?: pulumi.Input<string>;
  /**
   * Extra GPU nodes added during an upgrade, a count or a percentage of the pool.
   * @default "1" (GPU quota is scarce; each surge node needs it)
   */
  readonly maxSurge?: pulumi.Input<string>;
}

export interface AksEgressArgs {
  /**
   * Route all egress through a created Azure Firewall that allows only the hosts in
   * `requiredEgressFqdns` (plus the AKS FQDN tag). Needs a VNet: `network.plugin: "azure"`
   * or an existing VNet. No Azure ML equivalent (Azure ML documents the hosts only).
   * @default false
   */
  readonly firewall?: pulumi.Input<boolean>;
  /**
   * Further hosts the models need (databases, APIs); added to the firewall rules and to
   * `requiredEgressFqdns`. Wildcards like `*.example.com` are allowed.
   * @default []
   */
  readonly extraFqdns?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface AksInferenceClusterArgs {
  /**
   * Cluster purpose; drives sizing defaults and rules. Azure ML: `cluster_purpose`.
   * @default "FastProd"
   */
  readonly clusterPurpose?: pulumi.Input<ClusterPurpose>;
  /**
   * System pool node count. Azure ML: `agent_count`.
   * @default 3 (FastProd/DenseProd), 1 (DevTest)
   */
  readonly agentCount?: pulumi.Input<number>;
  /**
   * System pool VM size. Azure ML: `vm_size` (whose default, Standard_D3_v2, is a retired generation).
   * @default "Standard_D4s_v5" (4 vCPUs; FastProd/DenseProd), "Standard_D2s_v5" (2 vCPUs; DevTest)
   */
  readonly vmSize?: pulumi.Input<string>;
  /**
   * vCPUs of one system node; required when `vmSize` is not in the vCPU table.
   * @default from the vCPU table
   */
  readonly vcpusPerNode?: pulumi.Input<number>;
  /**
   * System pool autoscaler minimum; set with `agentMaxCount` to let the cluster autoscaler
   * size the system pool (`agentCount` is then the initial count). FastProd/DenseProd
   * minimums (3 nodes, 12 vCPUs) apply to this floor.
   * @default no system pool autoscaler
   */
  readonly agentMinCount?: pulumi.Input<number>;
  /** System pool autoscaler maximum; set with `agentMinCount`. */
  readonly agentMaxCount?: pulumi.Input<number>;
  /**
   * Extra system nodes added during an upgrade, a count or a percentage of the pool.
   * @default "33%" (FastProd/DenseProd), "1" (DevTest)
   */
  readonly agentMaxSurge?: pulumi.Input<string>;
  /**
   * Region of the created resources. Azure ML: `location`.
   * @default the resource group's region
   */
  readonly location?: pulumi.Input<string>;
  /**
   * Existing resource group to deploy into; when unset one is created.
   * @default a created resource group named `<name>-rg<suffix>`
   */
  readonly resourceGroupName?: pulumi.Input<string>;
  /**
   * Kubernetes version of the control plane, which every node pool follows (each pool's
   * `orchestratorVersion` is the cluster's). Give the minor version only (`1.33`) with an
   * upgrade channel that takes patches. Unset takes AKS's default version.
   * @default AKS default
   */
  readonly kubernetesVersion?: pulumi.Input<string>;
  /**
   * DNS prefix of the API server FQDN.
   * @default the component name, lowercased, non-alphanumerics replaced by `-`
   */
  readonly dnsPrefix?: pulumi.Input<string>;
  /**
   * AKS control-plane tier.
   * @default "Standard" (FastProd/DenseProd, financially backed uptime SLA), "Free" (DevTest)
   */
  readonly skuTier?: pulumi.Input<AksSkuTier>;
  /** Network settings (kubenet or Azure CNI, created or existing VNet). */
  readonly network?: AksNetworkArgs;
  /**
   * Load balancer of the router. Azure ML: `load_balancer_type`.
   * @default "PublicIp"
   */
  readonly loadBalancerType?: pulumi.Input<LoadBalancerType>;
  /**
   * Subnet of the internal load balancer (InternalLoadBalancer only). Azure ML: `load_balancer_subnet`.
   * @default "aks-subnet"; in a VNet aksml creates, the node subnet (`network.subnetName`)
   */
  readonly loadBalancerSubnet?: pulumi.Input<string>;
  /** TLS for the router; recorded here and handed to AzuremlFe through `connection`. Azure ML: `enable_ssl`. */
  readonly tls?: AksTlsArgs;
  /**
   * Attach this existing cluster instead of creating one (it may be in another region or
   * another subscription: it is read through a provider for the subscription in the id,
   * configured like the default one). Azure ML: `attach_configuration(resource_id=...)`.
   */
  readonly existingClusterId?: pulumi.Input<string>;
  /** Extra CPU node pools, each a separate AgentPool. */
  readonly userNodePools?: AksNodePoolArgs[];
  /** A GPU node pool, tainted `nvidia.com/gpu=present:NoSchedule`. */
  readonly gpuNodePool?: AksGpuNodePoolArgs;
  /** Egress control. */
  readonly egress?: AksEgressArgs;
  /**
   * Automatic Kubernetes and node OS upgrades and their maintenance window (created clusters).
   * @default channel "patch", node OS "NodeImage"; a weekly window Saturday 00:00 UTC for 8 hours outside DevTest
   */
  readonly upgrade?: AksUpgradeArgs;
  /**
   * Cluster autoscaler settings (created clusters), sent when any pool autoscales.
   * @default expander "least-waste", scale-down delay after add "10m", scale-down unneeded time "10m"
   */
  readonly autoscalerProfile?: AksAutoscalerProfileArgs;
  /** Container Insights wiring; pass `containerInsights.clusterMonitoring`. */
  readonly monitoring?: AksMonitoringArgs;
  /**
   * ACR SKU. With `egress.firewall` it must be Premium: aksml then turns on dedicated data
   * endpoints so image layers come from `<acr>.<region>.data.azurecr.io`, not shared blob hosts.
   * @default "Basic" (what an Azure ML workspace creates); "Premium" with `egress.firewall`
   */
  readonly acrSku?: pulumi.Input<AcrSku>;
  /**
   * Blob container that holds model files.
   * @default "models"
   */
  readonly modelContainerName?: pulumi.Input<string>;
  /**
   * Tags on every Azure resource created.
   * @default {}
   */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}
