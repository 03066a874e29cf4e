// ContainerInsights: workspace, data collection rule, Defender, validation, and wiring into the cluster.
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, outputValue, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import {
  ContainerInsights,
  resolveContainerInsightsArgs,
  validateContainerInsightsArgs,
  type ContainerInsightsArgs,
} from "../../components/containerInsights/index.js";
import { childrenOf, inputsOf, T } from "./aksInferenceClusterFixtures.js";

let rt: MockRuntime;
const ci: Record<string, ContainerInsights> = {};
let cluster: AksInferenceCluster;
const EXISTING =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ops/providers/Microsoft.OperationalInsights/workspaces/central";

beforeAll(async () => {
  rt = await startMockRuntime();
  ci.basic = new ContainerInsights("ci", {});
  ci.existing = new ContainerInsights("ext", {
    existingWorkspaceId: EXISTING,
    defenderForContainers: true,
    resourceGroupName: "ops",
    location: "northeurope",
  });
  cluster = new AksInferenceCluster("aks", { clusterPurpose: "DevTest", monitoring: ci.basic.clusterMonitoring });
  await settle();
});

describe("ContainerInsights", () => {
  it("creates a PerGB2018 workspace with 30 days retention by default", async () => {
    expect(inputsOf(rt, T.workspace, "ci-logs")).toMatchObject({ sku: { name: "PerGB2018" }, retentionInDays: 30 });
    expect(await outputValue(ci.basic.retentionInDays)).toBe(30);
    expect(resolveContainerInsightsArgs({})).toMatchObject({
      retentionInDays: 30,
      defenderForContainers: false,
      tags: {},
    });
  });

  it("creates the Container Insights data collection rule sending to the workspace", async () => {
    const dcr = inputsOf(rt, T.dcr, "ci-dcr");
    const ws = await outputValue(ci.basic.workspaceId);
    expect(dcr.kind).toBe("Linux");
    expect(dcr.dataSources.extensions[0]).toMatchObject({
      extensionName: "ContainerInsights",
      streams: ["Microsoft-ContainerInsights-Group-Default"],
    });
    expect(dcr.destinations.logAnalytics).toEqual([{ name: "ciworkspace", workspaceResourceId: ws }]);
    expect(dcr.dataFlows).toEqual([
      { streams: ["Microsoft-ContainerInsights-Group-Default"], destinations: ["ciworkspace"] },
    ]);
  });

  it("creates its own resource group by default and takes its region", async () => {
    expect(childrenOf(rt, T.insights, "ci").map((r) => r.name)).toContain("ci-rg");
    expect(await outputValue(ci.basic.location)).toBe("westeurope");
    expect(await outputValue(ci.basic.resourceGroupName)).toMatch(/^ci-rg[0-9a-f]{8}$/);
  });

  it("enables no Defender plan by default", () => {
    expect(childrenOf(rt, T.insights, "ci").map((r) => r.type)).not.toContain(T.pricing);
  });

  it("uses an existing workspace without creating one, and enables Defender for Containers on the subscription", async () => {
    const kids = childrenOf(rt, T.insights, "ext").map((r) => r.type);
    expect(kids).not.toContain(T.workspace);
    expect(kids).not.toContain(T.rg);
    expect(inputsOf(rt, T.dcr, "ext-dcr").destinations.logAnalytics[0].workspaceResourceId).toBe(EXISTING);
    expect(inputsOf(rt, T.dcr, "ext-dcr").location).toBe("northeurope");
    expect(inputsOf(rt, T.pricing, "ext-defender")).toMatchObject({
      pricingName: "Containers",
      pricingTier: "Standard",
      scopeId: "/subscriptions/00000000-0000-0000-0000-000000000000",
    });
    expect(await outputValue(ci.existing.defenderForContainers)).toBe(true);
  });

  it("wires into the cluster: addon on the workspace and the rule associated with the cluster", async () => {
    const ws = await outputValue(ci.basic.workspaceId);
    expect(inputsOf(rt, T.cluster, "aks-aks").addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID).toBe(ws);
    const dcra = inputsOf(rt, T.dcra, "aks-dcra");
    expect(dcra.dataCollectionRuleId).toBe(await outputValue(ci.basic.dataCollectionRuleId));
    expect(dcra.resourceUri).toBe(await outputValue(cluster.clusterId));
    expect(inputsOf(rt, T.cluster, "aks-aks").securityProfile.defender).toBeUndefined();
  });
});

describe("ContainerInsights validation", () => {
  it.each<[string, ContainerInsightsArgs, string]>([
    ["retention below 30 days", { retentionInDays: 7 }, "retentionInDays"],
    ["retention above 730 days", { retentionInDays: 731 }, "retentionInDays"],
    ["fractional retention", { retentionInDays: 30.5 }, "retentionInDays"],
    ["a workspace name instead of its id", { existingWorkspaceId: "central" }, "existingWorkspaceId"],
    ["retention with an existing workspace", { existingWorkspaceId: EXISTING, retentionInDays: 60 }, "retentionInDays"],
    ["Defender flag as an Output", { defenderForContainers: pulumi.output(true) }, "defenderForContainers"],
  ])("rejects %s", (_, args, path) => {
    let err: unknown;
    try {
      validateContainerInsightsArgs("ci", args);
    } catch (e) {
      err = e;
    }
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual([path]);
  });
});
