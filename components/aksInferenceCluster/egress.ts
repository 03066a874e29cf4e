/**
 * Egress: the hosts an inference cluster must reach (Azure ML's "connectivity
 * requirements for AKS inferencing" table, derived from the real resource names),
 * and the opt-in Azure Firewall that allows exactly those.
 */
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network/index.js";
import type * as types from "@pulumi/azure-native/types/index.js";

/** One host the cluster must reach, and what needs it. */
export interface EgressHost {
  fqdn: string;
  usedBy: string;
}

/** The real names the hosts are derived from. */
export interface EgressNames {
  /** API server FQDN, e.g. `aks-1a2b.hcp.westeurope.azmk8s.io`. */
  apiServerFqdn: string;
  /** ACR login server, e.g. `myacr.azurecr.io`. */
  acrLoginServer: string;
  /** Storage blob endpoint, e.g. `https://acct.blob.core.windows.net/`. */
  storageBlobEndpoint: string;
  /** Storage table endpoint, e.g. `https://acct.table.core.windows.net/`. */
  storageTableEndpoint: string;
  /** Azure region name, e.g. `westeurope`. */
  location: string;
  /** The router's generated host `<label><suffix>.<region>.cloudapp.azure.com`, when it has one. */
  leafDomainFqdn?: string;
  /** The ACME directory the leaf certificate comes from (cert-manager calls it from the cluster). */
  acmeDirectory?: string;
  /** Whether aksml installs cert-manager, whose images come from quay.io. */
  certManagerImages?: boolean;
  /** Whether Container Insights ships logs from the cluster. */
  monitoring: boolean;
  /** Whether the router and model containers send Application Insights telemetry. */
  applicationInsights: boolean;
  extraFqdns: string[];
}

/** Host part of an endpoint URL (or the value itself when it is already a host). */
export function hostOf(endpoint: string): string {
  return /^[a-z]+:\/\//i.test(endpoint) ? new URL(endpoint).hostname : endpoint.replace(/\/.*$/, "");
}

/** Azure region names are lowercase without spaces (`West Europe` -> `westeurope`). */
export function regionName(location: string): string {
  return location.toLowerCase().replace(/\s+/g, "");
}

/** Every host the seed's connectivity table lists, for these resources, plus the extras. Pure. */
export function egressHosts(n: EgressNames): EgressHost[] {
  const region = regionName(n.location);
  const acrName = hostOf(n.acrLoginServer).split(".")[0];
  const hosts: EgressHost[] = [
    { fqdn: hostOf(n.apiServerFqdn), usedBy: "AKS API server: the router discovers its peers and the deployed models" },
    { fqdn: "mcr.microsoft.com", usedBy: "Microsoft Container Registry: system and base images" },
    { fqdn: "*.data.mcr.microsoft.com", usedBy: "Microsoft Container Registry: image layer downloads" },
    { fqdn: hostOf(n.acrLoginServer), usedBy: "your Azure Container Registry: model and router images" },
    { fqdn: `${acrName}.${region}.data.azurecr.io`, usedBy: "your Azure Container Registry: data endpoint" },
    {
      fqdn: hostOf(n.storageBlobEndpoint),
      usedBy: "Azure Storage (blob): model files, configuration and captured model data (modeldata)",
    },
    { fqdn: hostOf(n.storageTableEndpoint), usedBy: "Azure Storage (table)" },
    { fqdn: "login.microsoftonline.com", usedBy: "Microsoft Entra authentication: workload identity and token auth" },
    { fqdn: `ingest-vienna${region}.kusto.windows.net`, usedBy: "Kusto endpoint for uploading telemetry" },
  ];
  if (n.leafDomainFqdn)
    hosts.push({
      fqdn: n.leafDomainFqdn,
      usedBy: "the router's generated endpoint domain name (cert-manager's HTTP-01 self-check)",
    });
  if (n.acmeDirectory)
    hosts.push({
      fqdn: hostOf(n.acmeDirectory),
      usedBy: "Let's Encrypt ACME API: cert-manager orders the leaf certificate",
    });
  if (n.certManagerImages)
    hosts.push(
      { fqdn: "quay.io", usedBy: "quay.io: cert-manager images" },
      { fqdn: "*.quay.io", usedBy: "quay.io CDN: cert-manager image layers" },
    );
  if (n.monitoring) {
    hosts.push(
      { fqdn: "dc.services.visualstudio.com", usedBy: "Container Insights: agent telemetry" },
      { fqdn: "*.ods.opinsights.azure.com", usedBy: "Container Insights: log ingestion" },
      { fqdn: "*.oms.opinsights.azure.com", usedBy: "Container Insights: agent onboarding" },
      { fqdn: "*.monitoring.azure.com", usedBy: "Container Insights: metrics" },
    );
  }
  if (n.applicationInsights) {
    // Microsoft's list for Application Insights telemetry; a connection string's regional
    // endpoint is `<region>-<n>.in.applicationinsights.azure.com`.
    hosts.push(
      { fqdn: "dc.applicationinsights.azure.com", usedBy: "Application Insights: telemetry ingestion (global)" },
      { fqdn: "dc.applicationinsights.microsoft.com", usedBy: "Application Insights: telemetry ingestion (global)" },
      { fqdn: "dc.services.visualstudio.com", usedBy: "Application Insights: telemetry ingestion (global)" },
      { fqdn: "*.in.applicationinsights.azure.com", usedBy: "Application Insights: regional telemetry ingestion" },
    );
  }
  for (const fqdn of n.extraFqdns) hosts.push({ fqdn, usedBy: "extraFqdns" });
  // An empty API server FQDN stands for "not created yet" (pre-cluster firewall rules).
  const seen = new Set<string>();
  return hosts.filter((h) => {
    const key = h.fqdn.toLowerCase();
    if (key === "" || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The host names only, in table order. Pure. */
export function requiredEgressFqdns(n: EgressNames): string[] {
  return egressHosts(n).map((h) => h.fqdn);
}

/** The AKS control-plane tunnel (not used by private clusters, which aksml does not create). */
export function aksNetworkRules(
  location: string,
  sourceAddresses: pulumi.Input<string>[],
): types.input.network.NetworkRuleArgs[] {
  const tag = `AzureCloud.${regionName(location)}`;
  return [
    {
      ruleType: "NetworkRule",
      name: "aks-tunnel-udp",
      ipProtocols: ["UDP"],
      destinationPorts: ["1194"],
      destinationAddresses: [tag],
      sourceAddresses,
    },
    {
      ruleType: "NetworkRule",
      name: "aks-tunnel-tcp",
      ipProtocols: ["TCP"],
      destinationPorts: ["9000"],
      destinationAddresses: [tag],
      sourceAddresses,
    },
  ];
}

function httpsRule(
  name: string,
  targetFqdns: pulumi.Input<pulumi.Input<string>[]>,
  sourceAddresses: pulumi.Input<string>[],
): types.input.network.ApplicationRuleArgs {
  return {
    ruleType: "ApplicationRule",
    name,
    targetFqdns,
    sourceAddresses,
    protocols: [{ protocolType: "Https", port: 443 }],
  };
}

export interface EgressFirewallArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** Id of the `AzureFirewallSubnet`. */
  readonly firewallSubnetId: pulumi.Input<string>;
  /** Node subnet prefix: the rules' source addresses. */
  readonly nodeSubnetPrefix: pulumi.Input<string>;
  /** Hosts known before the cluster exists (all but the API server). */
  readonly hostsBeforeCluster: pulumi.Input<string[]>;
  readonly tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The firewall, its public IP and policy with the pre-cluster rules, and the 0.0.0.0/0 route table. */
export class EgressFirewall {
  readonly policy: network.FirewallPolicy;
  readonly baseRules: network.FirewallPolicyRuleCollectionGroup;
  readonly firewall: network.AzureFirewall;
  readonly privateIp: pulumi.Output<string>;
  readonly routeTable: network.RouteTable;
  private readonly resourceGroupName: pulumi.Input<string>;

  constructor(name: string, args: EgressFirewallArgs, parent: pulumi.Resource) {
    this.resourceGroupName = args.resourceGroupName;
    const common = { resourceGroupName: args.resourceGroupName, location: args.location, tags: args.tags };
    const publicIp = new network.PublicIPAddress(
      `${name}-fw-pip`,
      {
        ...common,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
      },
      { parent },
    );
    this.policy = new network.FirewallPolicy(
      `${name}-fw-policy`,
      { ...common, sku: { tier: "Standard" }, threatIntelMode: "Alert" },
      { parent },
    );
    const sources = [args.nodeSubnetPrefix];
    // AKS needs these during cluster creation, so they exist before the cluster does.
    this.baseRules = new network.FirewallPolicyRuleCollectionGroup(
      `${name}-fw-rules-base`,
      {
        resourceGroupName: args.resourceGroupName,
        firewallPolicyName: this.policy.name,
        priority: 200,
        ruleCollections: [
          {
            ruleCollectionType: "FirewallPolicyFilterRuleCollection",
            name: "aks-network",
            priority: 200,
            action: { type: "Allow" },
            rules: pulumi.output(args.location).apply((loc) => aksNetworkRules(loc, sources)),
          },
          {
            ruleCollectionType: "FirewallPolicyFilterRuleCollection",
            name: "aks-inference-hosts",
            priority: 300,
            action: { type: "Allow" },
            rules: [
              {
                ruleType: "ApplicationRule",
                name: "aks-fqdn-tag",
                fqdnTags: ["AzureKubernetesService"],
                sourceAddresses: sources,
                protocols: [
                  { protocolType: "Https", port: 443 },
                  { protocolType: "Http", port: 80 },
                ],
              },
              httpsRule("inference-hosts", args.hostsBeforeCluster, sources),
            ],
          },
        ],
      },
      { parent },
    );
    this.firewall = new network.AzureFirewall(
      `${name}-fw`,
      {
        ...common,
        sku: { name: "AZFW_VNet", tier: "Standard" },
        firewallPolicy: { id: this.policy.id },
        ipConfigurations: [
          { name: "fw-ipconfig", subnet: { id: args.firewallSubnetId }, publicIPAddress: { id: publicIp.id } },
        ],
      },
      { parent, dependsOn: [this.baseRules] },
    );
    this.privateIp = this.firewall.ipConfigurations.apply((c) => {
      const ip = c?.[0]?.privateIPAddress;
      if (!ip) throw new Error(`firewall ${name}-fw reported no private IP address`);
      return ip;
    });
    this.routeTable = new network.RouteTable(
      `${name}-egress-rt`,
      {
        ...common,
        disableBgpRoutePropagation: true,
        routes: [
          {
            name: "default-via-firewall",
            addressPrefix: "0.0.0.0/0",
            nextHopType: "VirtualAppliance",
            nextHopIpAddress: this.privateIp,
          },
        ],
      },
      { parent },
    );
  }

  /** The API server rule, added once the cluster (and so its FQDN) exists. */
  allowApiServer(
    name: string,
    apiServerFqdn: pulumi.Input<string>,
    nodeSubnetPrefix: pulumi.Input<string>,
    parent: pulumi.Resource,
  ): network.FirewallPolicyRuleCollectionGroup {
    return new network.FirewallPolicyRuleCollectionGroup(
      `${name}-fw-rules-cluster`,
      {
        resourceGroupName: this.resourceGroupName,
        firewallPolicyName: this.policy.name,
        priority: 300,
        ruleCollections: [
          {
            ruleCollectionType: "FirewallPolicyFilterRuleCollection",
            name: "aks-api-server",
            priority: 400,
            action: { type: "Allow" },
            rules: [httpsRule("api-server", [apiServerFqdn], [nodeSubnetPrefix])],
          },
        ],
        // One policy accepts one rule collection group change at a time.
      },
      { parent, dependsOn: [this.baseRules] },
    );
  }
}
