/**
 * Runs the aksml policy pack (`policy/evaluate.ts`) over the mocked graph. The pack is
 * loaded lazily: `--no-policy` skips its import cost, and a checkout without the pack
 * gets a clear note instead of a crash.
 */
import type { CapturedResource } from "./mockRuntime.js";

export type EnforcementLevel = "mandatory" | "advisory" | "disabled";

/** What `policy/evaluate.ts` reports per violation. */
export interface PolicyVerdict {
  policy: string;
  enforcementLevel: "mandatory" | "advisory";
  message: string;
  urn?: string;
  resourceName?: string;
  resourceType?: string;
}

export interface PolicyReport {
  /** False when skipped (`--no-policy`) or when the pack is not present. */
  evaluated: boolean;
  verdicts: PolicyVerdict[];
  /** Why the pack did not run, when it did not. */
  note?: string;
}

type EvaluatePolicies = (
  resources: CapturedResource[],
  options?: { enforcement?: Record<string, EnforcementLevel> },
) => PolicyVerdict[] | Promise<PolicyVerdict[]>;

/** Relative to this file; a variable so a checkout without the pack still type-checks. */
const PACK_MODULE = "../../policy/evaluate.js";

export const SKIPPED: PolicyReport = { evaluated: false, verdicts: [], note: "policy checks skipped (--no-policy)" };

export async function evaluatePack(
  resources: CapturedResource[],
  enforcement: Record<string, EnforcementLevel>,
): Promise<PolicyReport> {
  let evaluate: EvaluatePolicies;
  try {
    ({ evaluatePolicies: evaluate } = (await import(PACK_MODULE)) as { evaluatePolicies: EvaluatePolicies });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const missing = code === "ERR_MODULE_NOT_FOUND" && String((err as Error).message).includes("evaluate");
    if (!missing) throw err;
    return {
      evaluated: false,
      verdicts: [],
      note: "policy pack not found (policy/evaluate.ts): verdicts not evaluated",
    };
  }
  if (typeof evaluate !== "function") throw new Error("policy/evaluate.ts does not export evaluatePolicies()");
  const verdicts = await evaluate(resources, { enforcement });
  // Mandatory first, then advisory; stable within a level.
  const rank = (v: PolicyVerdict) => (v.enforcementLevel === "mandatory" ? 0 : 1);
  return { evaluated: true, verdicts: [...verdicts].sort((a, b) => rank(a) - rank(b)) };
}

/**
 * The pack's policy names, or undefined when the pack is absent. `--enforce` is checked
 * against them before the program runs: a typo is a usage error (exit 2), not a
 * "policy pack failed" after a full plan.
 */
export async function packPolicyNames(): Promise<string[] | undefined> {
  try {
    const mod = (await import(PACK_MODULE)) as { policyNames?: () => string[] };
    return typeof mod.policyNames === "function" ? mod.policyNames() : undefined;
  } catch (err) {
    if (
      (err as { code?: string }).code === "ERR_MODULE_NOT_FOUND" &&
      String((err as Error).message).includes("evaluate")
    )
      return undefined;
    throw err;
  }
}

export function mandatoryCount(report: PolicyReport): number {
  return report.verdicts.filter((v) => v.enforcementLevel === "mandatory").length;
}
