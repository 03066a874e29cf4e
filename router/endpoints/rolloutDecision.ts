/**
 * The rollout decision as a pure function (table-tested): given the plan, where the
 * rollout is, and what the router measured of the new version and the control in the
 * current step's window, hold, advance to the next step, promote (the last step, 100 %),
 * or roll back.
 *
 * - Nothing is judged before the new version has served `minRequests` in the window.
 * - Roll back as soon as its 5xx rate exceeds the control's by more than
 *   `maxErrorRateIncreasePercent` points (the control's rate counts once it has served
 *   `minRequests` too; before that the new version is held to the threshold alone).
 * - Roll back at the end of the step when its p99 latency exceeds the control's by more
 *   than `maxP99LatencyIncreasePercent` and by more than {@link LATENCY_NOISE_FLOOR_MS}
 *   (judged only when both have `minRequests`). Latency waits for the whole interval:
 *   the p99 of a few dozen requests is their slowest, and one GC pause would decide it;
 *   a few milliseconds either way is scheduling noise, not a slower model.
 * - Advance when the step has been watched for `intervalSeconds` and neither threshold
 *   was crossed; the step reaching 100 is the promotion (nothing is left to compare with).
 */
import type { RolloutPlanConfig } from "../contract/endpointConfig.js";
import type { RolloutPhase } from "../contract/rolloutState.js";

/** A p99 at most this much above the control's is never a reason to roll back, whatever the ratio. */
export const LATENCY_NOISE_FLOOR_MS = 10;

export interface WindowStats {
  requests: number;
  errors: number;
  /** p99 latency in ms; undefined without requests. */
  p99Ms: number | undefined;
}

export interface RolloutDecisionInput {
  plan: RolloutPlanConfig;
  phase: RolloutPhase;
  /** Index of the current step. */
  step: number;
  /** How long the current step's window has been watched, in ms. */
  windowMs: number;
  candidate: WindowStats;
  control: WindowStats;
}

export type RolloutVerdict =
  | { action: "hold"; reason: string }
  | { action: "advance"; step: number; reason: string }
  | { action: "promote"; step: number; reason: string }
  | { action: "rollback"; reason: string };

const pct = (n: number) => `${(Math.round(n * 10) / 10).toFixed(1)} %`;
/** Latency for messages: the buckets' bounds are not round numbers. */
const ms = (n: number | undefined) => (n === undefined ? "n/a" : n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`);
const rate = (s: WindowStats) => (s.requests === 0 ? 0 : (100 * s.errors) / s.requests);

export function decideRollout(i: RolloutDecisionInput): RolloutVerdict {
  const { plan, candidate, control } = i;
  if (i.phase !== "progressing") return { action: "hold", reason: `the rollout is over (${i.phase})` };
  if (candidate.requests < plan.minRequests)
    return {
      action: "hold",
      reason: `waiting for ${plan.minRequests} requests of ${plan.version} in this step (${candidate.requests} so far)`,
    };
  const controlJudged = control.requests >= plan.minRequests;
  const candidateRate = rate(candidate);
  const controlRate = controlJudged ? rate(control) : 0;
  if (candidateRate - controlRate > plan.maxErrorRateIncreasePercent)
    return {
      action: "rollback",
      reason: `error rate of ${plan.version} ${pct(candidateRate)} (${candidate.errors} of ${candidate.requests}) against ${controlJudged ? `the control's ${pct(controlRate)}` : "0 % (too few control requests to compare)"}: more than ${plan.maxErrorRateIncreasePercent} points above`,
    };
  const stepOver = i.windowMs >= plan.intervalSeconds * 1000;
  if (stepOver && controlJudged && candidate.p99Ms !== undefined && control.p99Ms !== undefined) {
    const limit = control.p99Ms * (1 + plan.maxP99LatencyIncreasePercent / 100);
    if (candidate.p99Ms > limit && candidate.p99Ms - control.p99Ms > LATENCY_NOISE_FLOOR_MS)
      return {
        action: "rollback",
        reason: `p99 latency of ${plan.version} ${ms(candidate.p99Ms)} against the control's ${ms(control.p99Ms)}: more than ${plan.maxP99LatencyIncreasePercent} % above`,
      };
  }
  const healthy = `error rate ${pct(candidateRate)} (control ${controlJudged ? pct(controlRate) : "n/a"}), p99 ${ms(candidate.p99Ms)} (control ${controlJudged ? ms(control.p99Ms) : "n/a"}) over ${candidate.requests} requests`;
  if (!stepOver) return { action: "hold", reason: `healthy so far: ${healthy}` };
  const next = i.step + 1;
  if (next >= plan.steps.length || plan.steps[next] === 100)
    return {
      action: "promote",
      step: Math.min(next, plan.steps.length - 1),
      reason: `healthy for ${plan.intervalSeconds} s: ${healthy}`,
    };
  return { action: "advance", step: next, reason: `healthy for ${plan.intervalSeconds} s: ${healthy}` };
}
