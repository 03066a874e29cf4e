// The tree's per-type key inputs: the few values a reviewer looks for first.
import { describe, expect, it } from "vitest";
import { keyInputs } from "../../cli/plan/render/keyInputs.js";

describe("key inputs", () => {
  it("summarises AKS pools with size, count, autoscale bounds and taints", () => {
    const keys = Object.fromEntries(
      keyInputs("azure-native:containerservice:AgentPool", {
        agentPoolName: "gpu",
        vmSize: "Standard_NC4as_T4_v3",
        count: 1,
        enableAutoScaling: true,
        minCount: 0,
        maxCount: 3,
        nodeTaints: ["nvidia.com/gpu=present:NoSchedule"],
      }),
    );
    expect(keys.pool).toBe("gpu(User Standard_NC4as_T4_v3 x1 autoscale 0..3 taints nvidia.com/gpu=present:NoSchedule)");
  });

  it("names built-in roles and falls back to the GUID", () => {
    const role = (id: string) =>
      Object.fromEntries(keyInputs("azure-native:authorization:RoleAssignment", { roleDefinitionId: id })).role;
    expect(
      role("/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d"),
    ).toBe("AcrPull");
    expect(role("/providers/Microsoft.Authorization/roleDefinitions/00000000-aaaa-bbbb-cccc-000000000000")).toBe(
      "00000000-aaaa-bbbb-cccc-000000000000",
    );
  });

  it("shows a Deployment's main and init images separately and omits unset values", () => {
    const keys = keyInputs("kubernetes:apps/v1:Deployment", {
      metadata: { name: "m", namespace: "ns" },
      spec: {
        template: { spec: { containers: [{ image: "acr.io/m:1" }], initContainers: [{ image: "acr.io/fe:1" }] } },
      },
    });
    expect(keys).toEqual([
      ["name", "ns/m"],
      ["image", ["acr.io/m:1"]],
      ["init", ["acr.io/fe:1"]],
    ]);
  });

  it("lists Secret key names, never values, and nothing when the whole map is redacted", () => {
    expect(
      keyInputs("kubernetes:core/v1:Secret", { metadata: { name: "k" }, data: { primaryKey: "c2VjcmV0" } }),
    ).toEqual([
      ["name", "k"],
      ["keys", ["primaryKey"]],
    ]);
    expect(keyInputs("kubernetes:core/v1:Secret", { metadata: { name: "k" }, stringData: "[secret]" })).toEqual([
      ["name", "k"],
    ]);
  });
});
