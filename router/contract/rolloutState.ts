/**
 * The live state of an endpoint's rollout: what the router's scaling leader writes into
 * the ConfigMap `<endpoint>-rollout` (key `state.json`) and every router reads back.
 *
 * Pulumi owns the desired plan (the endpoint's annotation) and never declares this
 * object, so `pulumi up` cannot reset a rollout in progress and shows no drift while the
 * router moves the weights. The state carries the hash of the plan it belongs to: an
 * unchanged plan continues its rollout, a changed one (new steps, thresholds, versions or
 * percentiles) starts afresh, and a state whose hash does not match is ignored.
 *
 * Anyone who may edit ConfigMaps in the namespace can write this object, so it is parsed
 * as hostile input: a state that does not parse, or whose weights do not fit the plan's
 * versions, is ignored (the static split applies and the leader writes a fresh state).
 */
import { createHash } from "node:crypto";
import { staticWeights, type EndpointConfig, type RolloutPlanConfig } from "./endpointConfig.js";

export type RolloutPhase = "progressing" | "promoted" | "rolledBack";
export type RolloutAction = "start" | "advance" | "promote" | "rollback";

/** One decision of the leader, as kept in the state (the newest last). */
export interface RolloutDecisionRecord {
  at: string;
  action: RolloutAction;
  /** The new version's share of the control+new traffic after the decision, in percent. */
  percent: number;
  reason: string;
}

export interface RolloutState {
  /** {@link rolloutPlanHash} of the endpoint config this state belongs to. */
  planHash: string;
  /** The version rolled out and the control it is compared with. */
  version: string;
  control: string;
  phase: RolloutPhase;
  /** Index of the current step in the plan's `steps`. */
  step: number;
  /** The live split: a percentage per version, summing to 100. */
  weights: Record<string, number>;
  /** When the current step began (ISO 8601). */
  stepStartedAt: string;
  /** Incremented on every write, so a reader can tell the newer of two states. */
  revision: number;
  /** The last {@link MAX_ROLLOUT_HISTORY} decisions. */
  history: RolloutDecisionRecord[];
}

export const MAX_ROLLOUT_HISTORY = 20;
const MAX_REASON_LENGTH = 512;
const PHASES: readonly RolloutPhase[] = ["progressing", "promoted", "rolledBack"];
const ACTIONS: readonly RolloutAction[] = ["start", "advance", "promote", "rollback"];

/**
 * The hash of what a rollout depends on: the versions (names, services, percentiles,
 * default and control) and the plan. Auth, mirrors and the version services' own
 * settings are not part of it: changing them does not restart a rollout.
 */
export function rolloutPlanHash(config: Pick<EndpointConfig, "versions" | "rollout">): string {
  const canonical = JSON.stringify({
    versions: config.versions.map((v) => [v.version, v.service, v.trafficPercentile, v.isDefault, v.isControlVersion]),
    rollout: config.rollout && [
      config.rollout.version,
      config.rollout.steps,
      config.rollout.intervalSeconds,
      config.rollout.maxErrorRateIncreasePercent,
      config.rollout.maxP99LatencyIncreasePercent,
      config.rollout.minRequests,
    ],
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** The control version of a config, if one is marked. */
export function controlVersionOf(config: Pick<EndpointConfig, "versions">): string | undefined {
  return config.versions.find((v) => v.isControlVersion)?.version;
}

/**
 * The split while the new version holds `percent` of the traffic it and the control
 * hold together in the static split; every other version keeps its static share.
 */
export function rolloutWeights(
  config: EndpointConfig,
  plan: RolloutPlanConfig,
  percent: number,
): Record<string, number> {
  const weights = staticWeights(config);
  const control = controlVersionOf(config);
  if (control === undefined) return weights;
  const pool = (weights[control] ?? 0) + (weights[plan.version] ?? 0);
  const share = Math.round((pool * percent) / 100);
  return { ...weights, [plan.version]: share, [control]: pool - share };
}

/**
 * The split the router applies: the rollout's live weights when `state` belongs to this
 * config's plan, otherwise the static split of the annotation.
 */
export function effectiveWeights(config: EndpointConfig, state: RolloutState | undefined): Record<string, number> {
  if (config.rollout && state && state.planHash === rolloutPlanHash(config)) return { ...state.weights };
  return staticWeights(config);
}

export function serializeRolloutState(state: RolloutState): string {
  return JSON.stringify(state);
}

/**
 * Parses the ConfigMap's `state.json`; undefined when it is not a state this router
 * wrote for `config` (wrong shape, weights that do not name exactly the config's
 * versions or do not sum to 100). Never throws.
 */
export function parseRolloutState(text: unknown, config: EndpointConfig): RolloutState | undefined {
  if (typeof text !== "string" || text.length > 256 * 1024) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const names = config.versions.map((v) => v.version);
  if (typeof r.planHash !== "string" || typeof r.version !== "string" || typeof r.control !== "string")
    return undefined;
  if (!PHASES.includes(r.phase as RolloutPhase)) return undefined;
  if (!isCount(r.step) || !isCount(r.revision) || typeof r.stepStartedAt !== "string") return undefined;
  if (Number.isNaN(Date.parse(r.stepStartedAt))) return undefined;
  if (config.rollout && r.step >= config.rollout.steps.length) return undefined;
  const w = r.weights;
  if (typeof w !== "object" || w === null || Array.isArray(w)) return undefined;
  const weights = w as Record<string, unknown>;
  const keys = Object.keys(weights);
  if (keys.length !== names.length || !names.every((n) => Object.hasOwn(weights, n))) return undefined;
  let sum = 0;
  for (const n of names) {
    const v = weights[n];
    if (!isCount(v) || v > 100) return undefined;
    sum += v;
  }
  if (sum !== 100) return undefined;
  const history: RolloutDecisionRecord[] = [];
  if (Array.isArray(r.history))
    for (const h of r.history.slice(-MAX_ROLLOUT_HISTORY)) {
      if (typeof h !== "object" || h === null) continue;
      const e = h as Record<string, unknown>;
      if (typeof e.at !== "string" || !ACTIONS.includes(e.action as RolloutAction) || !isCount(e.percent)) continue;
      history.push({
        at: e.at.slice(0, 40),
        action: e.action as RolloutAction,
        percent: e.percent,
        reason: typeof e.reason === "string" ? e.reason.slice(0, MAX_REASON_LENGTH) : "",
      });
    }
  return {
    planHash: r.planHash,
    version: r.version,
    control: r.control,
    phase: r.phase as RolloutPhase,
    step: r.step,
    weights: Object.fromEntries(names.map((n) => [n, weights[n] as number])),
    stepStartedAt: r.stepStartedAt,
    revision: r.revision,
    history,
  };
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;
}
