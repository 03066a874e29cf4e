// Upgrades that keep every pool in step: auto-upgrade channels, the planned maintenance
// window, each pool following the control plane's version, surge per pool, the system
// pool autoscaler and the cluster autoscaler profile, with their defaults per purpose.
import { beforeAll, describe, expect, it } from "vitest";
import { startMockRuntime, settle, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import { inputsOf, T } from "./aksInferenceClusterFixtures.js";

const MC = "azure-native:containerservice:MaintenanceConfiguration";
let rt: MockRuntime;

beforeAll(async () => {
  rt = await startMockRuntime();
  new AksInferenceCluster("prod", {
    kubernetesVersion: "1.33",
    userNodePools: [{ name: "cpu", vmSize: "Standard_D8s_v5", count: 2 }],
    gpuNodePool: { minCount: 1, maxCount: 3 },
  });
  new AksInferenceCluster("dev", {
    clusterPurpose: "DevTest",
    userNodePools: [{ name: "cpu", vmSize: "Standard_D8s_v5" }],
  });
  new AksInferenceCluster("custom", {
    agentCount: 4,
    agentMinCount: 3,
    agentMaxCount: 6,
    agentMaxSurge: "2",
    userNodePools: [{ name: "cpu", vmSize: "Standard_D8s_v5", maxSurge: "50%" }],
    upgrade: {
      channel: "stable",
      nodeOsChannel: "SecurityPatch",
      maintenanceWindow: {
        dayOfWeek: "Sunday",
        startTime: "02:30",
        durationHours: 6,
        utcOffset: "+01:00",
        intervalWeeks: 2,
      },
    },
    autoscalerProfile: { expander: "priority", scaleDownDelayAfterAdd: "30m", scaleDownUnneededTime: "20m" },
  });
  new AksInferenceCluster("pinned", { kubernetesVersion: "1.33.2", upgrade: { nodeOsChannel: "Unmanaged" } });
  new AksInferenceCluster("nowindow", { upgrade: { maintenanceWindow: { enabled: false } } });
  await settle();
});

const configs = (prefix: string) => rt.ofType(MC).filter((m) => m.name.startsWith(`${prefix}-`));

describe("defaults per purpose", () => {
  it("FastProd: patch channel, NodeImage OS channel, the control plane's version on every pool", () => {
    const aks = inputsOf(rt, T.cluster, "prod-aks");
    expect(aks.autoUpgradeProfile).toEqual({ upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" });
    expect(aks.kubernetesVersion).toBe("1.33");
    expect(aks.agentPoolProfiles[0].orchestratorVersion).toBe("1.33");
    for (const pool of ["prod-cpu", "prod-gpu"]) {
      expect(inputsOf(rt, T.pool, pool).orchestratorVersion).toBe("1.33");
      // The pool's version is the cluster's output: the pool upgrades after the control plane.
      expect(rt.one(T.pool, pool).dependencies).toContain(rt.one(T.cluster, "prod-aks").urn);
    }
  });

  it("FastProd: a weekly Saturday window for both schedules, after the last pool", () => {
    const window = {
      schedule: { weekly: { dayOfWeek: "Saturday", intervalWeeks: 1 } },
      durationHours: 8,
      startTime: "00:00",
      utcOffset: "+00:00",
    };
    const mcs = configs("prod");
    expect(mcs.map((m) => (m.inputs as any).configName).sort()).toEqual([
      "aksManagedAutoUpgradeSchedule",
      "aksManagedNodeOSUpgradeSchedule",
    ]);
    for (const m of mcs) {
      expect((m.inputs as any).maintenanceWindow).toEqual(window);
      expect((m.inputs as any).resourceName).toBe((rt.one(T.cluster, "prod-aks").state as any).name);
      expect(m.dependencies).toContain(rt.one(T.pool, "prod-gpu").urn);
      expect(m.parent).toBe(rt.one(T.component, "prod").urn);
    }
  });

  it("FastProd: a third of each CPU pool surges, one GPU node at a time", () => {
    expect(inputsOf(rt, T.cluster, "prod-aks").agentPoolProfiles[0].upgradeSettings).toEqual({ maxSurge: "33%" });
    expect(inputsOf(rt, T.pool, "prod-cpu").upgradeSettings).toEqual({ maxSurge: "33%" });
    expect(inputsOf(rt, T.pool, "prod-gpu").upgradeSettings).toEqual({ maxSurge: "1" });
  });

  it("sends the autoscaler profile only when a pool autoscales (least-waste, 10m, 10m)", () => {
    expect(inputsOf(rt, T.cluster, "prod-aks").autoScalerProfile).toEqual({
      expander: "least-waste",
      scaleDownDelayAfterAdd: "10m",
      scaleDownUnneededTime: "10m",
    });
    expect(inputsOf(rt, T.cluster, "dev-aks").autoScalerProfile).toBeUndefined();
  });

  it("DevTest: the same channels, no window, surge of one node", () => {
    const aks = inputsOf(rt, T.cluster, "dev-aks");
    expect(aks.autoUpgradeProfile).toEqual({ upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" });
    expect(configs("dev")).toEqual([]);
    expect(aks.agentPoolProfiles[0].upgradeSettings).toEqual({ maxSurge: "1" });
    expect(inputsOf(rt, T.pool, "dev-cpu").upgradeSettings).toEqual({ maxSurge: "1" });
    // No kubernetesVersion: AKS's default, which the pools follow through the cluster's output.
    expect(aks.agentPoolProfiles[0].orchestratorVersion).toBeUndefined();
    expect(rt.one(T.pool, "dev-cpu").dependencies).toContain(rt.one(T.cluster, "dev-aks").urn);
  });
});

describe("explicit settings", () => {
  it("takes the channels, the window, surges and the autoscaler profile as given", () => {
    const aks = inputsOf(rt, T.cluster, "custom-aks");
    expect(aks.autoUpgradeProfile).toEqual({ upgradeChannel: "stable", nodeOSUpgradeChannel: "SecurityPatch" });
    expect(aks.autoScalerProfile).toEqual({
      expander: "priority",
      scaleDownDelayAfterAdd: "30m",
      scaleDownUnneededTime: "20m",
    });
    expect(inputsOf(rt, T.pool, "custom-cpu").upgradeSettings).toEqual({ maxSurge: "50%" });
    for (const m of configs("custom"))
      expect((m.inputs as any).maintenanceWindow).toEqual({
        schedule: { weekly: { dayOfWeek: "Sunday", intervalWeeks: 2 } },
        durationHours: 6,
        startTime: "02:30",
        utcOffset: "+01:00",
      });
  });

  it("autoscales the system pool from agentCount within its bounds, leaving the count to the autoscaler", () => {
    const system = inputsOf(rt, T.cluster, "custom-aks").agentPoolProfiles[0];
    expect(system).toMatchObject({
      count: 4,
      enableAutoScaling: true,
      minCount: 3,
      maxCount: 6,
      upgradeSettings: { maxSurge: "2" },
    });
    expect(rt.one(T.cluster, "custom-aks").ignoreChanges).toEqual(["agentPoolProfiles[0].count"]);
    expect(rt.one(T.cluster, "prod-aks").ignoreChanges).toEqual([]);
    expect(inputsOf(rt, T.cluster, "prod-aks").agentPoolProfiles[0].enableAutoScaling).toBeUndefined();
  });

  it("takes a pinned patch version at its word: no Kubernetes auto-upgrades, and no schedule for them", () => {
    const aks = inputsOf(rt, T.cluster, "pinned-aks");
    expect(aks.autoUpgradeProfile).toEqual({ upgradeChannel: "none", nodeOSUpgradeChannel: "Unmanaged" });
    // Neither channel is AKS-scheduled: no maintenance configuration at all.
    expect(configs("pinned")).toEqual([]);
  });

  it("creates no window when it is turned off", () => {
    expect(configs("nowindow")).toEqual([]);
    expect(inputsOf(rt, T.cluster, "nowindow-aks").autoUpgradeProfile.upgradeChannel).toBe("patch");
  });
});
