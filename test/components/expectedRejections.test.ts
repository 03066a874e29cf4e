// The LateValidation tests' rejection filter: it must swallow only the rejections it
// was told to expect. Here the runner's own handlers are set aside for the duration and
// a recording handler stands in for them, so the unexpected rejection below can be
// seen arriving instead of failing the run.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { expectRejectionsFrom } from "./expectedRejections.js";

let runner: NodeJS.UnhandledRejectionListener[] = [];
const reachedRunner: unknown[] = [];
const standIn = (reason: unknown) => void reachedRunner.push(reason);

beforeEach(() => {
  runner = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", standIn);
});

afterEach(() => {
  process.off("unhandledRejection", standIn);
  for (const l of runner) process.on("unhandledRejection", l);
});

describe("expectRejectionsFrom", () => {
  it("collects the named components' validation errors and passes every other rejection on", async () => {
    const expected = expectRejectionsFrom(['ModelWebservice "late"']);
    const mine = new pulumi.InputPropertiesError({
      message: 'error serializing property "spec": ModelWebservice "late" has 1 invalid argument (cpuCores): ...',
      errors: [{ propertyPath: "cpuCores", reason: "must be positive" }],
    });
    const other = new Error("a bug elsewhere");
    const alsoOther = new Error('ModelWebservice "later" has 1 invalid argument');
    void Promise.reject(mine);
    void Promise.reject(other);
    void Promise.reject(alsoOther);
    await new Promise((r) => setTimeout(r, 50));
    expected.restore();
    expect(expected.seen).toEqual([mine]);
    expect(expected.propertyErrors()).toEqual([mine]);
    expect(reachedRunner).toEqual([other, alsoOther]);
    expect(process.listeners("unhandledRejection")).toEqual([standIn]);
  });
});
