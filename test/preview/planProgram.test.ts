// planProgram, the preview's one entry point, in-process: the program under Pulumi's mock
// runtime (the engine cannot run here), then the policy pack, then the captured graph.
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { planProgram, type ProgramPlan } from "../../preview/planProgram.js";
import { scrub } from "../../preview/secretRedaction.js";
import { loadStackSettings } from "../../preview/stackConfig.js";
import { FIXTURE_SECRET } from "../cli/fixtures/small/secret.js";

const FIXTURE = fileURLToPath(new URL("../cli/fixtures/small", import.meta.url));

let plan: ProgramPlan;

beforeAll(async () => {
  const settings = loadStackSettings({ program: FIXTURE, stack: "staging", configPairs: [] });
  plan = await planProgram(settings, { policy: true, enforcement: {} });
});

describe("planProgram", () => {
  it("returns the captured graph with the pack evaluated over it", () => {
    expect(plan.status).toBe("planned");
    if (plan.status !== "planned") return;
    expect(plan.graph.project).toBe("plan-fixture");
    expect(plan.graph.stack).toBe("staging");
    expect(plan.graph.nodes).toHaveLength(7);
    expect(plan.graph.policy.evaluated).toBe(true);
    expect(plan.lateErrors()).toEqual([]);
  });

  it("keeps secrets out of the graph and hands back what to scrub from text", () => {
    if (plan.status !== "planned") throw new Error(`expected a plan, got ${plan.status}`);
    const text = JSON.stringify(plan.graph);
    expect(text).not.toContain(FIXTURE_SECRET);
    expect(plan.secrets).toContain(FIXTURE_SECRET);
    expect(scrub(`key=${FIXTURE_SECRET}`, plan.secrets)).toBe("key=[secret]");
  });
});
