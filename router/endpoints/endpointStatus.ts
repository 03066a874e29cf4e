/**
 * An endpoint's status as operators read it: its versions with their declared and live
 * traffic shares, and its rollout (plan, phase, step, the decisions so far). Built from
 * the endpoint's config and the rollout's live state, so the router's admin port
 * (`GET /endpoints`) and the CLI reading the Kubernetes objects show the same thing.
 */
import { staticWeights, type EndpointConfig } from "../contract/endpointConfig.js";
import {
  effectiveWeights,
  rolloutPlanHash,
  type RolloutDecisionRecord,
  type RolloutPhase,
  type RolloutState,
} from "../contract/rolloutState.js";

export interface EndpointVersionStatus {
  version: string;
  service: string;
  trafficPercentile: number;
  isDefault: boolean;
  isControlVersion: boolean;
  mirrorPercentile: number;
  /** The share the static split gives it (the default's includes what nobody else is given). */
  declaredPercent: number;
  /** The share in force now (the rollout's during a rollout). */
  livePercent: number;
  /** Ready replicas of its service, when the reader knows them. */
  readyReplicas?: number;
}

export interface RolloutStatus {
  version: string;
  control: string;
  steps: number[];
  intervalSeconds: number;
  /** `pending`: the plan is declared, the leader has not started it yet. */
  phase: RolloutPhase | "pending";
  /** The new version's share of the control+new traffic now, in percent. */
  percent: number;
  step?: number;
  stepStartedAt?: string;
  /** When the current step may advance at the earliest (while progressing). */
  nextStepAt?: string;
  history: RolloutDecisionRecord[];
  /** The leader's latest look (why it holds), when this router leads. */
  observation?: { at: string; reason: string };
}

export interface EndpointStatus {
  name: string;
  authMode: string;
  versions: EndpointVersionStatus[];
  rollout?: RolloutStatus;
}

export function endpointStatus(
  name: string,
  config: EndpointConfig,
  state: RolloutState | undefined,
  readyReplicas?: (service: string) => number | undefined,
  observation?: { at: string; reason: string },
): EndpointStatus {
  const declared = staticWeights(config);
  const live = effectiveWeights(config, state);
  const versions = config.versions.map(
    (v): EndpointVersionStatus => ({
      ...v,
      declaredPercent: declared[v.version] ?? 0,
      livePercent: live[v.version] ?? 0,
      ...(readyReplicas && readyReplicas(v.service) !== undefined ? { readyReplicas: readyReplicas(v.service) } : {}),
    }),
  );
  const plan = config.rollout;
  if (!plan) return { name, authMode: config.auth.mode, versions };
  const mine = state && state.planHash === rolloutPlanHash(config) ? state : undefined;
  const rollout: RolloutStatus = mine
    ? {
        version: plan.version,
        control: mine.control,
        steps: plan.steps,
        intervalSeconds: plan.intervalSeconds,
        phase: mine.phase,
        percent: mine.phase === "rolledBack" ? 0 : (plan.steps[mine.step] ?? 0),
        step: mine.step,
        stepStartedAt: mine.stepStartedAt,
        ...(mine.phase === "progressing"
          ? { nextStepAt: new Date(Date.parse(mine.stepStartedAt) + plan.intervalSeconds * 1000).toISOString() }
          : {}),
        history: mine.history,
        ...(observation ? { observation } : {}),
      }
    : {
        version: plan.version,
        control: config.versions.find((v) => v.isControlVersion)?.version ?? "",
        steps: plan.steps,
        intervalSeconds: plan.intervalSeconds,
        phase: "pending",
        percent: 0,
        history: [],
      };
  return { name, authMode: config.auth.mode, versions, rollout };
}
