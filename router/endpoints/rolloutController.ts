/**
 * The rollout loop, on the scaling leader only: for every endpoint with a rollout plan,
 * it starts the rollout (first step), then every check compares the new version with
 * the control over the current step's window (decideRollout) and advances, promotes or
 * rolls back. Each decision is written to the RolloutStore (the `<endpoint>-rollout`
 * ConfigMap, which the backend feeds back to every router as the live split) and then
 * recorded (a Kubernetes Event about the endpoint), in that order, so an Event never
 * announces a split that was not stored.
 *
 * The window of a step starts when this leader first sees the step: a new leader has no
 * counts from before it led, so it watches the step afresh rather than judging on
 * nothing. A write that fails is tried again on the next check.
 */
import type { RolloutEvent, RolloutStore } from "../contract/backend.js";
import {
  MAX_ROLLOUT_HISTORY,
  controlVersionOf,
  rolloutPlanHash,
  rolloutWeights,
  type RolloutAction,
  type RolloutState,
} from "../contract/rolloutState.js";
import type { Log } from "../log.js";
import type { EndpointState, EndpointTable } from "./endpointTable.js";
import { decideRollout, type RolloutVerdict, type WindowStats } from "./rolloutDecision.js";
import { p99Ms, windowOf, type VersionCounters, type VersionStatsSource } from "./versionStats.js";

export interface RolloutControllerOptions {
  endpoints: EndpointTable;
  store: RolloutStore;
  /** Where the counts come from (the sum over data-path workers); default: `endpoints.stats`. */
  stats?: VersionStatsSource;
  /** Absent: this process always leads. */
  isLeader?: () => boolean;
  log?: Log;
  metrics?: { countRolloutDecision(endpoint: string, action: string): void };
  /** Called after each decision is stored and recorded. */
  onDecision?: (endpoint: string, event: RolloutEvent) => void;
  /** Wall clock (ms since epoch); injectable for tests. */
  now?: () => number;
  /** @default 1000 */
  checkIntervalMs?: number;
}

interface Baseline {
  planHash: string;
  step: number;
  at: number;
  candidate: VersionCounters;
  control: VersionCounters;
}

/** What the leader last saw of a rollout, for status. */
export interface RolloutObservation {
  at: string;
  reason: string;
}

const EVENT_REASONS: Record<RolloutAction, string> = {
  start: "RolloutStarted",
  advance: "RolloutAdvanced",
  promote: "RolloutPromoted",
  rollback: "RolloutRolledBack",
};

export class RolloutController {
  private readonly baselines = new Map<string, Baseline>();
  /** States this leader wrote, until the backend feeds them back. */
  private readonly written = new Map<string, RolloutState>();
  private readonly busy = new Set<string>();
  private readonly observations = new Map<string, RolloutObservation>();
  private readonly pending = new Set<Promise<void>>();
  /** A pass waiting for the counts of other threads (stats.refresh). */
  private refreshing: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RolloutControllerOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.opts.checkIntervalMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pending]);
  }

  /** The leader's last look at an endpoint's rollout (why it holds), if it leads. */
  observation(endpoint: string): RolloutObservation | undefined {
    return this.observations.get(endpoint);
  }

  /**
   * One pass over every endpoint with a plan. Public so tests can drive it. With counts
   * kept in other threads the pass runs once they are read (at most one waits at a time).
   */
  tick(): void {
    if (!(this.opts.isLeader?.() ?? true)) {
      this.baselines.clear();
      this.written.clear();
      this.observations.clear();
      return;
    }
    const stats: VersionStatsSource = this.opts.stats ?? this.opts.endpoints.stats;
    if (!stats.refresh) {
      this.pass();
      return;
    }
    if (this.refreshing) return;
    // No round trip to the workers while no endpoint has a plan.
    let planned = false;
    for (const ep of this.opts.endpoints.all()) planned ||= ep.config.rollout !== undefined;
    if (!planned) {
      this.pass();
      return;
    }
    const work = stats
      .refresh()
      .then(
        () => {
          if (!this.stopped && (this.opts.isLeader?.() ?? true)) this.pass();
        },
        (e: unknown) => this.opts.log?.warn({ err: (e as Error).message }, "rollout counts could not be read"),
      )
      .finally(() => {
        this.refreshing = undefined;
        this.pending.delete(work);
      });
    this.refreshing = work;
    this.pending.add(work);
  }

  private pass(): void {
    const seen = new Set<string>();
    for (const ep of this.opts.endpoints.all()) {
      seen.add(ep.name);
      if (ep.config.rollout && !this.busy.has(ep.name)) this.check(ep);
    }
    for (const map of [this.baselines, this.written, this.observations])
      for (const name of map.keys()) if (!seen.has(name)) map.delete(name);
  }

  private check(ep: EndpointState): void {
    const plan = ep.config.rollout!;
    const control = controlVersionOf(ep.config);
    if (control === undefined) return;
    const planHash = rolloutPlanHash(ep.config);
    const current = this.currentState(ep, planHash);
    const now = this.now();
    if (!current) {
      this.startRollout(ep, planHash, control);
      return;
    }
    if (current.phase !== "progressing") {
      this.observations.delete(ep.name);
      return;
    }
    const stats = this.opts.stats ?? this.opts.endpoints.stats;
    const counts = {
      candidate: stats.versionCounters(ep.name, plan.version),
      control: stats.versionCounters(ep.name, control),
    };
    const base = this.baselines.get(ep.name);
    if (!base || base.planHash !== planHash || base.step !== current.step) {
      this.baselines.set(ep.name, { planHash, step: current.step, at: now, ...counts });
      return;
    }
    const verdict = decideRollout({
      plan,
      phase: current.phase,
      step: current.step,
      windowMs: now - base.at,
      candidate: windowStats(windowOf(counts.candidate, base.candidate)),
      control: windowStats(windowOf(counts.control, base.control)),
    });
    this.observations.set(ep.name, { at: new Date(now).toISOString(), reason: verdict.reason });
    if (verdict.action === "hold") return;
    this.decide(ep, current, verdict);
  }

  /** The newer of the state the backend fed back and the one this leader last wrote, for this plan. */
  private currentState(ep: EndpointState, planHash: string): RolloutState | undefined {
    const fed = ep.rollout?.planHash === planHash ? ep.rollout : undefined;
    const mine = this.written.get(ep.name);
    if (mine && mine.planHash === planHash && (!fed || mine.revision > fed.revision)) return mine;
    return fed;
  }

  private startRollout(ep: EndpointState, planHash: string, control: string): void {
    const plan = ep.config.rollout!;
    const at = new Date(this.now()).toISOString();
    const first = plan.steps[0]!;
    const previous = [ep.rollout?.revision ?? 0, this.written.get(ep.name)?.revision ?? 0];
    const state: RolloutState = {
      planHash,
      version: plan.version,
      control,
      phase: first === 100 ? "promoted" : "progressing",
      step: 0,
      weights: rolloutWeights(ep.config, plan, first),
      stepStartedAt: at,
      revision: Math.max(...previous) + 1,
      history: [],
    };
    const reason = `steps ${plan.steps.join(", ")} % every ${plan.intervalSeconds} s; rollback above +${plan.maxErrorRateIncreasePercent} points of errors or +${plan.maxP99LatencyIncreasePercent} % of p99 latency against ${control}`;
    this.commit(ep, state, "start", first, reason);
  }

  private decide(ep: EndpointState, current: RolloutState, verdict: Exclude<RolloutVerdict, { action: "hold" }>): void {
    const plan = ep.config.rollout!;
    const at = new Date(this.now()).toISOString();
    const step = verdict.action === "rollback" ? current.step : verdict.step;
    const percent = verdict.action === "rollback" ? 0 : plan.steps[step]!;
    const state: RolloutState = {
      ...current,
      phase: verdict.action === "rollback" ? "rolledBack" : verdict.action === "promote" ? "promoted" : "progressing",
      step,
      weights: rolloutWeights(ep.config, plan, percent),
      stepStartedAt: at,
      revision: current.revision + 1,
    };
    this.commit(ep, state, verdict.action, percent, verdict.reason);
  }

  /** Writes the state, then records the event; both after the write succeeded. */
  private commit(ep: EndpointState, next: RolloutState, action: RolloutAction, percent: number, reason: string): void {
    const at = next.stepStartedAt;
    const state: RolloutState = {
      ...next,
      history: [...next.history, { at, action, percent, reason }].slice(-MAX_ROLLOUT_HISTORY),
    };
    const event = eventFor(ep.name, state, action, percent, reason);
    const { store, log } = this.opts;
    this.busy.add(ep.name);
    const work = store
      .write(ep.name, state)
      .then(async () => {
        this.written.set(ep.name, state);
        this.baselines.delete(ep.name);
        this.observations.delete(ep.name);
        log?.info({ endpoint: ep.name, action, percent, weights: state.weights, reason }, "rollout decision");
        this.opts.metrics?.countRolloutDecision(ep.name, action);
        this.opts.onDecision?.(ep.name, event);
        await store
          .record(ep.name, event)
          .catch((e: unknown) =>
            log?.warn({ endpoint: ep.name, err: (e as Error).message }, "rollout event could not be recorded"),
          );
      })
      .catch((e: unknown) =>
        log?.warn({ endpoint: ep.name, action, err: (e as Error).message }, "rollout state not stored; retrying"),
      )
      .finally(() => {
        this.busy.delete(ep.name);
        this.pending.delete(work);
      });
    this.pending.add(work);
  }
}

function windowStats(c: VersionCounters): WindowStats {
  return { requests: c.requests, errors: c.errors, p99Ms: p99Ms(c) };
}

function eventFor(
  endpoint: string,
  state: RolloutState,
  action: RolloutAction,
  percent: number,
  reason: string,
): RolloutEvent {
  const { version, control } = state;
  const message = {
    start: `Rolling out ${version} on endpoint ${endpoint}: ${percent} % of the traffic it shares with ${control} (${reason})`,
    advance: `${version} advanced to ${percent} % of the traffic it shares with ${control}: ${reason}`,
    promote: `${version} promoted: it now takes all of ${control}'s traffic: ${reason}`,
    rollback: `${version} rolled back to 0 %; ${control} serves its traffic again: ${reason}`,
  }[action];
  return {
    action,
    type: action === "rollback" ? "Warning" : "Normal",
    reason: EVENT_REASONS[action],
    message: message.slice(0, 1024),
  };
}
