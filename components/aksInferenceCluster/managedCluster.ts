/**
 * The AKS cluster itself, created or attached, reduced to the few facts the rest of
 * the graph needs (id, name, API server FQDN, OIDC issuer, kubelet identity, pools).
 */
import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import type * as types from "@pulumi/azure-native/types/index.js";
import { ClusterPurpose } from "../shared/clusterConnection.js";
import { NetworkPlugin } from "./args.js";
import { parseManagedClusterId, MANAGED_CLUSTER_ID_SHAPE } from "./clusterId.js";
import type { ResolvedAksInferenceClusterArgs, ResolvedNodePool } from "./defaults.js";
import { known } from "../shared/inputs.js";
import { grantRole, type ClusterNetwork } from "./network.js";
import { PROD_MIN_NODES, PROD_MIN_VCPUS } from "./validatePools.js";
import { vcpusForVmSize } from "./vmSizes.js";
import { CLUSTER_PURPOSE_TAG, VCPUS_PER_NODE_TAG } from "../shared/conventions.js";
import { autoScalerProfile, autoUpgradeProfile, createMaintenanceConfigurations } from "./upgrades.js";
import { createAttachProvider } from "./attachProvider.js";

/** Tag on the ManagedCluster recording its Azure ML cluster purpose (platform convention). */
export const PURPOSE_TAG = CLUSTER_PURPOSE_TAG;
/** Tag on pools whose VM size is not in the vCPU table (platform convention). */
export const VCPUS_TAG = VCPUS_PER_NODE_TAG;
/**
 * The network policy engine of clusters aksml creates: the router's and the model pods'
 * NetworkPolicies are only enforced with one. Calico, because AKS supports it on both
 * network plugins aksml offers (kubenet and Azure CNI), while Azure Network Policy
 * Manager needs Azure CNI and is being retired, and Cilium needs the Cilium data plane.
 */
export const NETWORK_POLICY_ENGINE = "calico";

export interface ClusterFacts {
  id: pulumi.Output<string>;
  name: pulumi.Output<string>;
  resourceGroupName: pulumi.Output<string>;
  /** The cluster's own region (an attached cluster's may differ from the platform's). */
  location: pulumi.Output<string>;
  apiServerFqdn: pulumi.Output<string>;
  oidcIssuerUrl: pulumi.Output<string>;
  kubeletObjectId: pulumi.Output<string>;
  totalVcpus: pulumi.Output<number>;
  /** What Kubernetes resources must wait for (the cluster and its pools); empty when attached. */
  resources: pulumi.Resource[];
  /** The provider reads of the cluster go through: the attached cluster's subscription's; the default one otherwise. */
  azureProvider?: pulumi.ProviderResource;
}

export interface CreateContext {
  resourceGroupName: pulumi.Input<string>;
  location: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
  network: ClusterNetwork;
  parent: pulumi.Resource;
}

function poolTags(
  pool: ResolvedNodePool,
  tags: pulumi.Input<Record<string, pulumi.Input<string>>>,
): pulumi.Output<Record<string, string>> {
  return pulumi
    .all([tags, pool.vcpusPerNode])
    .apply(
      ([t, vcpus]): Record<string, string> =>
        pool.vcpusFromArgs && vcpus !== undefined ? { ...t, [VCPUS_TAG]: String(vcpus) } : { ...t },
    );
}

function poolVcpus(pool: ResolvedNodePool): pulumi.Output<number> {
  return pulumi.all([pool.count, pool.vcpusPerNode]).apply(([count, vcpus]) => count * (vcpus ?? 0));
}

/** Creates the ManagedCluster (system pool inline) and one AgentPool per other pool. */
export function createManagedCluster(
  name: string,
  r: ResolvedAksInferenceClusterArgs,
  ctx: CreateContext,
): ClusterFacts {
  const { parent, network } = ctx;
  const dependsOn: pulumi.Resource[] = [];
  let identity: types.input.containerservice.ManagedClusterIdentityArgs = { type: "SystemAssigned" };
  if (network.vnetId) {
    // With a VNet the control plane must manage subnets and routes before it exists,
    // which only a user-assigned identity granted up front can do.
    const uami = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        tags: ctx.tags,
      },
      { parent },
    );
    identity = { type: "UserAssigned", userAssignedIdentities: [uami.id] };
    dependsOn.push(
      grantRole(
        `${name}-vnet-network-contributor`,
        "networkContributor",
        uami.principalId,
        network.vnetId,
        ctx.subscriptionId,
        { parent },
      ),
    );
    if (network.firewall)
      dependsOn.push(
        grantRole(
          `${name}-rt-network-contributor`,
          "networkContributor",
          uami.principalId,
          network.firewall.routeTable.id,
          ctx.subscriptionId,
          { parent },
        ),
      );
  }

  const plugin = known(r.network.plugin);
  const monitoring = r.monitoring;
  const system = r.systemPool;
  const cluster = new containerservice.ManagedCluster(
    `${name}-aks`,
    {
      resourceGroupName: ctx.resourceGroupName,
      location: ctx.location,
      dnsPrefix: r.dnsPrefix,
      kubernetesVersion: r.kubernetesVersion,
      sku: { name: "Base", tier: r.skuTier },
      identity,
      agentPoolProfiles: [
        {
          name: "system",
          mode: "System",
          count: system.count,
          vmSize: system.vmSize,
          osType: "Linux",
          type: "VirtualMachineScaleSets",
          vnetSubnetID: network.nodeSubnetId,
          // The inline pool upgrades with the control plane, in the same request.
          orchestratorVersion: r.kubernetesVersion,
          // Only when on: an unchanged system pool must not show a diff on existing stacks.
          enableAutoScaling: system.autoscale ? true : undefined,
          minCount: system.autoscale ? system.minCount : undefined,
          maxCount: system.autoscale ? system.maxCount : undefined,
          upgradeSettings: { maxSurge: system.maxSurge },
          tags: poolTags(system, ctx.tags),
        },
      ],
      autoUpgradeProfile: autoUpgradeProfile(r.upgrade),
      // Cluster-wide, but it only means something once a pool autoscales.
      autoScalerProfile: r.anyAutoscale ? autoScalerProfile(r.autoscalerProfile) : undefined,
      networkProfile: {
        networkPlugin: plugin ?? NetworkPlugin.Kubenet,
        networkPolicy: NETWORK_POLICY_ENGINE,
        serviceCidr: r.network.serviceCidr,
        dnsServiceIP: r.network.dnsServiceIP,
        loadBalancerSku: "standard",
        outboundType: r.firewall ? "userDefinedRouting" : "loadBalancer",
      },
      oidcIssuerProfile: { enabled: true },
      securityProfile: {
        workloadIdentity: { enabled: true },
        defender:
          monitoring &&
          (pulumi.output(monitoring.defenderForContainers).apply((on) =>
            on
              ? {
                  logAnalyticsWorkspaceResourceId: monitoring.logAnalyticsWorkspaceId,
                  securityMonitoring: { enabled: true },
                }
              : undefined,
          ) as pulumi.Input<types.input.containerservice.ManagedClusterSecurityProfileDefenderArgs>),
      },
      addonProfiles: monitoring && {
        omsagent: {
          enabled: true,
          config: { logAnalyticsWorkspaceResourceID: monitoring.logAnalyticsWorkspaceId, useAADAuth: "true" },
        },
      },
      tags: pulumi.all([ctx.tags, r.clusterPurpose]).apply(([t, purpose]) => ({ ...t, [PURPOSE_TAG]: purpose })),
    },
    // The cluster autoscaler owns the system pool's node count once it is on.
    { parent, dependsOn, ignoreChanges: system.autoscale ? ["agentPoolProfiles[0].count"] : [] },
  );

  // AKS accepts one agent pool operation at a time, so pools are chained.
  const pools: containerservice.AgentPool[] = [];
  const extraPools = [...r.userNodePools, ...(r.gpuNodePool ? [r.gpuNodePool] : [])];
  extraPools.forEach((pool, i) => {
    const logical = known(pool.name) ?? `pool${i}`;
    pools.push(
      new containerservice.AgentPool(
        `${name}-${logical}`,
        {
          resourceGroupName: ctx.resourceGroupName,
          resourceName: cluster.name,
          agentPoolName: pool.name,
          mode: "User",
          count: pool.count,
          vmSize: pool.vmSize,
          osType: "Linux",
          type: "VirtualMachineScaleSets",
          vnetSubnetID: network.nodeSubnetId,
          enableAutoScaling: pool.autoscale,
          minCount: pool.autoscale ? pool.minCount : undefined,
          maxCount: pool.autoscale ? pool.maxCount : undefined,
          nodeLabels: pool.labels,
          nodeTaints: pool.taints,
          // Follows the control plane: the cluster's version, so a kubernetesVersion
          // change upgrades the control plane first and then each pool, in chain order.
          orchestratorVersion: cluster.kubernetesVersion,
          upgradeSettings: { maxSurge: pool.maxSurge },
          tags: poolTags(pool, ctx.tags),
        },
        {
          parent,
          dependsOn: pools.length ? [pools[pools.length - 1]] : [],
          // The cluster autoscaler owns the node count once it is on.
          ignoreChanges: pool.autoscale ? ["count"] : [],
        },
      ),
    );
  });

  // After the pools: nothing else changes the cluster while a maintenance configuration is written.
  createMaintenanceConfigurations(
    name,
    r.upgrade,
    { resourceGroupName: ctx.resourceGroupName, clusterName: cluster.name },
    { parent, dependsOn: pools.length ? [pools[pools.length - 1]] : [cluster] },
  );

  const totalVcpus = pulumi.all([system, ...extraPools].map(poolVcpus)).apply((v) => v.reduce((a, b) => a + b, 0));
  return {
    id: cluster.id,
    name: cluster.name,
    resourceGroupName: pulumi.output(ctx.resourceGroupName),
    location: pulumi.output(ctx.location),
    apiServerFqdn: cluster.fqdn,
    oidcIssuerUrl: cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? ""),
    kubeletObjectId: cluster.identityProfile.apply((p) => {
      const id = p?.kubeletidentity?.objectId;
      if (!id) throw new Error(`cluster ${name}-aks reported no kubelet identity`);
      return id;
    }),
    totalVcpus,
    resources: [cluster, ...pools],
  };
}

/**
 * Reads an existing cluster (attach mode), through a provider for the subscription its
 * id names; creates nothing else.
 */
export function attachManagedCluster(
  name: string,
  existingClusterId: pulumi.Input<string>,
  purpose: pulumi.Input<ClusterPurpose>,
  parent: pulumi.Resource,
): ClusterFacts {
  const parts = pulumi.output(existingClusterId).apply((id) => {
    const p = parseManagedClusterId(id);
    if (!p)
      throw new Error(
        `${name}: existingClusterId "${id}" is not an AKS managed cluster resource id; expected ${MANAGED_CLUSTER_ID_SHAPE}`,
      );
    return p;
  });
  const azureProvider = createAttachProvider(
    name,
    parts.apply((p) => p.subscriptionId),
    parent,
  );
  const existing = containerservice.getManagedClusterOutput(
    { resourceGroupName: parts.resourceGroupName, resourceName: parts.clusterName },
    { parent, provider: azureProvider },
  );
  // Eager check (like Azure ML's attach): fails the program when the cluster is too small for its purpose.
  pulumi.all([purpose, existing.agentPoolProfiles]).apply(([p, pools]) => {
    const { error, warning } = attachedSizing(p, pools ?? []);
    if (warning) pulumi.log.warn(`${name}: ${warning}`, parent);
    if (error)
      throw new pulumi.InputPropertiesError({
        message: `AksInferenceCluster "${name}": ${error}`,
        errors: [{ propertyPath: "existingClusterId", reason: error }],
      });
  });
  return {
    id: pulumi.output(existingClusterId),
    name: parts.clusterName,
    resourceGroupName: parts.resourceGroupName,
    location: existing.location,
    apiServerFqdn: existing.apply((c) => c.fqdn ?? c.privateFQDN ?? ""),
    oidcIssuerUrl: existing.apply((c) => c.oidcIssuerProfile?.issuerURL ?? ""),
    kubeletObjectId: existing.apply((c) => {
      const id = c.identityProfile?.kubeletidentity?.objectId;
      if (!id)
        throw new Error(
          `${name}: the attached cluster has no kubelet managed identity (service-principal clusters are not supported)`,
        );
      return id;
    }),
    totalVcpus: existing.apply((c) =>
      (c.agentPoolProfiles ?? []).reduce((sum, p) => sum + (p.count ?? 0) * (vcpusForVmSize(p.vmSize ?? "") ?? 0), 0),
    ),
    resources: [],
    azureProvider,
  };
}

/** One agent pool of an attached cluster, as AKS reports it. */
export interface ExistingPool {
  name?: string;
  count?: number;
  vmSize?: string;
}

/**
 * Azure ML refuses to attach a FastProd/DenseProd cluster with fewer than 12 vCPUs or
 * 3 nodes. Returns the error to raise (all sizes known), a warning (some sizes not in
 * the vCPU table, so the total is a lower bound), or nothing. Pure.
 */
export function attachedSizing(purpose: ClusterPurpose, pools: ExistingPool[]): { error?: string; warning?: string } {
  if (purpose === ClusterPurpose.DevTest) return {};
  const nodes = pools.reduce((n, p) => n + (p.count ?? 0), 0);
  const unknown = pools.filter((p) => vcpusForVmSize(p.vmSize ?? "") === undefined).map((p) => p.vmSize ?? "?");
  const vcpus = pools.reduce((n, p) => n + (p.count ?? 0) * (vcpusForVmSize(p.vmSize ?? "") ?? 0), 0);
  const short =
    nodes < PROD_MIN_NODES
      ? `${nodes} node(s), needs ${PROD_MIN_NODES}`
      : vcpus < PROD_MIN_VCPUS
        ? `${vcpus} vCPUs, needs ${PROD_MIN_VCPUS}`
        : undefined;
  if (!short) return {};
  if (unknown.length && nodes >= PROD_MIN_NODES)
    return {
      warning: `the attached cluster has at least ${vcpus} vCPUs (sizes ${unknown.join(", ")} are not in the vCPU table); ${purpose} needs ${PROD_MIN_VCPUS}.`,
    };
  return {
    error: `the attached cluster has ${short} for clusterPurpose ${purpose}; attach it as DevTest or add nodes.`,
  };
}

/** Warns for a DevTest cluster below Azure ML's recommended 2 vCPUs. */
export function devTestWarning(purpose: ClusterPurpose, totalVcpus: number): string | undefined {
  return purpose === ClusterPurpose.DevTest && totalVcpus < 2
    ? `DevTest cluster has ${totalVcpus} vCPU(s); Azure ML recommends at least 2. Expect pods to stay Pending.`
    : undefined;
}
