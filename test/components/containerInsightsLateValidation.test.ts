// Values given as Outputs are validated once they resolve, by the same rules as plain
// values. The workspace (and the rule sending to it) are built from the checked values,
// so neither registers with a rejected one; here exactly those rejections are collected and
// inspected, and any other rejection still reaches the runner.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, outputValue, type MockRuntime } from "../../preview/mockRuntime.js";
import { ContainerInsights } from "../../components/containerInsights/index.js";
import { T } from "./aksInferenceClusterFixtures.js";
import { expectRejectionsFrom, type ExpectedRejections } from "./expectedRejections.js";

let expected: ExpectedRejections;
let rt: MockRuntime;

beforeAll(async () => {
  expected = expectRejectionsFrom(['ContainerInsights "late-retention"', 'ContainerInsights "late-ws"']);
  rt = await startMockRuntime();
});

afterAll(() => expected.restore());

const propertyErrors = () => expected.propertyErrors();

describe("ContainerInsights validation of values known only later", () => {
  it("an Output retention resolving out of range fails with the same InputPropertiesError and no workspace registers", async () => {
    const ci = new ContainerInsights("late-retention", { retentionInDays: pulumi.output(7) });
    const err = await (ci.retentionInDays as unknown as { promise(): Promise<unknown> }).promise().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual(["retentionInDays"]);
    expect((err as pulumi.InputPropertiesError).message).toContain('ContainerInsights "late-retention"');
    await new Promise((r) => setTimeout(r, 200));
    expect(propertyErrors().length).toBeGreaterThan(0);
    expect(
      rt.resources.filter((r) => r.type === T.workspace && r.name === "late-retention-logs" && r.urn !== ""),
    ).toEqual([]);
  });

  it("an Output workspace id that is not one fails, and the rule sending to it does not register", async () => {
    new ContainerInsights("late-ws", { existingWorkspaceId: pulumi.output("central"), resourceGroupName: "ops" });
    await new Promise((r) => setTimeout(r, 200));
    expect(propertyErrors().some((e) => e.errors.some((p) => p.propertyPath === "existingWorkspaceId"))).toBe(true);
    expect(rt.resources.filter((r) => r.type === T.dcr && r.name === "late-ws-dcr" && r.urn !== "")).toEqual([]);
  });

  it("valid Outputs pass", async () => {
    const ci = new ContainerInsights("late-ok", { retentionInDays: pulumi.output(90) });
    expect(await outputValue(ci.retentionInDays)).toBe(90);
  });
});
