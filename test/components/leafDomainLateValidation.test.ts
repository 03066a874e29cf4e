// A leaf domain label given as an Output is checked once it resolves, by the same rule
// (room for the 6-character suffix in a 63-character DNS label): a label too long fails
// the program with AksInferenceCluster's InputPropertiesError, and no suffix or name is
// drawn from it. Only those rejections are collected; any other still fails the run.
import { afterAll, beforeAll, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import { expectRejectionsFrom, type ExpectedRejections } from "./expectedRejections.js";

let expected: ExpectedRejections;
let rt: MockRuntime;

beforeAll(async () => {
  expected = expectRejectionsFrom(['AksInferenceCluster "late-long"']);
  rt = await startMockRuntime();
});

afterAll(() => expected.restore());

it("rejects a resolved label that leaves no room for the suffix, and draws no suffix for it", async () => {
  new AksInferenceCluster("late-long", { tls: { leafDomainLabel: pulumi.output(`a${"b".repeat(60)}`) } });
  await settle();
  for (let i = 0; i < 500 && expected.propertyErrors().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const errors = expected.propertyErrors();
  expect(errors.length).toBeGreaterThan(0);
  expect(errors[0]!.errors).toEqual([
    { propertyPath: "tls.leafDomainLabel", reason: expect.stringMatching(/3-57 lowercase letters/) },
  ]);
  expect(rt.ofType("random:index/randomString:RandomString").map((r) => r.name)).not.toContain("late-long-leaf-suffix");
});
