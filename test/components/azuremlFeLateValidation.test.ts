// Values given as Outputs are validated once they resolve. In a Pulumi program the
// failure is the program's error (every object hangs off the checked namespace, so
// none registers); here those rejections are collected and inspected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, type MockRuntime } from "../../preview/mockRuntime.js";
import { AzuremlFe } from "../../components/azuremlFe/index.js";
import { clusterConnection } from "./modelWebserviceFixtures.js";

const rejections: unknown[] = [];
let saved: NodeJS.UnhandledRejectionListener[] = [];
const collect = (reason: unknown) => void rejections.push(reason);
let rt: MockRuntime;

beforeAll(async () => {
  // This worker runs only this file: swap the runner's handler for a collector.
  saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  rt = await startMockRuntime();
});

afterAll(() => {
  process.off("unhandledRejection", collect);
  for (const l of saved) process.on("unhandledRejection", l);
});

describe("AzuremlFe validation of values known only later", () => {
  it("an invalid Output fails with the same InputPropertiesError and no Kubernetes object registers", async () => {
    new AzuremlFe("late-bad", {
      cluster: clusterConnection({ loadBalancerType: pulumi.output("Public" as any) }),
      image: "r:1",
      replicas: pulumi.output(0),
    });
    await new Promise((r) => setTimeout(r, 500));
    const errors = rejections.filter((r) => pulumi.InputPropertiesError.isInstance(r)) as pulumi.InputPropertiesError[];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].errors.map((e) => e.propertyPath)).toEqual(["replicas", "cluster.loadBalancerType"]);
    expect(rt.resources.filter((r) => r.type.startsWith("kubernetes:") && r.urn !== "")).toEqual([]);
  });
});
