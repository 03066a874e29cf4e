// Sizing inputs given as Outputs are checked once they resolve, failing the deployment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, outputValue, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import { inputsOf, T } from "./aksInferenceClusterFixtures.js";

let rt: MockRuntime;
const failures: unknown[] = [];
const record = (e: unknown) => failures.push(e);
let ok: AksInferenceCluster;

beforeAll(async () => {
  process.on("unhandledRejection", record);
  rt = await startMockRuntime();
  // FastProd with 1 node, known only at deploy time: construction succeeds, the check fails later.
  new AksInferenceCluster("late", { agentCount: pulumi.output(1) });
  ok = new AksInferenceCluster("fine", { agentCount: pulumi.output(4), vmSize: pulumi.output("Standard_D4s_v5") });
  await settle();
  await new Promise((r) => setTimeout(r, 0));
});

afterAll(() => {
  process.off("unhandledRejection", record);
});

describe("deferred sizing validation", () => {
  it("fails with the same InputPropertiesError once an Output-valued agentCount resolves too small", () => {
    const err = failures.find((e) => pulumi.InputPropertiesError.isInstance(e)) as
      | pulumi.InputPropertiesError
      | undefined;
    expect(err, `failures: ${failures.map(String).join("; ")}`).toBeDefined();
    expect(err!.errors.map((e) => e.propertyPath)).toEqual(["agentCount", "agentCount"]);
    expect(err!.errors[0].reason).toMatch(/FastProd needs at least 3 nodes/);
    expect(err!.message).toMatch(/AksInferenceCluster "late" has 2 invalid arguments \(agentCount\)/);
  });

  it("passes Output-valued sizing that resolves large enough", async () => {
    await outputValue(ok.clusterId);
    expect(inputsOf(rt, T.cluster, "fine-aks").tags["aksml-cluster-purpose"]).toBe("FastProd");
    expect(await outputValue(ok.totalVcpus)).toBe(16);
  });
});
