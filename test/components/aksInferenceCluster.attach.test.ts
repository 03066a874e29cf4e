// Attach mode (existingClusterId) and Container Insights wiring on the cluster.
import { beforeAll, describe, expect, it } from "vitest";
import { startMockRuntime, settle, outputValue, isSecret, type MockRuntime } from "../../preview/mockRuntime.js";
import { MOCK_KUBECONFIG } from "../../preview/computedOutputs.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import { attachedSizing } from "../../components/aksInferenceCluster/managedCluster.js";
import { childrenOf, inputsOf, reveal, SAMPLE_CLUSTER_ID, T } from "./aksInferenceClusterFixtures.js";

let rt: MockRuntime;
let attached: AksInferenceCluster;
let monitored: AksInferenceCluster;
const WS =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/m/providers/Microsoft.OperationalInsights/workspaces/logs";
const DCR =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/m/providers/Microsoft.Insights/dataCollectionRules/ci";

// The stack's default azure-native settings, which the attach provider must carry over.
const STACK_CONFIG = {
  "azure-native:tenantId": "33333333-3333-3333-3333-333333333333",
  "azure-native:clientId": "44444444-4444-4444-4444-444444444444",
  "azure-native:clientSecret": "not-a-real-secret",
  "azure-native:useOidc": "false",
  "azure-native:location": "westeurope",
  "azure-native:subscriptionId": "00000000-0000-0000-0000-000000000000",
};

beforeAll(async () => {
  rt = await startMockRuntime({ config: STACK_CONFIG, secretConfigKeys: ["azure-native:clientSecret"] });
  attached = new AksInferenceCluster("att", {
    existingClusterId: SAMPLE_CLUSTER_ID,
    clusterPurpose: "DevTest",
    monitoring: { logAnalyticsWorkspaceId: WS, dataCollectionRuleId: DCR },
  });
  monitored = new AksInferenceCluster("mon", {
    monitoring: { logAnalyticsWorkspaceId: WS, dataCollectionRuleId: DCR, defenderForContainers: true },
  });
  await settle();
});

describe("attach mode", () => {
  it("creates no ManagedCluster, agent pool, VNet or identity for the attached cluster", () => {
    const kids = childrenOf(rt, T.component, "att").map((r) => r.type);
    expect(kids).not.toContain(T.cluster);
    expect(kids).not.toContain(T.pool);
    expect(kids).not.toContain(T.vnet);
    expect(kids).not.toContain(T.identity);
    expect(rt.ofType(T.cluster).map((r) => r.name)).toEqual(["mon-aks"]);
  });

  it("still creates the rest of the graph: resource group, ACR, storage, AcrPull, provider", () => {
    const kids = childrenOf(rt, T.component, "att").map((r) => r.name);
    expect(kids).toEqual(
      expect.arrayContaining(["att-rg", "att-acr", "att-storage", "att-models", "att-acr-pull", "att-k8s", "att-dcra"]),
    );
  });

  it("reads the cluster's facts from the existing cluster", async () => {
    expect(await outputValue(attached.clusterId)).toBe(SAMPLE_CLUSTER_ID);
    expect(await outputValue(attached.clusterName)).toBe("shared-aks");
    expect(await outputValue(attached.apiServerFqdn)).toMatch(/^shared-aks-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io$/);
    expect(await outputValue(attached.oidcIssuerUrl)).toMatch(/^https:\/\/westeurope\.oic\.prod-aks\.azure\.com\//);
    // The mocked existing cluster has 3 x Standard_D4s_v5.
    expect(await outputValue(attached.totalVcpus)).toBe(12);
    expect(await outputValue(attached.clusterPurpose)).toBe("DevTest");
  });

  it("grants AcrPull to the existing cluster's kubelet identity", async () => {
    const pull = inputsOf(rt, T.role, "att-acr-pull");
    expect(pull.principalId).toBe(await outputValue(attached.kubeletIdentityObjectId));
    expect(pull.principalId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("builds the provider from the existing cluster's credentials, keyed by its id", async () => {
    const p = inputsOf(rt, T.k8sProvider, "att-k8s");
    expect(p.clusterIdentifier).toBe(SAMPLE_CLUSTER_ID);
    expect(await outputValue(attached.kubeconfig)).toBe(MOCK_KUBECONFIG);
    expect(await isSecret(attached.kubeconfig)).toBe(true);
  });

  it("associates the data collection rule with the attached cluster", () => {
    expect(inputsOf(rt, T.dcra, "att-dcra")).toMatchObject({
      resourceUri: SAMPLE_CLUSTER_ID,
      associationName: "ContainerInsightsExtension",
      dataCollectionRuleId: DCR,
    });
  });
});

describe("attach mode across subscriptions", () => {
  const PROVIDER = "pulumi:providers:azure-native";

  it("reads the cluster through a provider for the subscription in existingClusterId, child of the component", () => {
    const provider = rt.one(PROVIDER, "att-attach-provider");
    expect(provider.parent).toBe(rt.one(T.component, "att").urn);
    expect(reveal(provider.inputs).subscriptionId).toBe("22222222-2222-2222-2222-222222222222");
    // A created cluster needs none: it lives in the default provider's subscription.
    expect(rt.ofType(PROVIDER).map((p) => p.name)).toEqual(["att-attach-provider"]);
  });

  it("carries the stack's credentials settings over, secrets as secrets, but not its subscription", () => {
    const provider = rt.one(PROVIDER, "att-attach-provider");
    expect(reveal(provider.inputs)).toMatchObject({
      tenantId: STACK_CONFIG["azure-native:tenantId"],
      clientSecret: STACK_CONFIG["azure-native:clientSecret"],
      useOidc: "false",
    });
    expect(provider.secretInputs).toEqual(expect.arrayContaining(["clientId", "clientSecret"]));
    expect(reveal(provider.inputs).location).toBeUndefined();
  });

  it("sends the reads of the cluster (its facts and its credentials) through that provider", () => {
    const provider = rt.one(PROVIDER, "att-attach-provider");
    const reads = rt.invokes.filter(
      (i) =>
        [
          "azure-native:containerservice:getManagedCluster",
          "azure-native:containerservice:listManagedClusterUserCredentials",
        ].includes(i.token) && i.inputs.resourceName === "shared-aks",
    );
    expect(reads.map((i) => i.token).sort()).toEqual([
      "azure-native:containerservice:getManagedCluster",
      "azure-native:containerservice:listManagedClusterUserCredentials",
    ]);
    for (const read of reads) expect(read.provider.startsWith(provider.urn)).toBe(true);
    // The created cluster's credentials go through the default provider.
    const created = rt.invokes.find(
      (i) =>
        i.token === "azure-native:containerservice:listManagedClusterUserCredentials" &&
        i.inputs.resourceName !== "shared-aks",
    );
    expect(created?.provider).toBe("");
  });
});

describe("monitoring on a created cluster", () => {
  it("turns on the omsagent addon pointed at the workspace, with Entra auth", () => {
    expect(inputsOf(rt, T.cluster, "mon-aks").addonProfiles).toEqual({
      omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: WS, useAADAuth: "true" } },
    });
  });

  it("turns on the Defender sensor when asked", () => {
    expect(inputsOf(rt, T.cluster, "mon-aks").securityProfile.defender).toEqual({
      logAnalyticsWorkspaceResourceId: WS,
      securityMonitoring: { enabled: true },
    });
  });

  it("associates the rule with the new cluster after it exists", async () => {
    const dcra = rt.one(T.dcra, "mon-dcra");
    expect((dcra.inputs as any).resourceUri).toBe(await outputValue(monitored.clusterId));
    expect(dcra.dependencies).toContain(rt.one(T.cluster, "mon-aks").urn);
  });

  it("adds the Container Insights hosts to the egress list", async () => {
    expect(await outputValue(monitored.requiredEgressFqdns)).toContain("*.ods.opinsights.azure.com");
  });
});

describe("attached cluster sizing (Azure ML's attach check)", () => {
  it("accepts 3 x 4 vCPUs for FastProd and anything for DevTest", () => {
    expect(attachedSizing("FastProd", [{ count: 3, vmSize: "Standard_D4s_v5" }])).toEqual({});
    expect(attachedSizing("DevTest", [{ count: 1, vmSize: "Standard_B2s" }])).toEqual({});
  });
  it("rejects too few nodes or vCPUs for FastProd/DenseProd", () => {
    expect(attachedSizing("FastProd", [{ count: 2, vmSize: "Standard_D8s_v5" }]).error).toMatch(/2 node\(s\), needs 3/);
    expect(attachedSizing("DenseProd", [{ count: 4, vmSize: "Standard_DS2_v2" }]).error).toMatch(/8 vCPUs, needs 12/);
  });
  it("only warns when unknown sizes make the total a lower bound", () => {
    const r = attachedSizing("FastProd", [{ count: 3, vmSize: "Standard_Unknown" }]);
    expect(r.error).toBeUndefined();
    expect(r.warning).toMatch(/not in the vCPU table/);
  });
});
