// Every validation rule of AksInferenceCluster, each asserting the exact property path.
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import {
  AksInferenceCluster,
  aksInferenceClusterProblems,
  knownVmSizes,
  parseManagedClusterId,
  validateAksInferenceClusterArgs,
  vcpusForVmSize,
  type AksInferenceClusterArgs,
} from "../../components/aksInferenceCluster/index.js";
import { SAMPLE_CLUSTER_ID } from "./aksInferenceClusterFixtures.js";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
const VNET = {
  vnetResourceGroupName: "net-rg",
  vnetName: "corp",
  subnetName: "aks",
  serviceCidr: "10.0.0.0/16",
  dnsServiceIP: "10.0.0.10",
  dockerBridgeCidr: "172.17.0.1/16",
};

/** [case, args, expected propertyPath, reason fragment] */
const INVALID: [string, AksInferenceClusterArgs, string, RegExp][] = [
  ["unknown purpose", { clusterPurpose: "Prod" as never }, "clusterPurpose", /DevTest, FastProd, DenseProd/],
  ["zero agents", { agentCount: 0 }, "agentCount", /greater than 0/],
  ["fractional agents", { clusterPurpose: "DevTest", agentCount: 1.5 }, "agentCount", /whole number/],
  ["FastProd with 2 nodes", { agentCount: 2, vmSize: "Standard_D8s_v5" }, "agentCount", /at least 3 nodes/],
  ["FastProd with 8 vCPUs", { agentCount: 4, vmSize: "Standard_D2s_v5" }, "agentCount", /at least 12 vCPUs .*= 8/],
  [
    "DenseProd with 3 x 2 vCPUs",
    { clusterPurpose: "DenseProd", agentCount: 3, vmSize: "Standard_DS2_v2" },
    "agentCount",
    /DenseProd needs at least 12 vCPUs/,
  ],
  ["unknown size without vcpusPerNode", { vmSize: "Standard_Z9_v9" }, "vcpusPerNode", /not in the vCPU table/],
  ["non-positive vcpusPerNode", { vmSize: "Standard_Z9_v9", vcpusPerNode: 0 }, "vcpusPerNode", /greater than 0/],
  [
    "bad load balancer type",
    { loadBalancerType: "Private" as never },
    "loadBalancerType",
    /PublicIp, InternalLoadBalancer/,
  ],
  [
    "subnet with a public LB",
    { loadBalancerSubnet: "ilb" },
    "loadBalancerSubnet",
    /only with an internal load balancer/,
  ],
  [
    "ILB subnet missing from the created VNet",
    { network: { plugin: "azure" }, loadBalancerType: "InternalLoadBalancer", loadBalancerSubnet: "ilb" },
    "loadBalancerSubnet",
    /does not exist in the VNet aksml creates; use the node subnet "aks-subnet"/,
  ],
  [
    "ILB subnet missing from the AKS-managed VNet",
    { loadBalancerType: "InternalLoadBalancer", loadBalancerSubnet: "ilb-subnet" },
    "loadBalancerSubnet",
    /does not exist in the VNet AKS manages/,
  ],
  [
    "bad subnet name",
    { loadBalancerType: "InternalLoadBalancer", loadBalancerSubnet: "bad subnet!" },
    "loadBalancerSubnet",
    /not a valid subnet name/,
  ],
  [
    "cname without cert",
    { tls: { sslCname: "ml.example.com", sslKeyPem: KEY } },
    "tls.sslCertPem",
    /go together; sslCertPem is missing/,
  ],
  ["cert without cname", { tls: { sslCertPem: CERT, sslKeyPem: KEY } }, "tls.sslCname", /sslCname is missing/],
  [
    "cert without key",
    { tls: { sslCname: "ml.example.com", sslCertPem: CERT } },
    "tls.sslKeyPem",
    /sslKeyPem is missing/,
  ],
  [
    "leaf label with cert trio",
    { tls: { sslCname: "ml.example.com", sslCertPem: CERT, sslKeyPem: KEY, leafDomainLabel: "myml" } },
    "tls.leafDomainLabel",
    /either leafDomainLabel .* not both/,
  ],
  [
    "leaf label with internal LB",
    { loadBalancerType: "InternalLoadBalancer", tls: { leafDomainLabel: "myml" } },
    "tls.leafDomainLabel",
    /not supported with an internal load balancer/,
  ],
  ["bad leaf label", { tls: { leafDomainLabel: "My_Label" } }, "tls.leafDomainLabel", /not a valid leaf domain label/],
  [
    "bad cname",
    { tls: { sslCname: "not a host", sslCertPem: CERT, sslKeyPem: KEY } },
    "tls.sslCname",
    /not a host name/,
  ],
  [
    "cert path instead of PEM",
    { tls: { sslCname: "ml.example.com", sslCertPem: "./cert.pem", sslKeyPem: KEY } },
    "tls.sslCertPem",
    /not a PEM certificate/,
  ],
  [
    "key path instead of PEM",
    { tls: { sslCname: "ml.example.com", sslCertPem: CERT, sslKeyPem: "./key.pem" } },
    "tls.sslKeyPem",
    /not a PEM private key/,
  ],
  [
    "malformed cluster id",
    { existingClusterId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm" },
    "existingClusterId",
    /not an AKS managed cluster resource id; expected \/subscriptions\/<subscription guid>/,
  ],
  [
    "cluster name instead of id",
    { existingClusterId: "my-aks" },
    "existingClusterId",
    /Microsoft\.ContainerService\/managedClusters/,
  ],
  [
    "attach with agentCount",
    { existingClusterId: SAMPLE_CLUSTER_ID, agentCount: 3 },
    "agentCount",
    /cannot be used with existingClusterId/,
  ],
  [
    "attach with vmSize",
    { existingClusterId: SAMPLE_CLUSTER_ID, vmSize: "Standard_D4s_v5" },
    "vmSize",
    /cannot be used with existingClusterId/,
  ],
  [
    "attach with network",
    { existingClusterId: SAMPLE_CLUSTER_ID, network: { plugin: "azure" } },
    "network",
    /cannot be used with existingClusterId/,
  ],
  [
    "attach with GPU pool",
    { existingClusterId: SAMPLE_CLUSTER_ID, gpuNodePool: {} },
    "gpuNodePool",
    /cannot be used with existingClusterId/,
  ],
  [
    "attach with firewall",
    { existingClusterId: SAMPLE_CLUSTER_ID, egress: { firewall: true } },
    "egress.firewall",
    /use requiredEgressFqdns/,
  ],
  ["bad network plugin", { network: { plugin: "calico" as never } }, "network.plugin", /kubenet, azure/],
  [
    "existing VNet without dockerBridgeCidr",
    { network: { ...VNET, dockerBridgeCidr: undefined } },
    "network.dockerBridgeCidr",
    /all six .* dockerBridgeCidr is missing/,
  ],
  [
    "existing VNet without subnet",
    { network: { ...VNET, subnetName: undefined } },
    "network.subnetName",
    /subnetName is missing/,
  ],
  [
    "VNet name without its group",
    { network: { vnetName: "corp" } },
    "network.vnetResourceGroupName",
    /vnetResourceGroupName is missing/,
  ],
  [
    "serviceCidr without dnsServiceIP",
    { network: { serviceCidr: "10.1.0.0/16" } },
    "network.dnsServiceIP",
    /set both or neither/,
  ],
  [
    "bad serviceCidr",
    { network: { serviceCidr: "10.1.0.0/33", dnsServiceIP: "10.1.0.10" } },
    "network.serviceCidr",
    /not an IPv4 CIDR/,
  ],
  [
    "bad dnsServiceIP",
    { network: { serviceCidr: "10.1.0.0/16", dnsServiceIP: "10.1.0" } },
    "network.dnsServiceIP",
    /not an IPv4 address/,
  ],
  [
    "dnsServiceIP outside serviceCidr",
    { network: { serviceCidr: "10.1.0.0/16", dnsServiceIP: "10.2.0.10" } },
    "network.dnsServiceIP",
    /outside serviceCidr/,
  ],
  [
    "subnet outside the VNet",
    { network: { plugin: "azure", aksSubnetPrefix: "10.50.0.0/20" } },
    "network.aksSubnetPrefix",
    /outside the VNet address space 10\.42\.0\.0\/16/,
  ],
  [
    "service CIDR overlapping the VNet",
    { network: { plugin: "azure", serviceCidr: "10.42.0.0/16", dnsServiceIP: "10.42.0.10" } },
    "network.serviceCidr",
    /overlaps the node network/,
  ],
  [
    "firewall subnet too small",
    { network: { plugin: "azure", firewallSubnetPrefix: "10.42.255.0/28" }, egress: { firewall: true } },
    "network.firewallSubnetPrefix",
    /\/26 or larger/,
  ],
  ["firewall on kubenet without a VNet", { egress: { firewall: true } }, "egress.firewall", /needs a VNet/],
  [
    "firewall on an existing VNet without prefixes",
    { network: VNET, egress: { firewall: true } },
    "network.firewallSubnetPrefix",
    /free prefix/,
  ],
  [
    "firewall on an existing VNet without node prefix",
    { network: { ...VNET, firewallSubnetPrefix: "10.9.0.0/26" }, egress: { firewall: true } },
    "network.aksSubnetPrefix",
    /creates the node subnet/,
  ],
  [
    "bad extra FQDN",
    { egress: { extraFqdns: ["db.example.com", "https://api.example.com"] } },
    "egress.extraFqdns[1]",
    /not a host name/,
  ],
  ["firewall flag as an Output", { egress: { firewall: pulumi.output(true) } }, "egress.firewall", /plain boolean/],
  [
    "pool name too long",
    { userNodePools: [{ name: "cpupoolnumberone", vmSize: "Standard_D4s_v5" }] },
    "userNodePools[0].name",
    /1-12 lowercase/,
  ],
  [
    "pool named system",
    { userNodePools: [{ name: "system", vmSize: "Standard_D4s_v5" }] },
    "userNodePools[0].name",
    /already used .*system pool/,
  ],
  [
    "duplicate pool names",
    {
      userNodePools: [
        { name: "cpu", vmSize: "Standard_D4s_v5" },
        { name: "cpu", vmSize: "Standard_D8s_v5" },
      ],
    },
    "userNodePools[1].name",
    /unique/,
  ],
  [
    "pool label key",
    { userNodePools: [{ name: "cpu", vmSize: "Standard_D4s_v5", labels: { "team name": "x" } }] },
    "userNodePools[0].labels.team name",
    /label key/,
  ],
  [
    "pool label value",
    { userNodePools: [{ name: "cpu", vmSize: "Standard_D4s_v5", labels: { owner: "jane@example.com" } }] },
    "userNodePools[0].labels.owner",
    /label value/,
  ],
  [
    "pool taint",
    {
      userNodePools: [{ name: "cpu", vmSize: "Standard_D4s_v5", taints: ["dedicated=ml:NoSchedule", "dedicated=ml"] }],
    },
    "userNodePools[0].taints[1]",
    /not a taint/,
  ],
  [
    "pool of unknown size",
    { userNodePools: [{ name: "big", vmSize: "Standard_X1" }] },
    "userNodePools[0].vcpusPerNode",
    /not in the vCPU table/,
  ],
  ["GPU pool min without max", { gpuNodePool: { minCount: 1 } }, "gpuNodePool.maxCount", /both minCount and maxCount/],
  [
    "GPU pool min above max",
    { gpuNodePool: { minCount: 3, maxCount: 2 } },
    "gpuNodePool.minCount",
    /must not exceed maxCount/,
  ],
  [
    "GPU pool count outside range",
    { gpuNodePool: { count: 5, minCount: 1, maxCount: 3 } },
    "gpuNodePool.count",
    /between minCount and maxCount/,
  ],
  ["GPU pool zero nodes", { gpuNodePool: { count: 0 } }, "gpuNodePool.count", /greater than 0/],
  ["bad model container name", { modelContainerName: "Models_" }, "modelContainerName", /blob container name/],
  ["tag name with a slash", { tags: { "team/owner": "ml" } }, "tags.team/owner", /not a valid Azure tag name/],
  ["tag value too long", { tags: { owner: "x".repeat(257) } }, "tags.owner", /at most 256/],
  ["bad ACR SKU", { acrSku: "Free" as never }, "acrSku", /Basic, Standard, Premium/],
  [
    "Basic ACR behind the firewall",
    { network: { plugin: "azure" }, egress: { firewall: true }, acrSku: "Basic" },
    "acrSku",
    /needs a Premium registry/,
  ],
  ["bad AKS tier", { skuTier: "Gold" as never }, "skuTier", /Free, Standard, Premium/],
  ["bad Kubernetes version", { kubernetesVersion: "v1.33" }, "kubernetesVersion", /such as 1\.33 or 1\.33\.2/],
  ["bad DNS prefix", { dnsPrefix: "-aks" }, "dnsPrefix", /not a valid DNS prefix/],
  [
    "bad workspace id",
    {
      monitoring: {
        logAnalyticsWorkspaceId: "logs",
        dataCollectionRuleId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Insights/dataCollectionRules/d",
      },
    },
    "monitoring.logAnalyticsWorkspaceId",
    /Log Analytics workspace/,
  ],
  [
    "bad DCR id",
    {
      monitoring: {
        logAnalyticsWorkspaceId:
          "/subscriptions/s/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w",
        dataCollectionRuleId: "dcr",
      },
    },
    "monitoring.dataCollectionRuleId",
    /data collection rule/,
  ],
];

function thrown(args: AksInferenceClusterArgs): pulumi.InputPropertiesError {
  try {
    validateAksInferenceClusterArgs("c", args);
  } catch (e) {
    if (pulumi.InputPropertiesError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected validateAksInferenceClusterArgs to throw");
}

describe("AksInferenceCluster validation", () => {
  it.each(INVALID)("rejects %s", (_, args, path, reason) => {
    const err = thrown(args);
    const hit = err.errors.find((e) => e.propertyPath === path);
    expect(hit, `errors: ${JSON.stringify(err.errors)}`).toBeDefined();
    expect(hit!.reason).toMatch(reason);
    expect(err.message).toContain(path);
  });

  it("has at least 20 invalid cases", () => expect(INVALID.length).toBeGreaterThanOrEqual(20));

  it("collects every problem into one error", () => {
    const err = thrown({
      agentCount: 1,
      loadBalancerType: "InternalLoadBalancer",
      tls: { leafDomainLabel: "x" },
      acrSku: "Free" as never,
    });
    expect(err.errors.map((e) => e.propertyPath).sort()).toEqual([
      "acrSku",
      "agentCount",
      "agentCount",
      "tls.leafDomainLabel",
      "tls.leafDomainLabel",
    ]);
    expect(err.message).toMatch(/has 5 invalid arguments/);
  });

  it.each<[string, AksInferenceClusterArgs]>([
    ["the defaults", {}],
    ["DevTest on one small node", { clusterPurpose: "DevTest", vmSize: "Standard_B2s" }],
    ["FastProd on 3 x D4ds_v5", { agentCount: 3, vmSize: "Standard_D4ds_v5", kubernetesVersion: "1.33" }],
    ["legacy D3_v2 (Azure ML's default size)", { vmSize: "Standard_D3_v2" }],
    ["an unknown size with vcpusPerNode", { vmSize: "Standard_New_v9", vcpusPerNode: 8, agentCount: 3 }],
    ["an existing VNet with all six fields", { network: VNET }],
    [
      "a firewall on an existing VNet with both prefixes",
      {
        network: { ...VNET, plugin: "azure", aksSubnetPrefix: "10.9.0.0/22", firewallSubnetPrefix: "10.9.4.0/26" },
        egress: { firewall: true },
      },
    ],
    [
      "CNI with a firewall and TLS",
      {
        network: { plugin: "azure" },
        egress: { firewall: true, extraFqdns: ["*.example.com"] },
        tls: { sslCname: "ml.example.com", sslCertPem: CERT, sslKeyPem: KEY },
      },
    ],
    [
      "an internal LB with a custom subnet in an existing VNet",
      { network: VNET, loadBalancerType: "InternalLoadBalancer", loadBalancerSubnet: "ilb-subnet" },
    ],
    [
      "an internal LB on the AKS-managed VNet's subnet",
      { loadBalancerType: "InternalLoadBalancer", loadBalancerSubnet: "aks-subnet" },
    ],
    [
      "attach by id with purpose and LB settings",
      { existingClusterId: SAMPLE_CLUSTER_ID, clusterPurpose: "DevTest", loadBalancerType: "InternalLoadBalancer" },
    ],
    [
      "unknown (Output) values, checked later",
      {
        agentCount: pulumi.output(1),
        vmSize: pulumi.output("x"),
        existingClusterId: undefined,
        tls: { sslCertPem: pulumi.secret("c"), sslKeyPem: pulumi.secret("k"), sslCname: pulumi.output("h") },
      },
    ],
  ])("accepts %s", (_, args) => {
    expect(aksInferenceClusterProblems("c", args)).toEqual([]);
  });
});

describe("construction", () => {
  it("refuses invalid arguments before registering anything", () => {
    expect(() => new AksInferenceCluster("bad", { agentCount: 2 })).toThrow(
      /AksInferenceCluster "bad" has 2 invalid arguments/,
    );
  });
});

describe("vCPU table", () => {
  it.each([
    ["Standard_D3_v2", 4],
    ["Standard_D4s_v5", 4],
    ["Standard_D4ds_v5", 4],
    ["Standard_D8s_v5", 8],
    ["Standard_DS2_v2", 2],
    ["Standard_DS3_v2", 4],
    ["Standard_B2s", 2],
    ["Standard_NC4as_T4_v3", 4],
    ["Standard_NC6s_v3", 6],
    ["standard_d4s_v5", 4],
  ])("knows %s has %i vCPUs", (size, vcpus) => expect(vcpusForVmSize(size)).toBe(vcpus));

  it("returns undefined for sizes it does not know", () =>
    expect(vcpusForVmSize("Standard_Imaginary_v9")).toBeUndefined());
  it("lists only positive whole vCPU counts", () =>
    expect(knownVmSizes().every((s) => Number.isInteger(vcpusForVmSize(s)) && vcpusForVmSize(s)! > 0)).toBe(true));
});

describe("managed cluster ids", () => {
  it("parses subscription, resource group and name", () => {
    expect(parseManagedClusterId(SAMPLE_CLUSTER_ID)).toEqual({
      subscriptionId: "22222222-2222-2222-2222-222222222222",
      resourceGroupName: "ml-shared",
      clusterName: "shared-aks",
    });
  });
  it.each([
    SAMPLE_CLUSTER_ID.replace("managedClusters", "virtualMachines"),
    SAMPLE_CLUSTER_ID.replace("22222222-2222-2222-2222-222222222222", "not-a-guid"),
    `${SAMPLE_CLUSTER_ID}/agentPools/system`,
    "shared-aks",
  ])("rejects %s", (id) => expect(parseManagedClusterId(id)).toBeUndefined());
});
