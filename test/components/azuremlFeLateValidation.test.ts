// Values given as Outputs are validated once they resolve. In a Pulumi program the
// failure is the program's error (every object hangs off the checked namespace, so
// none registers); here exactly those rejections are collected and inspected, and any
// other rejection still reaches the runner.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, type MockRuntime } from "../../preview/mockRuntime.js";
import { AzuremlFe } from "../../components/azuremlFe/index.js";
import { clusterConnection } from "./modelWebserviceFixtures.js";
import { expectRejectionsFrom, type ExpectedRejections } from "./expectedRejections.js";

let expected: ExpectedRejections;
let rt: MockRuntime;

beforeAll(async () => {
  expected = expectRejectionsFrom(['AzuremlFe "late-bad"', 'AzuremlFe "late-ns"']);
  rt = await startMockRuntime();
});

afterAll(() => expected.restore());

/** Polls until `cond` holds (rejections arrive as the Outputs resolve). */
async function eventually(cond: () => boolean, withinMs = 5000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("AzuremlFe validation of values known only later", () => {
  it("an invalid Output fails with the same InputPropertiesError and no Kubernetes object registers", async () => {
    new AzuremlFe("late-bad", {
      cluster: clusterConnection({ loadBalancerType: pulumi.output("Public" as any) }),
      image: "r:1",
      replicas: pulumi.output(0),
    });
    await eventually(() => expected.propertyErrors().length > 0);
    const errors = expected.propertyErrors();
    expect(errors[0]!.errors.map((e) => e.propertyPath)).toEqual(["replicas", "cluster.loadBalancerType"]);
    expect(
      rt.resources.filter((r) => r.type.startsWith("kubernetes:") && r.name.startsWith("late-bad") && r.urn !== ""),
    ).toEqual([]);
  });

  it("a router namespace known only later that is also a service namespace is refused once known", async () => {
    new AzuremlFe("late-ns", {
      cluster: clusterConnection(),
      image: "r:1",
      namespace: pulumi.output("team-a"),
      serviceNamespaces: ["team-a"],
    });
    await eventually(() => expected.propertyErrors().some((e) => e.message.includes('AzuremlFe "late-ns" has')));
    const err = expected.propertyErrors().find((e) => e.message.includes('AzuremlFe "late-ns" has'))!;
    expect(err.errors.map((e) => e.propertyPath)).toEqual(["serviceNamespaces[0]"]);
  });
});
