/**
 * AksInferenceCluster's network rules: Azure ML's all-or-none custom VNet fields, CIDRs
 * that fit and do not overlap, the internal load balancer's subnet, and what the egress
 * firewall needs.
 */
import { isUnknown, known } from "../shared/inputs.js";
import type { AddProblem } from "../shared/problems.js";
import { isOneOf, oneOf } from "../shared/validation.js";
import { NetworkPlugin, type AksInferenceClusterArgs } from "./args.js";
import { DEFAULTS } from "./defaults.js";
import { cidrWithin, cidrsOverlap, ipInCidr, isIpv4, isIpv4Cidr, prefixLength } from "./netmath.js";

export function checkNetwork(args: AksInferenceClusterArgs, add: AddProblem): void {
  const n = args.network ?? {};
  const plugin = known(n.plugin);
  if (isUnknown(n.plugin))
    add("network.plugin", "must be a plain value, not an Output: it decides whether a VNet is created.");
  if (plugin !== undefined && !isOneOf(NetworkPlugin, plugin))
    add("network.plugin", `"${plugin}" is not a network plugin; use one of ${oneOf(NetworkPlugin)}.`);

  // Azure ML: the six custom-VNet fields are all or none. Naming an existing VNet requires all six.
  const existing = n.vnetName !== undefined || n.vnetResourceGroupName !== undefined;
  if (existing) {
    const six = [
      "vnetResourceGroupName",
      "vnetName",
      "subnetName",
      "serviceCidr",
      "dnsServiceIP",
      "dockerBridgeCidr",
    ] as const;
    for (const field of six)
      if (n[field] === undefined)
        add(`network.${field}`, `a custom VNet needs all six of ${six.join(", ")}; ${field} is missing.`);
  } else if ((n.serviceCidr === undefined) !== (n.dnsServiceIP === undefined)) {
    add(
      n.serviceCidr === undefined ? "network.serviceCidr" : "network.dnsServiceIP",
      "serviceCidr and dnsServiceIP go together; set both or neither.",
    );
  }

  const cidrs: Record<string, string | undefined> = {
    serviceCidr: known(n.serviceCidr),
    dockerBridgeCidr: known(n.dockerBridgeCidr),
    vnetAddressSpace: known(n.vnetAddressSpace),
    aksSubnetPrefix: known(n.aksSubnetPrefix),
    firewallSubnetPrefix: known(n.firewallSubnetPrefix),
  };
  for (const [field, value] of Object.entries(cidrs))
    if (value !== undefined && !isIpv4Cidr(value))
      add(`network.${field}`, `"${value}" is not an IPv4 CIDR such as 10.0.0.0/16.`);
  const valid = (v: string | undefined): v is string => v !== undefined && isIpv4Cidr(v);

  const dnsIp = known(n.dnsServiceIP);
  if (dnsIp !== undefined && !isIpv4(dnsIp)) add("network.dnsServiceIP", `"${dnsIp}" is not an IPv4 address.`);
  else if (dnsIp !== undefined && valid(cidrs.serviceCidr) && !ipInCidr(dnsIp, cidrs.serviceCidr))
    add(
      "network.dnsServiceIP",
      `${dnsIp} is outside serviceCidr ${cidrs.serviceCidr}; pick an address inside it (conventionally .10).`,
    );

  const space = cidrs.vnetAddressSpace ?? (existing ? undefined : DEFAULTS.vnetAddressSpace);
  for (const field of ["aksSubnetPrefix", "firewallSubnetPrefix"] as const) {
    const prefix = cidrs[field];
    if (!existing && valid(prefix) && valid(space) && !cidrWithin(prefix, space))
      add(`network.${field}`, `${prefix} is outside the VNet address space ${space}.`);
  }
  if (valid(cidrs.firewallSubnetPrefix) && prefixLength(cidrs.firewallSubnetPrefix) > 26)
    add(
      "network.firewallSubnetPrefix",
      `AzureFirewallSubnet must be /26 or larger (got /${prefixLength(cidrs.firewallSubnetPrefix)}).`,
    );
  const firewall = known(args.egress?.firewall) === true;
  const createsVnet = !existing && (plugin === NetworkPlugin.Azure || firewall);
  const service = cidrs.serviceCidr ?? DEFAULTS.serviceCidr;
  const nodes = cidrs.aksSubnetPrefix ?? (createsVnet ? space : undefined);
  if (valid(service) && valid(nodes) && cidrsOverlap(service, nodes))
    add(
      "network.serviceCidr",
      `${service} overlaps the node network ${nodes}; Kubernetes service addresses must not overlap the VNet.`,
    );

  // The internal load balancer's subnet must exist in the cluster's VNet; in a VNet aksml
  // creates, the only subnet for it is the node subnet. Without any VNet (kubenet on the
  // VNet AKS manages) the only subnet is AKS's own "aks-subnet" (Azure ML's default).
  const lbSubnet = known(args.loadBalancerSubnet);
  const nodeSubnet = createsVnet ? (known(n.subnetName) ?? DEFAULTS.subnetName) : DEFAULTS.loadBalancerSubnet;
  if (
    !existing &&
    known(args.loadBalancerType) === "InternalLoadBalancer" &&
    lbSubnet !== undefined &&
    lbSubnet !== nodeSubnet
  )
    add(
      "loadBalancerSubnet",
      createsVnet
        ? `"${lbSubnet}" does not exist in the VNet aksml creates; use the node subnet "${nodeSubnet}" (network.subnetName) or bring your own VNet.`
        : `"${lbSubnet}" does not exist in the VNet AKS manages for kubenet (its only subnet is "${nodeSubnet}"); remove loadBalancerSubnet or bring your own VNet.`,
    );
  if (firewall && !existing && plugin !== NetworkPlugin.Azure)
    add(
      "egress.firewall",
      'needs a VNet: set network.plugin to "azure" (a VNet is created) or name an existing VNet in network.',
    );
  if (firewall && existing) {
    if (n.firewallSubnetPrefix === undefined)
      add(
        "network.firewallSubnetPrefix",
        "the firewall on an existing VNet needs a free prefix for the AzureFirewallSubnet aksml creates there.",
      );
    if (n.aksSubnetPrefix === undefined)
      add(
        "network.aksSubnetPrefix",
        "the firewall on an existing VNet creates the node subnet (with its route table) and needs its prefix.",
      );
  }
}
