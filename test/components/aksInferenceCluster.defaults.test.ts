// Every default of AksInferenceCluster, asserted on the inputs recorded under mocks.
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, outputValue, type MockRuntime } from "../../preview/mockRuntime.js";
import {
  AksInferenceCluster,
  aksInferenceClusterProblems,
  resolveAksInferenceClusterArgs,
  AKS_INFERENCE_CLUSTER_DEFAULTS as D,
} from "../../components/aksInferenceCluster/index.js";
import { inputsOf, T } from "./aksInferenceClusterFixtures.js";

let rt: MockRuntime;
const warn = vi.spyOn(pulumi.log, "warn");
const c: Record<string, AksInferenceCluster> = {};

beforeAll(async () => {
  rt = await startMockRuntime();
  c.prod = new AksInferenceCluster("prod", {});
  c.dev = new AksInferenceCluster("dev", { clusterPurpose: "DevTest" });
  c.tiny = new AksInferenceCluster("tiny", {
    clusterPurpose: "DevTest",
    vmSize: "Standard_A1_custom",
    vcpusPerNode: 1,
  });
  await settle();
});

const aks = (n: string) => inputsOf(rt, T.cluster, `${n}-aks`);

describe("AksInferenceCluster defaults", () => {
  it("defaults clusterPurpose to FastProd and tags the cluster with it", async () => {
    expect(await outputValue(c.prod.clusterPurpose)).toBe("FastProd");
    expect(aks("prod").tags["aksml-cluster-purpose"]).toBe("FastProd");
    expect(aks("dev").tags["aksml-cluster-purpose"]).toBe("DevTest");
  });

  it("FastProd: 3 x Standard_D4s_v5 (12 vCPUs) in the inline system pool, Standard tier", async () => {
    const pools = aks("prod").agentPoolProfiles;
    expect(pools).toHaveLength(1);
    expect(pools[0]).toMatchObject({
      name: "system",
      mode: "System",
      count: 3,
      vmSize: "Standard_D4s_v5",
      osType: "Linux",
    });
    expect(aks("prod").sku).toEqual({ name: "Base", tier: "Standard" });
    expect(await outputValue(c.prod.totalVcpus)).toBe(12);
  });

  it("DevTest: 1 x Standard_D2s_v5 (2 vCPUs), Free tier, no warning at 2 vCPUs", async () => {
    expect(aks("dev").agentPoolProfiles[0]).toMatchObject({ count: 1, vmSize: "Standard_D2s_v5" });
    expect(aks("dev").sku.tier).toBe("Free");
    expect(await outputValue(c.dev.totalVcpus)).toBe(2);
    expect(warn.mock.calls.filter(([m]) => /DevTest cluster has/.test(String(m)))).toHaveLength(1);
  });

  it("warns for a DevTest cluster below 2 vCPUs and tags a size missing from the table", async () => {
    expect(await outputValue(c.tiny.totalVcpus)).toBe(1);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/DevTest cluster has 1 vCPU\(s\); Azure ML recommends at least 2/),
      expect.anything(),
    );
    expect(aks("tiny").agentPoolProfiles[0].tags["aksml-vcpus-per-node"]).toBe("1");
    expect(aks("prod").agentPoolProfiles[0].tags["aksml-vcpus-per-node"]).toBeUndefined();
  });

  it("turns on the OIDC issuer and workload identity", async () => {
    expect(aks("prod").oidcIssuerProfile).toEqual({ enabled: true });
    expect(aks("prod").securityProfile.workloadIdentity).toEqual({ enabled: true });
    expect(await outputValue(c.prod.oidcIssuerUrl)).toMatch(/^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\//);
  });

  it("uses kubenet with the default service CIDR and DNS IP and load-balancer outbound, and no VNet", () => {
    expect(aks("prod").networkProfile).toMatchObject({
      networkPlugin: "kubenet",
      // The router's and model pods' NetworkPolicies need an engine; Calico runs on kubenet and Azure CNI alike.
      networkPolicy: "calico",
      serviceCidr: "10.0.0.0/16",
      dnsServiceIP: "10.0.0.10",
      outboundType: "loadBalancer",
      loadBalancerSku: "standard",
    });
    expect(aks("prod").agentPoolProfiles[0].vnetSubnetID).toBeUndefined();
    expect(rt.ofType(T.vnet)).toHaveLength(0);
    expect(aks("prod").identity).toEqual({ type: "SystemAssigned" });
  });

  it("takes the region from the created resource group and leaves the Kubernetes version to AKS", async () => {
    expect(inputsOf(rt, T.rg, "prod-rg").location).toBeUndefined();
    expect(await outputValue(c.prod.location)).toBe("westeurope");
    expect(aks("prod").location).toBe("westeurope");
    expect(aks("prod").kubernetesVersion).toBeUndefined();
    expect(await outputValue(c.prod.resourceGroupName)).toMatch(/^prod-rg[0-9a-f]{8}$/);
  });

  it("derives the DNS prefix from the component name", () => {
    expect(aks("prod").dnsPrefix).toBe("prod");
    expect(resolveAksInferenceClusterArgs("My_Cluster.1", {}).dnsPrefix).toBe("my-cluster-1");
  });

  it("creates a resource group, an ACR with the admin user off, and AcrPull for the kubelet identity", async () => {
    expect(rt.ofType(T.rg).map((r) => r.name)).toContain("prod-rg");
    const acr = inputsOf(rt, T.acr, "prod-acr");
    expect(acr.adminUserEnabled).toBe(false);
    expect(acr.sku).toEqual({ name: "Basic" });
    expect(acr.dataEndpointEnabled).toBeUndefined();
    const pull = inputsOf(rt, T.role, "prod-acr-pull");
    expect(pull.roleDefinitionId).toMatch(/\/roleDefinitions\/7f951dda-4ed3-4680-a7ca-43fe172d538d$/);
    expect(pull.principalId).toBe(await outputValue(c.prod.kubeletIdentityObjectId));
    expect(pull.scope).toBe(await outputValue(c.prod.acrId));
    expect(pull.principalType).toBe("ServicePrincipal");
  });

  it("creates a private TLS 1.2 https-only storage account with a private 'models' container", async () => {
    const sa = inputsOf(rt, T.storage, "prod-storage");
    expect(sa).toMatchObject({
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
      allowBlobPublicAccess: false,
      minimumTlsVersion: "TLS1_2",
      enableHttpsTrafficOnly: true,
    });
    expect(inputsOf(rt, T.container, "prod-models")).toMatchObject({ containerName: "models", publicAccess: "None" });
    expect(await outputValue(c.prod.modelContainerName)).toBe("models");
    expect(await outputValue(c.prod.storageBlobEndpoint)).toBe(`https://${sa.accountName}.blob.core.windows.net/`);
  });

  it("builds the Kubernetes provider from the user credentials with clusterIdentifier and server-side apply", async () => {
    const p = inputsOf(rt, T.k8sProvider, "prod-k8s");
    expect(p.clusterIdentifier).toBe(await outputValue(c.prod.clusterId));
    expect(String(p.enableServerSideApply)).toBe("true");
    expect(p.kubeconfig).toContain("kind: Config");
    expect(rt.one(T.k8sProvider, "prod-k8s").secretInputs).toContain("kubeconfig");
    // Pods deployed through the provider pull from the ACR: the kubelet's AcrPull comes first.
    expect(rt.one(T.k8sProvider, "prod-k8s").dependencies).toContain(rt.one(T.role, "prod-acr-pull").urn);
  });

  it("defaults the load balancer to PublicIp with no subnet, and no TLS", async () => {
    expect(await outputValue(c.prod.connection.loadBalancerType)).toBe("PublicIp");
    expect(c.prod.connection.loadBalancerSubnet).toBeUndefined();
    expect(c.prod.connection.sslCname).toBeUndefined();
    expect(c.prod.connection.leafDomainLabel).toBeUndefined();
  });

  it("has no firewall, monitoring addon or extra pools by default, yet outputs requiredEgressFqdns", async () => {
    expect(rt.ofType(T.firewall)).toHaveLength(0);
    expect(rt.ofType(T.pool)).toHaveLength(0);
    expect(aks("prod").addonProfiles).toBeUndefined();
    expect(c.prod.firewallPrivateIp).toBeUndefined();
    expect(await outputValue(c.prod.requiredEgressFqdns)).toContain("mcr.microsoft.com");
  });

  it("exposes every default in resolveAksInferenceClusterArgs", () => {
    const r = resolveAksInferenceClusterArgs("x", {});
    expect(r.clusterPurpose).toBe("FastProd");
    expect(r.systemPool).toMatchObject({ count: D.prodAgentCount, vmSize: D.prodVmSize, vcpusPerNode: 4 });
    expect(r.network).toMatchObject({
      plugin: "kubenet",
      createVnet: false,
      existingVnet: false,
      subnetName: "aks-subnet",
      vnetAddressSpace: "10.42.0.0/16",
    });
    expect(r.loadBalancerType).toBe("PublicIp");
    expect(r.loadBalancerSubnet).toBeUndefined();
    expect(resolveAksInferenceClusterArgs("x", { loadBalancerType: "InternalLoadBalancer" }).loadBalancerSubnet).toBe(
      "aks-subnet",
    );
    // A long component name gives a valid default DNS prefix (cut at 54, never ending in "-").
    const long = `${"a".repeat(53)}-inference-cluster`;
    expect(aksInferenceClusterProblems(long, {}).map((p) => p.propertyPath)).toEqual([]);
    // In a VNet aksml creates, the internal LB goes to the node subnet, whatever its name.
    expect(
      resolveAksInferenceClusterArgs("x", {
        loadBalancerType: "InternalLoadBalancer",
        network: { plugin: "azure", subnetName: "nodes" },
      }).loadBalancerSubnet,
    ).toBe("nodes");
    expect(r.firewall).toBe(false);
    expect(r.extraFqdns).toEqual([]);
    expect(r.acrSku).toBe("Basic");
    expect(r.modelContainerName).toBe("models");
    expect(r.tags).toEqual({});
    expect(r.skuTier).toBe("Standard");
    expect(r.gpuNodePool).toBeUndefined();
    const cni = resolveAksInferenceClusterArgs("x", {
      network: { plugin: "azure" },
      egress: { firewall: true },
    }).network;
    expect(cni).toMatchObject({
      createVnet: true,
      aksSubnetPrefix: "10.42.0.0/20",
      firewallSubnetPrefix: "10.42.255.0/26",
    });
    expect(
      resolveAksInferenceClusterArgs("x", { network: { plugin: "azure" }, egress: { firewall: true } }).acrSku,
    ).toBe("Premium");
    const gpu = resolveAksInferenceClusterArgs("x", { gpuNodePool: {} }).gpuNodePool!;
    expect(gpu).toMatchObject({
      name: "gpu",
      vmSize: "Standard_NC4as_T4_v3",
      count: 1,
      autoscale: false,
      taints: ["nvidia.com/gpu=present:NoSchedule"],
    });
    const pool = resolveAksInferenceClusterArgs("x", {
      userNodePools: [{ name: "cpu", vmSize: "Standard_D8s_v5", minCount: 2, maxCount: 5 }],
    }).userNodePools[0];
    expect(pool).toMatchObject({ count: 2, autoscale: true, vcpusPerNode: 8 });
  });
});
