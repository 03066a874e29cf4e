/**
 * The router self-scaling decision, pure (azureml-fe v1): when the time to route requests
 * stays above its threshold the router first scales up (one more CPU core per pod, and
 * so one more worker), and only at its largest pod size scales out (one more pod). When
 * CPU use stays low it first scales down (one core fewer, while the smaller pod would
 * still run at most half busy), and only at its smallest pod size scales in (one pod
 * fewer, below the scale-in threshold). One step at a time: each step changes both
 * signals, so the next step waits for fresh windows.
 */
import type { RouterSizeBounds } from "../contract/routerSize.js";

export interface RouterSample {
  at: number;
  /** Routing-overhead p90 over the last interval; undefined when no request was served. */
  overheadP90Ms?: number;
  /** This router process's CPU use over the last interval, in cores (every thread). */
  cpuCores: number;
}

/** Pods and whole CPU cores per pod. */
export interface RouterSize {
  pods: number;
  cpu: number;
}

/**
 * Sizes found not to fit the cluster (a pod that stayed unschedulable, a resize the node
 * refused): growth stops below them until they expire. Shrinking is never limited.
 */
export interface SizeCeilings {
  pods?: number;
  cpu?: number;
}

export interface SizingThresholds extends RouterSizeBounds {
  /** Scale up, then out, when routing-overhead p90 stays above this for `upWindowSeconds`. azureml-fe publishes <= 3 ms mean. */
  overheadP90ThresholdMs: number;
  upWindowSeconds: number;
  /** Scale down while CPU use stays below this fraction of one core fewer, for `downWindowSeconds`. */
  shrinkUtilization: number;
  /** At the smallest pod size, scale in while CPU use stays below this many cores for `downWindowSeconds`. */
  lowCpuCores: number;
  downWindowSeconds: number;
}

/**
 * The next size: at most one dimension changes by one, except that a size outside the
 * bounds is brought inside them. Every sample of the up window must be over the overhead
 * threshold (an interval without requests is not), and every sample of the down window
 * under the CPU threshold and not over the overhead threshold.
 */
export function decideRouterSize(
  samples: readonly RouterSample[],
  current: RouterSize,
  cfg: SizingThresholds,
  now: number,
  ceilings: SizeCeilings = {},
): RouterSize {
  const within = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
  const bounded = {
    pods: within(current.pods, cfg.minPods, cfg.maxPods),
    cpu: within(current.cpu, cfg.minCpuPerPod, cfg.maxCpuPerPod),
  };
  if (bounded.pods !== current.pods || bounded.cpu !== current.cpu) return bounded;

  const covering = (seconds: number) => {
    const from = now - seconds * 1000;
    if (!samples.length || samples[0]!.at > from) return undefined; // history shorter than the window
    return samples.filter((s) => s.at >= from);
  };
  const slow = (s: RouterSample) => s.overheadP90Ms !== undefined && s.overheadP90Ms > cfg.overheadP90ThresholdMs;

  const up = covering(cfg.upWindowSeconds);
  if (up?.length && up.every(slow)) {
    if (current.cpu < Math.min(cfg.maxCpuPerPod, ceilings.cpu ?? Infinity)) return { ...current, cpu: current.cpu + 1 };
    if (current.pods < Math.min(cfg.maxPods, ceilings.pods ?? Infinity)) return { ...current, pods: current.pods + 1 };
    return current;
  }
  const down = covering(cfg.downWindowSeconds);
  if (!down?.length || down.some(slow)) return current;
  if (current.cpu > cfg.minCpuPerPod) {
    const shrinkBelow = cfg.shrinkUtilization * (current.cpu - 1);
    return down.every((s) => s.cpuCores < shrinkBelow) ? { ...current, cpu: current.cpu - 1 } : current;
  }
  if (current.pods > cfg.minPods && down.every((s) => s.cpuCores < cfg.lowCpuCores))
    return { ...current, pods: current.pods - 1 };
  return current;
}
