/**
 * Azure ML's provisioning/attach rules plus the platform's own, checked before any
 * resource is declared. Every problem is collected and reported at once, each naming
 * the property, the rule and the fix. Only values known now are checked here; the
 * component re-checks Output-valued sizing inputs once they resolve.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterPurpose, LoadBalancerType } from "../shared/clusterConnection.js";
import { AcrSku, AksSkuTier, NetworkPlugin, type AksInferenceClusterArgs, type AksNodePoolArgs } from "./args.js";
import { MANAGED_CLUSTER_ID_SHAPE, parseManagedClusterId } from "./clusterId.js";
import { DEFAULTS, resolveAksInferenceClusterArgs } from "./defaults.js";
import { known } from "../shared/inputs.js";
import { cidrWithin, cidrsOverlap, ipInCidr, isIpv4, isIpv4Cidr, prefixLength } from "./netmath.js";
import { vcpusForVmSize } from "./vmSizes.js";
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from "../modelWebservice/validate.js";

export type Problem = pulumi.InputPropertyErrorDetails;

/** Azure ML's minimums for production purposes (service errors "at least 12 cores", "at least 3 machines"). */
export const PROD_MIN_VCPUS = 12;
export const PROD_MIN_NODES = 3;
/** Azure ML's recommendation for DevTest (a warning, not an error). */
export const DEVTEST_RECOMMENDED_VCPUS = 2;

const POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
const DNS_LABEL = /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const FQDN_PATTERN = /^(\*\.)?(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const DNS_PREFIX = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,52}[a-zA-Z0-9])?$/;
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const SUBNET_NAME = /^[a-zA-Z0-9][-\w.]{0,78}\w$/;
const WORKSPACE_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i;
const DCR_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Insights\/dataCollectionRules\/[^/]+$/i;

const isPositiveInt = (n: number) => Number.isInteger(n) && n > 0;
const oneOf = (values: object) => Object.values(values).join(", ");

/** Every problem with the arguments (empty when valid). Pure. */
export function aksInferenceClusterProblems(name: string, args: AksInferenceClusterArgs): Problem[] {
  const problems: Problem[] = [];
  const add = (propertyPath: string, reason: string) => problems.push({ propertyPath, reason });
  const r = resolveAksInferenceClusterArgs(name, args);
  const purpose = known(r.clusterPurpose);
  const attach = args.existingClusterId !== undefined;

  if (purpose !== undefined && !Object.values(ClusterPurpose).includes(purpose))
    add("clusterPurpose", `"${purpose}" is not a cluster purpose; use one of ${oneOf(ClusterPurpose)}.`);

  const lbType = known(r.loadBalancerType);
  if (lbType !== undefined && !Object.values(LoadBalancerType).includes(lbType))
    add("loadBalancerType", `"${lbType}" is not a load balancer type; use one of ${oneOf(LoadBalancerType)}.`);
  const lbSubnet = known(args.loadBalancerSubnet);
  if (args.loadBalancerSubnet !== undefined && lbType === LoadBalancerType.PublicIp)
    add(
      "loadBalancerSubnet",
      "is used only with an internal load balancer; set loadBalancerType to InternalLoadBalancer or remove loadBalancerSubnet.",
    );
  if (lbSubnet !== undefined && !SUBNET_NAME.test(lbSubnet))
    add("loadBalancerSubnet", `"${lbSubnet}" is not a valid subnet name (1-80 letters, digits, '-', '_', '.').`);

  checkTls(args, lbType, add);

  const acrSku = known(args.acrSku);
  if (acrSku !== undefined && !Object.values(AcrSku).includes(acrSku))
    add("acrSku", `"${acrSku}" is not an ACR SKU; use one of ${oneOf(AcrSku)}.`);
  else if (acrSku !== undefined && acrSku !== AcrSku.Premium && known(args.egress?.firewall) === true)
    add(
      "acrSku",
      `egress.firewall needs a Premium registry (dedicated data endpoints serve image layers through the firewall); got ${acrSku}. Remove acrSku or set it to Premium.`,
    );
  const container = known(args.modelContainerName);
  if (container !== undefined && !CONTAINER_NAME.test(container))
    add(
      "modelContainerName",
      `"${container}" is not a valid blob container name (3-63 lowercase letters, digits and single dashes).`,
    );

  const fqdns = known(args.egress?.extraFqdns);
  fqdns?.forEach((f, i) => {
    const v = known(f);
    if (v !== undefined && !FQDN_PATTERN.test(v))
      add(
        `egress.extraFqdns[${i}]`,
        `"${v}" is not a host name (a wildcard is allowed only as the first label, e.g. *.example.com).`,
      );
  });
  if (args.egress?.firewall !== undefined && known(args.egress.firewall) === undefined)
    add("egress.firewall", "must be a plain boolean, not an Output: it decides which resources exist.");

  // Azure rejects tag names with < > % & \ ? / or over 512 characters, and values over 256,
  // only when the first resource is created.
  for (const [k, v] of Object.entries(known(args.tags) ?? {})) {
    const value = known(v);
    if (k === "" || k.length > 512 || /[<>%&\\?/]/.test(k))
      add(`tags.${k}`, "is not a valid Azure tag name (1-512 characters, none of < > % & \\ ? /).");
    else if (value !== undefined && value.length > 256)
      add(`tags.${k}`, `value is ${value.length} characters; Azure tag values are at most 256.`);
  }

  if (args.monitoring) {
    const ws = known(args.monitoring.logAnalyticsWorkspaceId);
    if (ws !== undefined && !WORKSPACE_ID.test(ws))
      add("monitoring.logAnalyticsWorkspaceId", `"${ws}" is not a Log Analytics workspace resource id.`);
    const dcr = known(args.monitoring.dataCollectionRuleId);
    if (dcr !== undefined && !DCR_ID.test(dcr))
      add("monitoring.dataCollectionRuleId", `"${dcr}" is not a data collection rule resource id.`);
  }

  if (attach) {
    checkAttach(args, add);
    return problems;
  }

  const dnsPrefix = known(r.dnsPrefix);
  if (dnsPrefix !== undefined && !DNS_PREFIX.test(dnsPrefix))
    add(
      "dnsPrefix",
      `"${dnsPrefix}" is not a valid DNS prefix (1-54 letters, digits and dashes, starting and ending with a letter or digit).`,
    );
  const version = known(args.kubernetesVersion);
  if (version !== undefined && !/^\d+\.\d+(\.\d+)?$/.test(version))
    add("kubernetesVersion", `"${version}" is not a Kubernetes version such as 1.33 or 1.33.2 (no leading "v").`);
  const skuTier = known(args.skuTier);
  if (skuTier !== undefined && !Object.values(AksSkuTier).includes(skuTier))
    add("skuTier", `"${skuTier}" is not an AKS tier; use one of ${oneOf(AksSkuTier)}.`);

  checkSystemPool(args, r.systemPool.vmSize, r.systemPool.count, r.systemPool.vcpusPerNode, purpose, add);
  checkNetwork(args, add);

  const poolNames = new Set<string>(["system"]);
  for (const [i, pool] of (args.userNodePools ?? []).entries()) checkPool(`userNodePools[${i}]`, pool, poolNames, add);
  if (args.gpuNodePool) {
    const g = args.gpuNodePool;
    checkPool(
      "gpuNodePool",
      { ...g, name: g.name ?? DEFAULTS.gpuPoolName, vmSize: g.vmSize ?? DEFAULTS.gpuVmSize },
      poolNames,
      add,
    );
  }
  return problems;
}

/** Throws one InputPropertiesError listing every problem. */
export function validateAksInferenceClusterArgs(name: string, args: AksInferenceClusterArgs): void {
  const errors = aksInferenceClusterProblems(name, args);
  if (errors.length === 0) return;
  // The engine (and `aksml plan`) print each error's path and reason under the message,
  // so the message only summarises.
  const paths = [...new Set(errors.map((e) => e.propertyPath))].join(", ");
  throw new pulumi.InputPropertiesError({
    message: `AksInferenceCluster "${name}" has ${errors.length} invalid argument${errors.length === 1 ? "" : "s"} (${paths})`,
    errors,
  });
}

type Add = (propertyPath: string, reason: string) => void;

/** Sizing rules: Azure ML's minimums for FastProd/DenseProd and its DevTest recommendation. */
function checkSystemPool(
  args: AksInferenceClusterArgs,
  vmSizeInput: pulumi.Input<string>,
  countInput: pulumi.Input<number>,
  vcpusInput: pulumi.Input<number> | undefined,
  purpose: ClusterPurpose | undefined,
  add: Add,
): void {
  const count = known(countInput);
  const vmSize = known(vmSizeInput);
  const vcpus = known(vcpusInput);
  if (count !== undefined && !isPositiveInt(count))
    add("agentCount", `must be a whole number greater than 0 (got ${count}).`);
  const explicitVcpus = known(args.vcpusPerNode);
  if (explicitVcpus !== undefined && !isPositiveInt(explicitVcpus))
    add("vcpusPerNode", `must be a whole number greater than 0 (got ${explicitVcpus}).`);
  if (vmSize !== undefined && vcpusInput === undefined)
    add(
      "vcpusPerNode",
      `vmSize "${vmSize}" is not in the vCPU table; set vcpusPerNode to the number of vCPUs of one node.`,
    );
  if (count === undefined || vcpus === undefined || !isPositiveInt(count) || !isPositiveInt(vcpus)) return;
  const total = count * vcpus;
  if (purpose === ClusterPurpose.FastProd || purpose === ClusterPurpose.DenseProd) {
    if (count < PROD_MIN_NODES)
      add(
        "agentCount",
        `${purpose} needs at least ${PROD_MIN_NODES} nodes (got ${count}); raise agentCount or use clusterPurpose DevTest.`,
      );
    if (total < PROD_MIN_VCPUS)
      add(
        "agentCount",
        `${purpose} needs at least ${PROD_MIN_VCPUS} vCPUs (agentCount ${count} x ${vcpus} vCPUs of ${vmSize ?? "vmSize"} = ${total}); raise agentCount or pick a larger vmSize.`,
      );
  }
}

function checkPool(path: string, pool: AksNodePoolArgs, names: Set<string>, add: Add): void {
  const name = known(pool.name);
  if (name !== undefined) {
    if (!POOL_NAME.test(name))
      add(
        `${path}.name`,
        `"${name}" is not a valid pool name (1-12 lowercase letters and digits, starting with a letter).`,
      );
    else if (names.has(name))
      add(
        `${path}.name`,
        `"${name}" is already used by another pool${name === "system" ? " (the system pool)" : ""}; pool names must be unique.`,
      );
    names.add(name);
  }
  const vmSize = known(pool.vmSize);
  const vcpus = known(pool.vcpusPerNode);
  if (vcpus !== undefined && !isPositiveInt(vcpus))
    add(`${path}.vcpusPerNode`, `must be a whole number greater than 0 (got ${vcpus}).`);
  if (vmSize !== undefined && pool.vcpusPerNode === undefined && vcpusForVmSize(vmSize) === undefined)
    add(
      `${path}.vcpusPerNode`,
      `vmSize "${vmSize}" is not in the vCPU table; set vcpusPerNode to the number of vCPUs of one node.`,
    );
  const count = known(pool.count);
  const min = known(pool.minCount);
  const max = known(pool.maxCount);
  const autoscale = pool.minCount !== undefined && pool.maxCount !== undefined;
  // An autoscaled user pool may start (and idle) at zero nodes.
  if (count !== undefined && !(Number.isInteger(count) && (autoscale ? count >= 0 : count > 0)))
    add(`${path}.count`, `must be a whole number ${autoscale ? "of at least 0" : "greater than 0"} (got ${count}).`);
  if ((pool.minCount === undefined) !== (pool.maxCount === undefined))
    add(
      pool.minCount === undefined ? `${path}.minCount` : `${path}.maxCount`,
      "node autoscaling needs both minCount and maxCount; set both or neither.",
    );
  if (min !== undefined && !(Number.isInteger(min) && min >= 0))
    add(`${path}.minCount`, `must be a whole number of at least 0 (got ${min}).`);
  if (max !== undefined && !isPositiveInt(max))
    add(`${path}.maxCount`, `must be a whole number greater than 0 (got ${max}).`);
  if (min !== undefined && max !== undefined && min > max)
    add(`${path}.minCount`, `must not exceed maxCount (${min} > ${max}).`);
  if (count !== undefined && min !== undefined && max !== undefined && (count < min || count > max))
    add(`${path}.count`, `must lie between minCount and maxCount (${min}..${max}), got ${count}.`);
  // Node labels and taints become Kubernetes labels/taints: AKS rejects invalid ones only at deploy time.
  const labels = known(pool.labels);
  for (const [k, v] of Object.entries(labels ?? {})) {
    const value = known(v);
    if (!LABEL_KEY_PATTERN.test(k))
      add(
        `${path}.labels.${k}`,
        "is not a valid Kubernetes label key (up to 63 letters, digits, '-', '_', '.', with an optional DNS prefix).",
      );
    else if (value !== undefined && !LABEL_VALUE_PATTERN.test(value))
      add(
        `${path}.labels.${k}`,
        `value "${value}" is not a valid Kubernetes label value (up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric).`,
      );
  }
  (known(pool.taints) ?? []).forEach((t, i) => {
    const taint = known(t);
    const m =
      taint === undefined ? undefined : /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(taint);
    if (
      taint !== undefined &&
      (!m || !LABEL_KEY_PATTERN.test(m[1]) || (m[2] !== undefined && !LABEL_VALUE_PATTERN.test(m[2])))
    )
      add(
        `${path}.taints[${i}]`,
        `"${taint}" is not a taint such as key=value:NoSchedule (effect NoSchedule, PreferNoSchedule or NoExecute).`,
      );
  });
}

function checkNetwork(args: AksInferenceClusterArgs, add: Add): void {
  const n = args.network ?? {};
  const plugin = known(n.plugin);
  if (n.plugin !== undefined && plugin === undefined)
    add("network.plugin", "must be a plain value, not an Output: it decides whether a VNet is created.");
  if (plugin !== undefined && !Object.values(NetworkPlugin).includes(plugin))
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

function checkTls(args: AksInferenceClusterArgs, lbType: LoadBalancerType | undefined, add: Add): void {
  const tls = args.tls;
  if (!tls) return;
  const trio = ["sslCname", "sslCertPem", "sslKeyPem"] as const;
  const given = trio.filter((f) => tls[f] !== undefined);
  if (given.length > 0 && given.length < trio.length)
    for (const f of trio)
      if (tls[f] === undefined) add(`tls.${f}`, `sslCname, sslCertPem and sslKeyPem go together; ${f} is missing.`);
  if (tls.leafDomainLabel !== undefined && given.length > 0)
    add(
      "tls.leafDomainLabel",
      "use either leafDomainLabel (a generated name and certificate) or sslCname with your own certificate, not both.",
    );
  if (tls.leafDomainLabel !== undefined && lbType === LoadBalancerType.InternalLoadBalancer)
    add(
      "tls.leafDomainLabel",
      "a leaf domain label names a public IP and is not supported with an internal load balancer; use sslCname with your own certificate.",
    );
  const label = known(tls.leafDomainLabel);
  if (label !== undefined && !DNS_LABEL.test(label))
    add(
      "tls.leafDomainLabel",
      `"${label}" is not a valid DNS label (3-63 lowercase letters, digits and dashes, starting with a letter).`,
    );
  const cname = known(tls.sslCname);
  if (cname !== undefined && !HOSTNAME.test(cname))
    add("tls.sslCname", `"${cname}" is not a host name such as scoring.example.com.`);
  const cert = known(tls.sslCertPem);
  if (cert !== undefined && !/-----BEGIN CERTIFICATE-----/.test(cert))
    add(
      "tls.sslCertPem",
      "is not a PEM certificate (expected -----BEGIN CERTIFICATE-----); pass the file's content, not its path.",
    );
  const key = known(tls.sslKeyPem);
  if (key !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key))
    add(
      "tls.sslKeyPem",
      "is not a PEM private key (expected -----BEGIN ... PRIVATE KEY-----); pass the file's content, not its path.",
    );
}

/** Attach mode: the id must be a managed cluster id, and creation-only settings make no sense. */
function checkAttach(args: AksInferenceClusterArgs, add: Add): void {
  const id = known(args.existingClusterId);
  if (id !== undefined && !parseManagedClusterId(id))
    add(
      "existingClusterId",
      `"${id}" is not an AKS managed cluster resource id; expected ${MANAGED_CLUSTER_ID_SHAPE}.`,
    );
  const creationOnly: [string, unknown][] = [
    ["agentCount", args.agentCount],
    ["vmSize", args.vmSize],
    ["vcpusPerNode", args.vcpusPerNode],
    ["kubernetesVersion", args.kubernetesVersion],
    ["dnsPrefix", args.dnsPrefix],
    ["skuTier", args.skuTier],
    ["network", args.network],
    ["userNodePools", args.userNodePools],
    ["gpuNodePool", args.gpuNodePool],
  ];
  for (const [field, value] of creationOnly)
    if (value !== undefined)
      add(
        field,
        "configures a created cluster and cannot be used with existingClusterId; remove it or create the cluster instead.",
      );
  if (known(args.egress?.firewall) === true)
    add(
      "egress.firewall",
      "cannot route an attached cluster's egress; use requiredEgressFqdns in your own firewall instead.",
    );
}
