// Node pools, Azure CNI, internal load balancer, TLS and secrets.
import { beforeAll, describe, expect, it } from "vitest";
import { startMockRuntime, settle, outputValue, isSecret, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import { inputsOf, T } from "./aksInferenceClusterFixtures.js";

let rt: MockRuntime;
const c: Record<string, AksInferenceCluster> = {};
const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

beforeAll(async () => {
  rt = await startMockRuntime();
  c.gpu = new AksInferenceCluster("gpu", {
    gpuNodePool: { minCount: 1, maxCount: 4 },
    userNodePools: [
      { name: "cpu", vmSize: "Standard_D8s_v5", count: 2, labels: { workload: "models" } },
      { name: "custom", vmSize: "Standard_Custom_v1", vcpusPerNode: 6 },
    ],
  });
  c.cni = new AksInferenceCluster("cni", {
    network: { plugin: "azure", serviceCidr: "10.100.0.0/16", dnsServiceIP: "10.100.0.10" },
    loadBalancerType: "InternalLoadBalancer",
    tls: { sslCname: "scoring.contoso.com", sslCertPem: CERT, sslKeyPem: KEY },
  });
  c.leaf = new AksInferenceCluster("leaf", { clusterPurpose: "DevTest", tls: { leafDomainLabel: "contosoml" } });
  c.byo = new AksInferenceCluster("byo", {
    network: {
      vnetResourceGroupName: "net-rg",
      vnetName: "corp",
      subnetName: "aks",
      serviceCidr: "10.0.0.0/16",
      dnsServiceIP: "10.0.0.10",
      dockerBridgeCidr: "172.17.0.1/16",
    },
  });
  await settle();
});

describe("node pools", () => {
  it("keeps only the system pool inline and makes every other pool a separate AgentPool, chained", () => {
    expect(inputsOf(rt, T.cluster, "gpu-aks").agentPoolProfiles.map((p: any) => p.name)).toEqual(["system"]);
    const pools = rt.ofType(T.pool).filter((p) => p.name.startsWith("gpu-"));
    expect(pools.map((p) => p.name)).toEqual(["gpu-cpu", "gpu-custom", "gpu-gpu"]);
    expect(pools[1].dependencies).toContain(pools[0].urn);
    expect(pools[2].dependencies).toContain(pools[1].urn);
  });

  it("taints the GPU pool nvidia.com/gpu=present:NoSchedule and autoscales it, ignoring count drift", () => {
    const gpu = inputsOf(rt, T.pool, "gpu-gpu");
    expect(gpu).toMatchObject({
      agentPoolName: "gpu",
      mode: "User",
      vmSize: "Standard_NC4as_T4_v3",
      enableAutoScaling: true,
      minCount: 1,
      maxCount: 4,
      count: 1,
    });
    expect(gpu.nodeTaints).toEqual(["nvidia.com/gpu=present:NoSchedule"]);
    expect(rt.one(T.pool, "gpu-gpu").ignoreChanges).toEqual(["count"]);
  });

  it("deploys the NVIDIA device plugin on the GPU pool only (AKS installs drivers, not the plugin)", async () => {
    const ds = rt.one("kubernetes:apps/v1:DaemonSet", "gpu-gpu-device-plugin");
    const pod = (ds.inputs as any).spec.template.spec;
    expect((ds.inputs as any).metadata).toMatchObject({
      name: "nvidia-device-plugin-daemonset",
      namespace: "kube-system",
    });
    expect(pod.nodeSelector).toEqual({ "kubernetes.azure.com/agentpool": "gpu" });
    expect(pod.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    expect(pod.containers[0].image).toBe("nvcr.io/nvidia/k8s-device-plugin:v0.18.0");
    expect(ds.provider.startsWith(rt.one("pulumi:providers:kubernetes", "gpu-k8s").urn)).toBe(true);
    // Its registry must be reachable: the host joins the required egress list.
    expect(await outputValue(c.gpu.requiredEgressFqdns)).toContain("nvcr.io");
    // Clusters without a GPU pool get no plugin and no extra host.
    expect(rt.ofType("kubernetes:apps/v1:DaemonSet").map((d) => d.name)).toEqual(["gpu-gpu-device-plugin"]);
    expect(await outputValue(c.cni.requiredEgressFqdns)).not.toContain("nvcr.io");
  });

  it("emits a device plugin DaemonSet that is valid against the Kubernetes schema", async () => {
    const { DaemonSet } = await import("kubernetes-models/apps/v1/DaemonSet");
    const ds = rt.one("kubernetes:apps/v1:DaemonSet", "gpu-gpu-device-plugin").inputs as any;
    expect(() => new DaemonSet(ds).validate()).not.toThrow();
    expect(() => new DaemonSet({ ...ds, spec: { ...ds.spec, selector: "bad" } }).validate()).toThrow();
  });

  it.each([
    ["nvcr.io/nvidia/k8s-device-plugin:v0.18.0", "nvcr.io"],
    ["contoso.azurecr.io/nvidia/plugin@sha256:abc", "contoso.azurecr.io"],
    ["localhost:5000/plugin:1", "localhost:5000"],
    ["nvidia/k8s-device-plugin:v0.18.0", "registry-1.docker.io"],
    ["k8s-device-plugin", "registry-1.docker.io"],
  ])("finds the registry host of %s", async (image, host) => {
    const { imageRegistryHost } = await import("../../components/aksInferenceCluster/gpuDevicePlugin.js");
    expect(imageRegistryHost(image)).toBe(host);
  });

  it("takes a mirrored device plugin image and then needs that registry instead", async () => {
    const { resolveAksInferenceClusterArgs } = await import("../../components/aksInferenceCluster/defaults.js");
    const r = resolveAksInferenceClusterArgs("m", {
      gpuNodePool: { devicePluginImage: "contoso.azurecr.io/nvidia/k8s-device-plugin:v0.18.0" },
    });
    expect(r.gpuDevicePluginImage).toBe("contoso.azurecr.io/nvidia/k8s-device-plugin:v0.18.0");
    expect(await outputValue(r.extraFqdns as any)).toEqual(["contoso.azurecr.io"]);
  });

  it("leaves fixed-size user pools untainted and without autoscaling", () => {
    const cpu = inputsOf(rt, T.pool, "gpu-cpu");
    expect(cpu).toMatchObject({ count: 2, enableAutoScaling: false, nodeLabels: { workload: "models" } });
    expect(cpu.nodeTaints).toBeUndefined();
    expect(rt.one(T.pool, "gpu-cpu").ignoreChanges).toEqual([]);
  });

  it("tags pools whose size is not in the vCPU table and counts them in totalVcpus", async () => {
    expect(inputsOf(rt, T.pool, "gpu-custom").tags).toEqual({ "aksml-vcpus-per-node": "6" });
    expect(inputsOf(rt, T.pool, "gpu-gpu").tags).toEqual({});
    // 3 x 4 (system) + 2 x 8 + 1 x 6 + 1 x 4 (GPU at its minimum)
    expect(await outputValue(c.gpu.totalVcpus)).toBe(38);
  });
});

describe("Azure CNI on a created VNet, internal load balancer, TLS", () => {
  it("creates a VNet and an aks-subnet and puts the nodes on it with Azure CNI", async () => {
    const vnet = inputsOf(rt, T.vnet, "cni-vnet");
    expect(vnet.addressSpace.addressPrefixes).toEqual(["10.42.0.0/16"]);
    const subnet = rt.one(T.subnet, "cni-aks-subnet");
    expect(subnet.inputs).toMatchObject({ subnetName: "aks-subnet", addressPrefix: "10.42.0.0/20" });
    const aks = inputsOf(rt, T.cluster, "cni-aks");
    expect(aks.networkProfile).toMatchObject({
      networkPlugin: "azure",
      networkPolicy: "calico",
      serviceCidr: "10.100.0.0/16",
      dnsServiceIP: "10.100.0.10",
      outboundType: "loadBalancer",
    });
    expect(aks.agentPoolProfiles[0].vnetSubnetID).toBe((subnet.state as any).id);
  });

  it("gives the control plane a user-assigned identity with Network Contributor on the VNet", () => {
    const aks = inputsOf(rt, T.cluster, "cni-aks");
    const uami = rt.one(T.identity, "cni-identity");
    expect(aks.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [(uami.state as any).id] });
    const grant = inputsOf(rt, T.role, "cni-vnet-network-contributor");
    expect(grant.roleDefinitionId).toMatch(/4d97b98b-1d4f-4787-a291-c67834d212e7$/);
    expect(grant.principalId).toBe((uami.state as any).principalId);
    expect(grant.scope).toBe((rt.one(T.vnet, "cni-vnet").state as any).id);
    expect(rt.one(T.cluster, "cni-aks").dependencies).toContain(rt.one(T.role, "cni-vnet-network-contributor").urn);
  });

  it("records an internal load balancer on aks-subnet for AzuremlFe", async () => {
    expect(await outputValue(c.cni.connection.loadBalancerType)).toBe("InternalLoadBalancer");
    expect(await outputValue(c.cni.connection.loadBalancerSubnet!)).toBe("aks-subnet");
  });

  it("passes the certificate trio through, with the PEMs secret", async () => {
    const conn = c.cni.connection;
    expect(await outputValue(conn.sslCname!)).toBe("scoring.contoso.com");
    expect(await outputValue(conn.sslCertPem!)).toBe(CERT);
    expect(await isSecret(conn.sslCertPem as any)).toBe(true);
    expect(await isSecret(conn.sslKeyPem as any)).toBe(true);
  });

  it("uses an existing VNet's subnet by id and creates no VNet or subnet for it", () => {
    expect(() => rt.one(T.vnet, "byo-vnet")).toThrow();
    expect(rt.ofType(T.subnet).some((s) => s.name.startsWith("byo-"))).toBe(false);
    const aks = inputsOf(rt, T.cluster, "byo-aks");
    expect(aks.agentPoolProfiles[0].vnetSubnetID).toBe(
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/corp/subnets/aks",
    );
    expect(aks.networkProfile.networkPlugin).toBe("kubenet");
    expect(inputsOf(rt, T.role, "byo-vnet-network-contributor").scope).toBe(
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/corp",
    );
  });

  it("records a leaf domain label with its suffix and adds its cloudapp host to the egress list", async () => {
    const label = await outputValue(c.leaf.connection.leafDomainLabel!);
    expect(label).toMatch(/^contosoml[a-z0-9]{6}$/);
    expect(await outputValue(c.leaf.requiredEgressFqdns)).toContain(`${label}.westeurope.cloudapp.azure.com`);
  });
});

describe("secrets", () => {
  it("keeps the kubeconfig secret", async () => {
    expect(await isSecret(c.gpu.kubeconfig)).toBe(true);
    expect(await outputValue(c.gpu.kubeconfig)).toMatch(/^apiVersion: v1/);
  });

  it("records the TLS PEMs nowhere in the Azure resources' plain inputs", () => {
    const leaked = rt.resources.filter(
      (r) => r.type.startsWith("azure-native:") && JSON.stringify(r.inputs).includes("BEGIN PRIVATE KEY"),
    );
    expect(leaked).toEqual([]);
  });
});
