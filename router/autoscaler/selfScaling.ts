/**
 * Router self-scaling (azureml-fe v1): more router replicas when routing overhead
 * stays high, fewer when CPU stays low; leader only, off for DevTest clusters
 * (AKSML_SELF_SCALING=false). Runs when the backend offers `routerReplicas` (the
 * Kubernetes backend: the router Deployment's `scale` subresource).
 */
import type { Registry } from "prom-client";
import type { RouterReplicas } from "../contract/backend.js";
import type { Log } from "../log.js";

export interface SelfScalingConfig {
  minReplicas: number;
  maxReplicas: number;
  /** Add a replica when routing-overhead p90 stays above this for `upWindowSeconds`. azureml-fe publishes <= 3 ms mean. */
  overheadP90ThresholdMs: number;
  upWindowSeconds: number;
  /** Remove a replica when this process's CPU stays below this many cores for `downWindowSeconds`. */
  lowCpuCores: number;
  downWindowSeconds: number;
  /** Seconds between samples. */
  intervalSeconds: number;
}

export const SELF_SCALING_DEFAULTS: SelfScalingConfig = {
  minReplicas: 2,
  maxReplicas: 10,
  overheadP90ThresholdMs: 3,
  upWindowSeconds: 60,
  lowCpuCores: 0.1,
  downWindowSeconds: 300,
  intervalSeconds: 5,
};

export interface RouterSample {
  at: number;
  /** Routing-overhead p90 over the last interval; undefined when no request was served. */
  overheadP90Ms?: number;
  cpuCores: number;
}

/**
 * Pure decision: +1 when every sample of the up window is over the overhead
 * threshold, -1 when every sample of the down window is under the CPU floor (and
 * overhead is not high), clamped to [min, max]. One step at a time: a new router
 * pod changes both signals, so the next step waits for fresh windows.
 */
export function decideRouterReplicas(
  samples: readonly RouterSample[],
  current: number,
  cfg: SelfScalingConfig,
  now: number,
): number {
  const clamp = (n: number) => Math.min(cfg.maxReplicas, Math.max(cfg.minReplicas, n));
  if (current < cfg.minReplicas || current > cfg.maxReplicas) return clamp(current);
  const covering = (seconds: number) => {
    const from = now - seconds * 1000;
    if (!samples.length || samples[0]!.at > from) return undefined; // history shorter than the window
    return samples.filter((s) => s.at >= from);
  };
  const up = covering(cfg.upWindowSeconds);
  if (up?.length && up.every((s) => s.overheadP90Ms !== undefined && s.overheadP90Ms > cfg.overheadP90ThresholdMs))
    return clamp(current + 1);
  const down = covering(cfg.downWindowSeconds);
  if (
    down?.length &&
    down.every(
      (s) =>
        s.cpuCores < cfg.lowCpuCores &&
        !(s.overheadP90Ms !== undefined && s.overheadP90Ms > cfg.overheadP90ThresholdMs),
    )
  )
    return clamp(current - 1);
  return current;
}

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
  /** The router's own replica count, as the backend exposes it. */
  target: RouterReplicas;
  isLeader: () => boolean;
  metricsRegistry: Registry;
  config?: Partial<SelfScalingConfig>;
  now?: () => number;
  log?: Log;
}

export const ROUTING_OVERHEAD_METRIC = "aksml_router_routing_overhead_seconds";

export class RouterSelfScaler {
  private readonly cfg: SelfScalingConfig;
  private readonly now: () => number;
  private samples: RouterSample[] = [];
  private timer?: NodeJS.Timeout;
  private lastBuckets = new Map<number, number>();
  private lastCpu = process.cpuUsage();
  private lastAt: number;
  private busy?: Promise<void>;

  constructor(private readonly opts: RouterSelfScalerOptions) {
    this.cfg = { ...SELF_SCALING_DEFAULTS, ...opts.config };
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
    if (!this.opts.isLeader()) return;

    const { target } = this.opts;
    try {
      const current = await target.get();
      const desired = decideRouterReplicas(this.samples, current, this.cfg, now);
      if (desired === current) return;
      this.opts.log?.info({ deployment: target.name, from: current, to: desired }, "scaling the router");
      await target.set(desired);
      this.samples = []; // a new pod changes both signals; judge the next step on fresh windows
    } catch (e) {
      this.opts.log?.warn({ deployment: target.name, err: (e as Error).message }, "router self-scaling failed");
    }
  }
}
