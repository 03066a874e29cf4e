/**
 * The offline preview in one call: runs a stack program under Pulumi's mock runtime,
 * evaluates the policy pack over what it registered, and builds the captured graph that
 * every plan format renders. `aksml plan` is this plus argument parsing and rendering.
 *
 * One program per process: Pulumi's runtime state is process-global.
 */
import type { EnforcementOverride } from "../policy/policies/verdict.js";
import { buildGraph, type PlanGraph, type PolicyReport } from "./capturedGraph.js";
import { runProgram } from "./runProgram.js";
import { secretStrings } from "./secretRedaction.js";
import type { StackSettings } from "./stackConfig.js";

export interface PlanOptions {
  /** Evaluate the policy pack (`--no-policy` turns it off). */
  policy: boolean;
  /** Per-policy enforcement overrides (`--enforce NAME=LEVEL`). */
  enforcement: Record<string, EnforcementOverride>;
}

interface PlanOutcome {
  /** Every secret's plaintext forms: pass whatever is printed through `scrub(text, secrets)`. */
  secrets: string[];
  /**
   * What the program threw or rejected with after the plan was taken (a rejection from an
   * `apply` nobody awaited); `pulumi up` would fail on it, so the caller should too.
   */
  lateErrors(): unknown[];
}

export type ProgramPlan = PlanOutcome &
  (
    | { status: "planned"; graph: PlanGraph }
    /** Everything the program threw or rejected with, in the order seen (deduplicated). */
    | { status: "program failed"; errors: unknown[] }
    /** The policy pack threw (e.g. an enforcement override that names no policy). */
    | { status: "policy failed"; message: string }
  );

const POLICY_SKIPPED: PolicyReport = {
  evaluated: false,
  verdicts: [],
  note: "policy checks skipped (--no-policy)",
};

export async function planProgram(settings: StackSettings, options: PlanOptions): Promise<ProgramPlan> {
  const run = await runProgram(settings);
  const secrets = secretStrings(
    [run.resources.map((r) => r.inputs), run.outputs],
    settings.secretConfigKeys.map((k) => settings.config[k]).filter((v) => v !== undefined),
  );
  // runProgram keeps collecting what the program throws or rejects with; anything that
  // arrives from here on is late.
  const errors = [...run.errors];
  const outcome: PlanOutcome = { secrets, lateErrors: () => run.errors.slice(errors.length) };
  if (errors.length) return { ...outcome, status: "program failed", errors };

  let policy = POLICY_SKIPPED;
  if (options.policy) {
    try {
      // Imported only when needed: `--no-policy` skips loading the pack.
      const { policyReport } = await import("./policyEvaluation.js");
      policy = policyReport(run.resources, options.enforcement);
    } catch (err) {
      return { ...outcome, status: "policy failed", message: (err as Error).message };
    }
  }
  const graph = buildGraph({
    project: settings.project,
    stack: settings.stack,
    resources: run.resources,
    outputs: run.outputs,
    policy,
  });
  return { ...outcome, status: "planned", graph };
}
