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

/** Let's Encrypt environment issuing the leaf domain certificate. */
export const AcmeEnvironment = {
  /** Trusted certificates; strict rate limits (5 duplicate certificates per week). */
  Production: "production",
  /** Untrusted test certificates with generous rate limits, for trying the path out. */
  Staging: "staging",
} as const;
export type AcmeEnvironment = (typeof AcmeEnvironment)[keyof typeof AcmeEnvironment];

/** AKS cluster auto-upgrade channel (`autoUpgradeProfile.upgradeChannel`). */
export const UpgradeChannel = {
  /** No automatic Kubernetes upgrades. */
  None: "none",
  /** Latest patch of the current minor version; the minor version moves only when `kubernetesVersion` does. */
  Patch: "patch",
  /** Latest patch of minor version N-1 (N the newest supported). */
  Stable: "stable",
  /** Latest patch of the newest supported minor version. */
  Rapid: "rapid",
  /** Node image only (superseded by `nodeOsChannel`). */
  NodeImage: "node-image",
} as const;
export type UpgradeChannel = (typeof UpgradeChannel)[keyof typeof UpgradeChannel];

/** AKS node OS upgrade channel (`autoUpgradeProfile.nodeOSUpgradeChannel`). */
export const NodeOsUpgradeChannel = {
  /** No OS updates at all: you patch the nodes. */
  None: "None",
  /** The OS's own unattended upgrades, outside maintenance windows and surge settings. */
  Unmanaged: "Unmanaged",
  /** A weekly node image with security fixes, rolled out as node reimages within the window and surge. */
  NodeImage: "NodeImage",
  /** Security patches applied by AKS (hosting the patched images costs extra). */
  SecurityPatch: "SecurityPatch",
} as const;
export type NodeOsUpgradeChannel = (typeof NodeOsUpgradeChannel)[keyof typeof NodeOsUpgradeChannel];

export const WeekDay = {
  Monday: "Monday",
  Tuesday: "Tuesday",
  Wednesday: "Wednesday",
  Thursday: "Thursday",
  Friday: "Friday",
  Saturday: "Saturday",
  Sunday: "Sunday",
} as const;
export type WeekDay = (typeof WeekDay)[keyof typeof WeekDay];

/** How the cluster autoscaler picks the pool to grow (`autoScalerProfile.expander`). */
export const AutoscalerExpander = {
  LeastWaste: "least-waste",
  MostPods: "most-pods",
  Priority: "priority",
  Random: "random",
} as const;
export type AutoscalerExpander = (typeof AutoscalerExpander)[keyof typeof AutoscalerExpander];

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

export interface AksTlsArgs {
  /**
   * CNAME the certificate was issued for; with `sslCertPem` and `sslKeyPem` (all or none).
   * Azure ML: `enable_ssl(ssl_cname=...)`.
   */
  readonly sslCname?: pulumi.Input<string>;
  /** Certificate chain PEM (kept secret). Azure ML: `ssl_cert_pem_file` (the file's content here). */
  readonly sslCertPem?: pulumi.Input<string>;
  /** Private key PEM (kept secret). Azure ML: `ssl_key_pem_file` (the file's content here). */
  readonly sslKeyPem?: pulumi.Input<string>;
  /**
   * A generated endpoint name with a certificate, as Azure ML's: the router's public IP
   * gets the DNS label `<label><suffix>`, where the suffix is 6 random lowercase letters and
   * digits kept in state (stable across updates; a new label draws a new one), giving
   * `<label><suffix>.<region>.cloudapp.azure.com`, served over HTTPS with a Let's Encrypt
   * certificate that cert-manager issues and renews in the cluster (see `leafCertificate`).
   * 3-57 lowercase letters, digits and dashes, starting with a letter. Exclusive with the
   * certificate trio; not allowed with an internal load balancer or `egress.firewall`.
   * Azure ML: `leaf_domain_label`.
   */
  readonly leafDomainLabel?: pulumi.Input<string>;
  /** How the leaf domain's certificate is issued (with `leafDomainLabel` only). */
  readonly leafCertificate?: AksLeafCertificateArgs;
}

/**
 * The ACME certificate of the leaf domain. Azure ML issues a Microsoft certificate; aksml
 * has cert-manager obtain one from Let's Encrypt with an HTTP-01 challenge the router
 * answers on port 80 of its public IP, and renew it once two thirds of its lifetime
 * have passed (30 days before a 90-day certificate expires).
 */
export interface AksLeafCertificateArgs {
  /**
   * Contact email of the ACME account, for notices about the account and its
   * certificates. No Azure ML equivalent.
   * @default none (an account without a contact)
   */
  readonly email?: pulumi.Input<string>;
  /**
   * Let's Encrypt environment: "production" (trusted) or "staging" (untrusted, generous
   * rate limits, for a first try). Switching reissues the certificate.
   * @default "production"
   */
  readonly acmeEnvironment?: pulumi.Input<AcmeEnvironment>;
  /**
   * Install cert-manager (the jetstack/cert-manager Helm chart, pinned, CRDs included) in
   * the `cert-manager` namespace. Set false when the cluster already runs cert-manager
   * (v1.15 or later, with its CRDs); a plain boolean.
   * @default true
   */
  readonly installCertManager?: pulumi.Input<boolean>;
}

/**
 * A weekly planned maintenance window (an AKS MaintenanceConfiguration), used for both
 * the cluster's Kubernetes upgrades (`aksManagedAutoUpgradeSchedule`) and its node OS
 * upgrades (`aksManagedNodeOSUpgradeSchedule`). AKS may still act outside it for urgent
 * fixes. No Azure ML equivalent.
 */
export interface AksMaintenanceWindowArgs {
  /**
   * Whether the window exists; without it AKS upgrades at any time. A plain boolean.
   * @default true (FastProd, DenseProd), false (DevTest)
   */
  readonly enabled?: pulumi.Input<boolean>;
  /** Day of the week the window opens (AKS `maintenanceWindow.schedule.weekly.dayOfWeek`). @default "Saturday" */
  readonly dayOfWeek?: pulumi.Input<WeekDay>;
  /**
   * Start time `HH:mm`, in `utcOffset`.
   * @default "00:00"
   */
  readonly startTime?: pulumi.Input<string>;
  /**
   * Length in hours, 4 to 24 (AKS's range).
   * @default 8
   */
  readonly durationHours?: pulumi.Input<number>;
  /**
   * UTC offset of `startTime`, `+HH:mm` or `-HH:mm`.
   * @default "+00:00"
   */
  readonly utcOffset?: pulumi.Input<string>;
  /**
   * Weeks between windows, 1 to 4.
   * @default 1 (node images ship weekly)
   */
  readonly intervalWeeks?: pulumi.Input<number>;
}

/** Automatic upgrades of a created cluster. No Azure ML equivalent (Azure ML leaves upgrades to you). */
export interface AksUpgradeArgs {
  /**
   * Kubernetes auto-upgrade channel. `patch` keeps the minor version `kubernetesVersion`
   * names (or the one the cluster was created with) and takes its patches; `stable` and
   * `rapid` also move the minor version and therefore need `kubernetesVersion` unset.
   * @default "patch"; "none" when `kubernetesVersion` pins a patch version such as 1.33.2
   */
  readonly channel?: pulumi.Input<UpgradeChannel>;
  /**
   * Node OS upgrade channel.
   * @default "NodeImage" (AKS's default: weekly images, reimaged within the window and maxSurge)
   */
  readonly nodeOsChannel?: pulumi.Input<NodeOsUpgradeChannel>;
  /** When upgrades may run. */
  readonly maintenanceWindow?: AksMaintenanceWindowArgs;
}

/** The cluster autoscaler's settings, sent when any pool autoscales. No Azure ML equivalent. */
export interface AksAutoscalerProfileArgs {
  /**
   * Which pool grows when pods are pending.
   * @default "least-waste" (the pool left with the least idle CPU and memory, so a small CPU pod never grows the GPU pool)
   */
  readonly expander?: pulumi.Input<AutoscalerExpander>;
  /**
   * How long after a scale-up scale-down is considered again, `<minutes>m`, 1m to 1440m.
   * @default "10m" (AKS's default)
   */
  readonly scaleDownDelayAfterAdd?: pulumi.Input<string>;
  /**
   * How long a node must be unneeded before it is removed, `<minutes>m`, 1m to 1440m.
   * @default "10m" (AKS's default)
   */
  readonly scaleDownUnneededTime?: pulumi.Input<string>;
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
