// A policy pack that throws is its own outcome, not a crash and not a program failure.
// Its own file: one program per process (Pulumi's runtime state is process-global).
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { planProgram } from "../../preview/planProgram.js";
import { loadStackSettings } from "../../preview/stackConfig.js";

const FIXTURE = fileURLToPath(new URL("../cli/fixtures/policyViolation", import.meta.url));

describe("planProgram when the policy pack fails", () => {
  it("reports the pack's error and no graph", async () => {
    const settings = loadStackSettings({ program: FIXTURE, stack: "dev", configPairs: [] });
    // evaluatePolicies refuses an override that names no policy (the CLI checks names first).
    const plan = await planProgram(settings, { policy: true, enforcement: { "no-such-policy": "advisory" } });
    expect(plan.status).toBe("policy failed");
    expect(plan).not.toHaveProperty("graph");
    if (plan.status === "policy failed") expect(plan.message).toMatch(/unknown policy name\(s\) no-such-policy/);
  });
});
