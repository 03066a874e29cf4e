/**
 * Router self-scaling (azureml-fe v1), leader only, off for DevTest clusters
 * (AKSML_SELF_SCALING=false). Runs when the backend offers `routerReplicas` (the
 * Kubernetes backend: the router Deployment's `scale` subresource and, with CPU bounds,
 * the router pods' CPU). The decision is routerSizing.ts's: up (CPU per pod), then out
 * (pods) while routing is slow; down, then in, while CPU use is low.
 *
 * A change must settle (every pod resized or restarted, every wanted pod available)
 * before the next is judged, on fresh windows. A change that does not settle within
 * `settleTimeoutSeconds`, or a resize a node refuses outright, did not fit the cluster:
 * the router goes back and grows no further in that dimension for `ceilingHoldSeconds`
 * (node autoscaling may add room meanwhile). Scaling up and out so happens only within
 * what the cluster can hold, without reading its nodes (which would need a ClusterRole).
 */
import type { Registry } from "prom-client";
import type { RouterCpuState, RouterReplicas } from "../contract/backend.js";
import type { Log } from "../log.js";
import { decideRouterSize, type RouterSample, type SizeCeilings, type SizingThresholds } from "./routerSizing.js";

export type { RouterSample } from "./routerSizing.js";

export interface SelfScalingConfig extends SizingThresholds {
  /** Seconds between samples. */
  intervalSeconds: number;
  /** A change that has not settled after this long did not fit the cluster and is taken back. */
  settleTimeoutSeconds: number;
  /** How long growth stays below a size that did not fit. */
  ceilingHoldSeconds: number;
}

export const SELF_SCALING_DEFAULTS: SelfScalingConfig = {
  minPods: 2,
  maxPods: 10,
  minCpuPerPod: 1,
  maxCpuPerPod: 4,
  overheadP90ThresholdMs: 3,
  upWindowSeconds: 60,
  shrinkUtilization: 0.5,
  lowCpuCores: 0.1,
  downWindowSeconds: 300,
  intervalSeconds: 5,
  // The Deployment controller's own default progress deadline.
  settleTimeoutSeconds: 600,
  ceilingHoldSeconds: 3600,
};

/** p90 (upper bucket bound, ms) of the histogram observations made between two cumulative bucket readings. */
export function p90FromBucketDelta(before: Map<number, number>, after: Map<number, number>): number | undefined {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return undefined;
  for (const le of bounds) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= 0.9 * total) return le * 1000;
  }
  return Infinity;
}

/** Cumulative bucket counts of a prom-client histogram, summed over its labels. */
export async function readHistogramBuckets(registry: Registry, name: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const metric = registry.getSingleMetric(name);
  if (!metric) return out;
  const data = await metric.get();
  for (const v of data.values as Array<{
    value: number;
    labels: Record<string, string | number | undefined>;
    metricName?: string;
  }>) {
    if (!v.metricName?.endsWith("_bucket")) continue;
    const le = v.labels.le === "+Inf" ? Infinity : Number(v.labels.le);
    out.set(le, (out.get(le) ?? 0) + v.value);
  }
  return out;
}

export interface RouterSelfScalerOptions {
  /** The router's own size, as the backend exposes it. */
  target: RouterReplicas;
  isLeader: () => boolean;
  metricsRegistry: Registry;
  /**
   * Whether this router changes its worker count live when its CPU limit changes (a
   * resize in place then gives it more workers); otherwise CPU changes restart the pods.
   */
  inPlace?: boolean;
  config?: Partial<SelfScalingConfig>;
  now?: () => number;
  log?: Log;
}

export const ROUTING_OVERHEAD_METRIC = "aksml_router_routing_overhead_seconds";

/** A change this leader made that has not settled yet. */
interface PendingChange {
  what: keyof SizeCeilings;
  from: number;
  to: number;
  at: number;
}

/** Without a CPU capability the pod size is fixed: the decision then only scales out and in. */
const FIXED_CPU = 1;

export class RouterSelfScaler {
  private readonly cfg: SelfScalingConfig;
  private readonly now: () => number;
  private samples: RouterSample[] = [];
  private timer?: NodeJS.Timeout;
  private lastBuckets = new Map<number, number>();
  private lastCpu = process.cpuUsage();
  private lastAt: number;
  private busy?: Promise<void>;
  private pending?: PendingChange;
  private unsettledSince?: number;
  private overdueLogged = false;
  private readonly ceilings: { [K in keyof SizeCeilings]?: { value: number; until: number } } = {};

  constructor(private readonly opts: RouterSelfScalerOptions) {
    const bounds = Object.fromEntries(Object.entries(opts.target.bounds ?? {}).filter(([, v]) => v !== undefined));
    const cfg = { ...SELF_SCALING_DEFAULTS, ...bounds, ...opts.config };
    this.cfg = opts.target.cpu ? cfg : { ...cfg, minCpuPerPod: FIXED_CPU, maxCpuPerPod: FIXED_CPU };
    this.now = opts.now ?? (() => performance.now());
    this.lastAt = this.now();
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.busy) this.busy = this.tick().finally(() => (this.busy = undefined));
    }, this.cfg.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.busy;
  }

  /** One sample and, when leading, one decision. Public for tests. */
  async tick(): Promise<void> {
    const now = this.now();
    const buckets = await readHistogramBuckets(this.opts.metricsRegistry, ROUTING_OVERHEAD_METRIC);
    const cpu = process.cpuUsage();
    const wallUs = Math.max(1, (now - this.lastAt) * 1000);
    const cpuCores = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / wallUs;
    this.samples.push({ at: now, overheadP90Ms: p90FromBucketDelta(this.lastBuckets, buckets), cpuCores });
    this.lastBuckets = buckets;
    this.lastCpu = cpu;
    this.lastAt = now;
    const keepFrom =
      now - Math.max(this.cfg.upWindowSeconds, this.cfg.downWindowSeconds) * 1000 - this.cfg.intervalSeconds * 1000;
    while (this.samples.length > 1 && this.samples[1]!.at <= keepFrom) this.samples.shift();
    if (!this.opts.isLeader()) {
      this.pending = undefined; // once another process leads, what this one changed is its business
      return;
    }

    const { target, log } = this.opts;
    try {
      const pods = await target.get();
      const cpuState = target.cpu ? await target.cpu.get() : undefined;
      if (cpuState && !cpuState.settled) return await this.whileUnsettled(cpuState, now);
      if (this.unsettledSince !== undefined) {
        // A change just landed: judge the next one on fresh windows.
        log?.info({ deployment: target.name, pods, cpu: cpuState?.cores }, "router size settled");
        this.unsettledSince = undefined;
        this.pending = undefined;
        this.samples = [];
        return;
      }
      this.pending = undefined;
      const current = { pods, cpu: cpuState?.cores ?? FIXED_CPU };
      const desired = decideRouterSize(this.samples, current, this.cfg, now, this.liveCeilings(now));
      if (desired.pods === current.pods && desired.cpu === current.cpu) return;
      log?.info({ deployment: target.name, from: current, to: desired }, "resizing the router");
      this.samples = []; // a resized router changes both signals
      // Pending before the call: a change that fails half-way is taken back like one that cannot settle.
      if (desired.pods !== current.pods) {
        this.pending = { what: "pods", from: current.pods, to: desired.pods, at: now };
        await target.set(desired.pods);
      }
      if (desired.cpu !== current.cpu && target.cpu) {
        this.pending = { what: "cpu", from: current.cpu, to: desired.cpu, at: now };
        await target.cpu.set(desired.cpu, this.how());
      }
    } catch (e) {
      log?.warn({ deployment: target.name, err: (e as Error).message }, "router self-scaling failed");
    }
  }

  private how(): { inPlace: boolean } {
    return { inPlace: this.opts.inPlace ?? false };
  }

  /** While a change is under way: take our own change back once it cannot fit, else redo what was lost. */
  private async whileUnsettled(state: RouterCpuState, now: number): Promise<void> {
    const { target, log } = this.opts;
    if (this.unsettledSince === undefined) {
      this.unsettledSince = now;
      this.overdueLogged = false;
      log?.info({ deployment: target.name, detail: state.detail }, "router size changing");
    }
    const overdue = (since: number) => now - since > this.cfg.settleTimeoutSeconds * 1000;
    const p = this.pending;
    if (p && (overdue(p.at) || (state.infeasible && p.what === "cpu"))) {
      this.pending = undefined;
      if (p.to > p.from) this.ceilings[p.what] = { value: p.from, until: now + this.cfg.ceilingHoldSeconds * 1000 };
      log?.warn(
        { deployment: target.name, [p.what]: { from: p.from, to: p.to }, detail: state.detail },
        "the cluster cannot hold this router size; going back",
      );
      if (p.what === "pods") await target.set(p.from);
      else await target.cpu!.set(p.from, this.how());
      return;
    }
    if (!p && overdue(this.unsettledSince) && !this.overdueLogged) {
      this.overdueLogged = true;
      log?.warn(
        { deployment: target.name, detail: state.detail },
        "the router has not settled for a long time; self-scaling waits (is a router pod failing or unschedulable?)",
      );
    }
    await target.cpu!.set(state.cores, this.how());
  }

  /** Ceilings still in force; expired ones are forgotten. */
  private liveCeilings(now: number): SizeCeilings {
    const out: SizeCeilings = {};
    for (const what of ["pods", "cpu"] as const) {
      const c = this.ceilings[what];
      if (c && c.until > now) out[what] = c.value;
      else delete this.ceilings[what];
    }
    return out;
  }
}
