/**
 * The cluster's network: nothing (kubenet on the AKS-managed VNet), a created VNet,
 * or an existing one; plus, with egress control, the firewall subnet, the firewall and
 * the node subnet routed through it. Subnets are separate resources and declared one
 * after another, because Azure rejects concurrent changes to subnets of one VNet.
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as network from "@pulumi/azure-native/network/index.js";
import type { ResolvedAksInferenceClusterArgs } from "./defaults.js";
import { EgressFirewall } from "./egress.js";

/** Built-in role ids. */
export const ROLE_IDS = {
  acrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
} as const;

export function roleDefinitionId(subscriptionId: pulumi.Input<string>, roleId: string): pulumi.Output<string> {
  return pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

export interface NetworkContext {
  resourceGroupName: pulumi.Input<string>;
  location: pulumi.Input<string>;
  subscriptionId: pulumi.Input<string>;
  tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Egress hosts known before the cluster exists (firewall rules). */
  hostsBeforeCluster: pulumi.Input<string[]>;
  parent: pulumi.Resource;
}

export interface ClusterNetwork {
  /** The node subnet; undefined for kubenet on the AKS-managed VNet. */
  nodeSubnetId?: pulumi.Output<string>;
  /** Node subnet prefix, when aksml knows it (created subnets). */
  nodeSubnetPrefix?: pulumi.Input<string>;
  /** The VNet the cluster identity must manage (load balancers, routes). */
  vnetId?: pulumi.Output<string>;
  firewall?: EgressFirewall;
}

/** Declares the network resources the resolved arguments ask for. */
export function createClusterNetwork(
  name: string,
  r: ResolvedAksInferenceClusterArgs,
  ctx: NetworkContext,
): ClusterNetwork {
  const n = r.network;
  if (!n.createVnet && !n.existingVnet) return {};
  const parent = ctx.parent;

  let vnetResourceGroupName: pulumi.Input<string>;
  let vnetName: pulumi.Input<string>;
  let vnetId: pulumi.Output<string>;
  if (n.createVnet) {
    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        resourceGroupName: ctx.resourceGroupName,
        location: ctx.location,
        addressSpace: { addressPrefixes: [n.vnetAddressSpace] },
        tags: ctx.tags,
      },
      { parent },
    );
    vnetResourceGroupName = ctx.resourceGroupName;
    vnetName = vnet.name;
    vnetId = vnet.id;
  } else {
    vnetResourceGroupName = n.vnetResourceGroupName!;
    vnetName = n.vnetName!;
    vnetId = pulumi.interpolate`/subscriptions/${ctx.subscriptionId}/resourceGroups/${vnetResourceGroupName}/providers/Microsoft.Network/virtualNetworks/${vnetName}`;
  }

  if (!r.firewall) {
    if (n.existingVnet) return { vnetId, nodeSubnetId: pulumi.interpolate`${vnetId}/subnets/${n.subnetName}` };
    const subnet = new network.Subnet(
      `${name}-aks-subnet`,
      {
        resourceGroupName: vnetResourceGroupName,
        virtualNetworkName: vnetName,
        subnetName: n.subnetName,
        addressPrefix: n.aksSubnetPrefix!,
      },
      { parent },
    );
    return { vnetId, nodeSubnetId: subnet.id, nodeSubnetPrefix: n.aksSubnetPrefix };
  }

  const firewallSubnet = new network.Subnet(
    `${name}-fw-subnet`,
    {
      resourceGroupName: vnetResourceGroupName,
      virtualNetworkName: vnetName,
      // Azure requires exactly this name for a firewall's subnet.
      subnetName: "AzureFirewallSubnet",
      addressPrefix: n.firewallSubnetPrefix!,
    },
    { parent },
  );
  const firewall = new EgressFirewall(
    name,
    {
      resourceGroupName: ctx.resourceGroupName,
      location: ctx.location,
      firewallSubnetId: firewallSubnet.id,
      nodeSubnetPrefix: n.aksSubnetPrefix!,
      hostsBeforeCluster: ctx.hostsBeforeCluster,
      tags: ctx.tags,
    },
    parent,
  );
  // The route table must be on the node subnet before the cluster is created with
  // outboundType userDefinedRouting, so aksml creates this subnet in both VNet modes.
  const nodeSubnet = new network.Subnet(
    `${name}-aks-subnet`,
    {
      resourceGroupName: vnetResourceGroupName,
      virtualNetworkName: vnetName,
      subnetName: n.subnetName,
      addressPrefix: n.aksSubnetPrefix!,
      routeTable: { id: firewall.routeTable.id },
    },
    { parent, dependsOn: [firewallSubnet] },
  );
  return { vnetId, nodeSubnetId: nodeSubnet.id, nodeSubnetPrefix: n.aksSubnetPrefix, firewall };
}

/** Grants a role to a service principal on a scope. */
export function grantRole(
  name: string,
  role: keyof typeof ROLE_IDS,
  principalId: pulumi.Input<string>,
  scope: pulumi.Input<string>,
  subscriptionId: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): authorization.RoleAssignment {
  return new authorization.RoleAssignment(
    name,
    {
      principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: roleDefinitionId(subscriptionId, ROLE_IDS[role]),
      scope,
    },
    opts,
  );
}
