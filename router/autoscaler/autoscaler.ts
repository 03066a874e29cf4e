/**
 * The autoscaler loop: every `refreshSeconds` per service it takes one demand sample
 * (its own load plus followers' reports when it leads), asks the decision core for a
 * replica count and, when the count changes and this process leads, asks the backend
 * for it. Followers only send their load to the leader.
 *
 * A sample is the PEAK of in-flight + queued seen during the refresh period (the
 * load is polled every check, 100 ms by default), not the value at one instant: an
 * instant can fall between two requests of a steady client, and would make steady
 * load look lower than it is (and the scale-down window would then act on noise).
 */
import type {
  LeaderElection,
  LoadSource,
  PeerLoadReport,
  RouterBackend,
  ServiceLoad,
  ServiceScalingView,
} from "../contract/backend.js";
import type { Log } from "../log.js";
import { decide, type DemandSample } from "./decide.js";
import { sendPeerLoadReport, type PeerLoadBoard } from "./peerLoads.js";

/** What the autoscaler reports; the router's Prometheus metrics (RouterMetrics) implement it. */
export interface ScalingMetrics {
  setDesiredReplicas(service: string, replicas: number): void;
  /** `reason` is the decision core's: up, down or clamp. */
  recordScalingDecision(service: string, from: number, to: number, reason: string): void;
}

export interface ScalingDecision {
  service: string;
  from: number;
  to: number;
  reason: string;
  utilizationPercent: number;
  /** The loop's clock (ms). */
  at: number;
}

export interface AutoscalerOptions {
  /** Every service's settings and replica count (the router's registry). */
  services: () => readonly ServiceScalingView[];
  load: LoadSource;
  backend: Required<Pick<RouterBackend, "scale">>;
  /** Absent: this process always decides (local mode, a single router). */
  election?: LeaderElection;
  /** Followers' reports, read when leading; stale ones are evicted every tick whatever the role. */
  peers?: PeerLoadBoard;
  /** This process's name in the reports it sends as a follower. */
  peerName?: string;
  /** The peers' shared secret, sent with every report. */
  peerSecret?: () => string;
  metrics?: ScalingMetrics;
  log?: Log;
  /** Injectable clock (ms). */
  now?: () => number;
  /** How often the loop checks which services are due; default 100 ms. */
  checkIntervalMs?: number;
  /** Called for every decision that changes a replica count (after metrics), e.g. to print it. */
  onDecision?: (d: ScalingDecision) => void;
  /** Injectable for tests; default POSTs to the leader. */
  sendReport?: (leaderUrl: string, report: PeerLoadReport) => Promise<void>;
}

/** A scale request for the same count is repeated after this long if the backend has not converged. */
const REASSERT_AFTER_MS = 10_000;
/** After a failed scale request (API unreachable, Deployment missing), the next attempt waits this long. */
const RETRY_FAILED_AFTER_MS = 2_000;

/** The loop's memory of one service: its demand samples and the last scale request. */
interface ServiceScalingState {
  samples: DemandSample[];
  lastSampleAt: number;
  asked?: { replicas: number; retryAt: number };
  scaling: boolean;
}

export class Autoscaler {
  private readonly state = new Map<string, ServiceScalingState>();
  /** Per service, the highest load (in flight + queued) seen since its last sample (or, as a follower, since the last report). */
  private readonly peaks = new Map<string, ServiceLoad>();
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private wasLeader = false;
  private lastReportAt = -Infinity;
  private reporting = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly opts: AutoscalerOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.opts.checkIntervalMs ?? 100);
    this.timer.unref();
    this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.pending]);
  }

  private leading(): boolean {
    return this.opts.election ? this.opts.election.isLeader() : true;
  }

  /** One pass over the services that are due. Public so tests can drive it with a fake clock. */
  tick(): void {
    const now = this.now();
    const leading = this.leading();
    if (leading !== this.wasLeader) {
      // A new leader has seen only its own traffic so far: start the window afresh, so it cannot scale down on partial history.
      this.state.clear();
      this.peaks.clear();
      this.wasLeader = leading;
    }
    // A follower also holds reports (sent to it before it lost the lead, or by a peer with a stale view): they must not pile up.
    this.opts.peers?.evictStale();
    const services = this.opts.services();
    const names = new Set(services.map((s) => s.name));
    for (const name of this.state.keys()) if (!names.has(name)) this.state.delete(name);
    for (const name of this.peaks.keys()) if (!names.has(name)) this.peaks.delete(name);

    // Every check folds the present load into the period's peak, so a sample cannot miss load that came and went between two refreshes.
    const present = leading
      ? sumLoads([this.opts.load.localLoad(), this.opts.peers?.freshLoads() ?? []])
      : sumLoads([this.opts.load.localLoad()]);
    for (const load of present.values()) {
      const peak = this.peaks.get(load.service);
      if (!peak || load.inFlight + load.queued > peak.inFlight + peak.queued) this.peaks.set(load.service, load);
    }

    if (!leading) {
      this.reportToLeader(now, services);
      return;
    }
    for (const service of services) {
      if (!service.config.autoscale.enabled) continue;
      if (
        now - (this.state.get(service.name)?.lastSampleAt ?? -Infinity) <
        service.config.autoscale.refreshSeconds * 1000 - 50
      )
        continue;
      const peak = this.peaks.get(service.name);
      this.peaks.delete(service.name);
      this.decideFor(service, peak, now);
    }
  }

  private decideFor(service: ServiceScalingView, load: ServiceLoad | undefined, now: number): void {
    const { config } = service;
    let st = this.state.get(service.name);
    if (!st) {
      st = { samples: [], lastSampleAt: now, scaling: false };
      this.state.set(service.name, st);
    }
    st.lastSampleAt = now;
    st.samples.push({ at: now, inFlight: load?.inFlight ?? 0, queued: load?.queued ?? 0 });
    // Keep the newest sample at or before the window start: it proves the history spans the window.
    const windowStart = now - config.autoscale.scaleDownDelaySeconds * 1000;
    while (st.samples.length > 1 && st.samples[1]!.at <= windowStart) st.samples.shift();

    const current = service.currentReplicas;
    const d = decide({
      now,
      samples: st.samples,
      currentReplicas: current,
      autoscale: config.autoscale,
      maxConcurrentRequestsPerContainer: config.maxConcurrentRequestsPerContainer,
    });
    this.opts.metrics?.setDesiredReplicas(service.name, d.desired);
    if (d.desired === current || st.scaling) return;
    if (st.asked && st.asked.replicas === d.desired && now < st.asked.retryAt) return;

    const asked = { replicas: d.desired, retryAt: now + REASSERT_AFTER_MS };
    st.asked = asked;
    st.scaling = true;
    const direction = d.desired > current ? "up" : "down";
    this.opts.metrics?.recordScalingDecision(service.name, current, d.desired, d.reason);
    this.opts.onDecision?.({
      service: service.name,
      from: current,
      to: d.desired,
      reason: d.reason,
      utilizationPercent: d.utilizationPercent,
      at: now,
    });
    this.opts.log?.info(
      {
        service: service.name,
        from: current,
        to: d.desired,
        reason: d.reason,
        utilizationPercent: Math.round(d.utilizationPercent),
      },
      `scaling ${direction}`,
    );
    const p = this.opts.backend
      .scale(service.name, d.desired)
      .catch((e: unknown) => {
        asked.retryAt = now + RETRY_FAILED_AFTER_MS;
        this.opts.log?.warn(
          { service: service.name, to: d.desired, err: (e as Error).message },
          "scale request failed",
        );
      })
      .finally(() => {
        st.scaling = false;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  private reportToLeader(now: number, services: readonly ServiceScalingView[]): void {
    const refreshMs = Math.min(1000, ...services.map((s) => s.config.autoscale.refreshSeconds * 1000));
    if (this.reporting || now - this.lastReportAt < refreshMs - 50) return;
    const leaderUrl = this.opts.election?.leaderUrl();
    if (!leaderUrl) return;
    this.lastReportAt = now;
    this.reporting = true;
    const report: PeerLoadReport = {
      peer: this.opts.peerName ?? "unknown",
      sentAt: Date.now(),
      loads: [...this.peaks.values()],
    };
    this.peaks.clear();
    const send =
      this.opts.sendReport ??
      ((url: string, r: PeerLoadReport) => sendPeerLoadReport(url, r, this.opts.peerSecret?.() ?? ""));
    const p = send(leaderUrl, report)
      .catch((e: unknown) =>
        this.opts.log?.warn({ leaderUrl, err: (e as Error).message }, "load report to leader failed"),
      )
      .finally(() => {
        this.reporting = false;
        this.pending.delete(p);
      });
    this.pending.add(p);
  }
}

function sumLoads(groups: ServiceLoad[][]): Map<string, ServiceLoad> {
  const out = new Map<string, ServiceLoad>();
  for (const group of groups) {
    for (const l of group) {
      const s = out.get(l.service) ?? { service: l.service, inFlight: 0, queued: 0 };
      s.inFlight += l.inFlight;
      s.queued += l.queued;
      out.set(l.service, s);
    }
  }
  return out;
}
