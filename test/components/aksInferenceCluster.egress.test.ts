// Egress: required hosts from the real resource names, and the opt-in firewall.
import { beforeAll, describe, expect, it } from "vitest";
import { startMockRuntime, settle, outputValue, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster, egressHosts, requiredEgressFqdns } from "../../components/aksInferenceCluster/index.js";
import { inputsOf, T } from "./aksInferenceClusterFixtures.js";

let rt: MockRuntime;
let fw: AksInferenceCluster;
let byo: AksInferenceCluster;

beforeAll(async () => {
  rt = await startMockRuntime();
  fw = new AksInferenceCluster("fw", {
    network: { plugin: "azure" },
    egress: { firewall: true, extraFqdns: ["db.contoso.com"] },
    monitoring: {
      logAnalyticsWorkspaceId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/m/providers/Microsoft.OperationalInsights/workspaces/logs",
      dataCollectionRuleId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/m/providers/Microsoft.Insights/dataCollectionRules/ci",
    },
  });
  byo = new AksInferenceCluster("byo", {
    network: {
      vnetResourceGroupName: "net-rg",
      vnetName: "corp",
      subnetName: "aksml-nodes",
      serviceCidr: "10.0.0.0/16",
      dnsServiceIP: "10.0.0.10",
      dockerBridgeCidr: "172.17.0.1/16",
      aksSubnetPrefix: "10.9.0.0/22",
      firewallSubnetPrefix: "10.9.4.0/26",
    },
    egress: { firewall: true },
  });
  await settle();
});

const appRules = (rcg: string) =>
  inputsOf(rt, T.rcg, rcg)
    .ruleCollections.flatMap((c: any) => c.rules)
    .filter((r: any) => r.ruleType === "ApplicationRule");

describe("requiredEgressFqdns", () => {
  it("derives the seed's hosts from the actual cluster, ACR, storage and region names", async () => {
    const acr = inputsOf(rt, T.acr, "fw-acr").registryName as string;
    const account = inputsOf(rt, T.storage, "fw-storage").accountName as string;
    const fqdn = await outputValue(fw.apiServerFqdn);
    expect(fqdn).toMatch(/^fw-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io$/);
    expect(await outputValue(fw.requiredEgressFqdns)).toEqual([
      fqdn,
      "mcr.microsoft.com",
      "*.data.mcr.microsoft.com",
      `${acr}.azurecr.io`,
      `${acr}.westeurope.data.azurecr.io`,
      `${account}.blob.core.windows.net`,
      `${account}.table.core.windows.net`,
      "login.microsoftonline.com",
      "ingest-viennawesteurope.kusto.windows.net",
      "dc.services.visualstudio.com",
      "*.ods.opinsights.azure.com",
      "*.oms.opinsights.azure.com",
      "*.monitoring.azure.com",
      "db.contoso.com",
    ]);
  });

  it("is a pure function of the names, region-normalised and de-duplicated", () => {
    const hosts = requiredEgressFqdns({
      apiServerFqdn: "a.hcp.eastus2.azmk8s.io",
      acrLoginServer: "r.azurecr.io",
      storageBlobEndpoint: "https://s.blob.core.windows.net/",
      storageTableEndpoint: "https://s.table.core.windows.net/",
      location: "East US 2",
      monitoring: false,
      applicationInsights: false,
      extraFqdns: ["mcr.microsoft.com"],
    });
    expect(hosts).toContain("ingest-viennaeastus2.kusto.windows.net");
    expect(hosts).toContain("r.eastus2.data.azurecr.io");
    expect(hosts.filter((h) => h === "mcr.microsoft.com")).toHaveLength(1);
    expect(hosts.some((h) => h.includes("opinsights"))).toBe(false);
    expect(
      egressHosts({
        apiServerFqdn: "a",
        acrLoginServer: "r.azurecr.io",
        storageBlobEndpoint: "s",
        storageTableEndpoint: "t",
        location: "x",
        monitoring: false,
        applicationInsights: false,
        extraFqdns: [],
      }).every((h) => h.usedBy.length > 0),
    ).toBe(true);
  });
});

describe("egress firewall on a created VNet", () => {
  it("creates the AzureFirewallSubnet, a public IP, a policy and a Standard firewall", () => {
    expect(inputsOf(rt, T.subnet, "fw-fw-subnet")).toMatchObject({
      subnetName: "AzureFirewallSubnet",
      addressPrefix: "10.42.255.0/26",
    });
    const firewall = inputsOf(rt, T.firewall, "fw-fw");
    expect(firewall.sku).toEqual({ name: "AZFW_VNet", tier: "Standard" });
    expect(firewall.firewallPolicy.id).toBe((rt.one(T.policy, "fw-fw-policy").state as any).id);
    expect(firewall.ipConfigurations[0].subnet.id).toBe((rt.one(T.subnet, "fw-fw-subnet").state as any).id);
    expect(firewall.ipConfigurations[0].publicIPAddress.id).toBe((rt.one(T.pip, "fw-fw-pip").state as any).id);
  });

  it("allows exactly the derived hosts (API server once the cluster exists) plus the AKS FQDN tag", async () => {
    const all = await outputValue(fw.requiredEgressFqdns);
    const base = appRules("fw-fw-rules-base");
    expect(base.find((r: any) => r.name === "aks-fqdn-tag").fqdnTags).toEqual(["AzureKubernetesService"]);
    const before = base.find((r: any) => r.name === "inference-hosts");
    expect(before.targetFqdns).toEqual(all.slice(1));
    expect(before.protocols).toEqual([{ protocolType: "Https", port: 443 }]);
    expect(before.sourceAddresses).toEqual(["10.42.0.0/20"]);
    const after = appRules("fw-fw-rules-cluster");
    expect(after[0].targetFqdns).toEqual([await outputValue(fw.apiServerFqdn)]);
    expect(rt.one(T.rcg, "fw-fw-rules-cluster").dependencies).toContain(rt.one(T.rcg, "fw-fw-rules-base").urn);
  });

  it("uses a Premium ACR with dedicated data endpoints so layers come from the allowed data host", () => {
    expect(inputsOf(rt, T.acr, "fw-acr")).toMatchObject({
      sku: { name: "Premium" },
      dataEndpointEnabled: true,
      adminUserEnabled: false,
    });
  });

  it("opens the AKS tunnel ports UDP 1194 and TCP 9000 to the region", () => {
    const net = inputsOf(rt, T.rcg, "fw-fw-rules-base")
      .ruleCollections.flatMap((c: any) => c.rules)
      .filter((r: any) => r.ruleType === "NetworkRule");
    expect(net.map((r: any) => [r.ipProtocols[0], r.destinationPorts[0], r.destinationAddresses[0]])).toEqual([
      ["UDP", "1194", "AzureCloud.westeurope"],
      ["TCP", "9000", "AzureCloud.westeurope"],
    ]);
  });

  it("routes 0.0.0.0/0 to the firewall's private IP on the node subnet, with userDefinedRouting", async () => {
    const ip = await outputValue(fw.firewallPrivateIp!);
    expect(ip).toBe("10.42.255.4");
    expect(inputsOf(rt, T.routeTable, "fw-egress-rt").routes).toEqual([
      {
        name: "default-via-firewall",
        addressPrefix: "0.0.0.0/0",
        nextHopType: "VirtualAppliance",
        nextHopIpAddress: ip,
      },
    ]);
    const subnet = inputsOf(rt, T.subnet, "fw-aks-subnet");
    expect(subnet.routeTable.id).toBe((rt.one(T.routeTable, "fw-egress-rt").state as any).id);
    const aks = inputsOf(rt, T.cluster, "fw-aks");
    expect(aks.networkProfile.outboundType).toBe("userDefinedRouting");
    expect(aks.agentPoolProfiles[0].vnetSubnetID).toBe((rt.one(T.subnet, "fw-aks-subnet").state as any).id);
    expect(inputsOf(rt, T.role, "fw-rt-network-contributor").scope).toBe(
      (rt.one(T.routeTable, "fw-egress-rt").state as any).id,
    );
  });
});

describe("egress firewall on an existing VNet", () => {
  it("creates the firewall subnet and the routed node subnet inside the existing VNet", () => {
    const fwSubnet = inputsOf(rt, T.subnet, "byo-fw-subnet");
    expect(fwSubnet).toMatchObject({
      resourceGroupName: "net-rg",
      virtualNetworkName: "corp",
      subnetName: "AzureFirewallSubnet",
      addressPrefix: "10.9.4.0/26",
    });
    const nodes = inputsOf(rt, T.subnet, "byo-aks-subnet");
    expect(nodes).toMatchObject({
      resourceGroupName: "net-rg",
      virtualNetworkName: "corp",
      subnetName: "aksml-nodes",
      addressPrefix: "10.9.0.0/22",
    });
    expect(nodes.routeTable.id).toBe((rt.one(T.routeTable, "byo-egress-rt").state as any).id);
    expect(() => rt.one(T.vnet, "byo-vnet")).toThrow();
    expect(inputsOf(rt, T.cluster, "byo-aks").networkProfile.outboundType).toBe("userDefinedRouting");
  });

  it("still outputs requiredEgressFqdns without monitoring hosts", async () => {
    const hosts = await outputValue(byo.requiredEgressFqdns);
    expect(hosts).toHaveLength(9);
    expect(hosts.some((h) => h.includes("opinsights"))).toBe(false);
  });
});
