/**
 * The autoscaler's decision core: pure, clock-free (time comes in the samples), so
 * every rule can be tested as a table and as properties.
 *
 * Rules (azureml-fe v1, with the Knative KPA's max-in-window for scale-down):
 * - demand (in replicas) = (in flight + queued) / max concurrent per replica;
 *   utilization = demand / current replicas (busy replicas / replicas at concurrency 1);
 * - desired = ceil(demand / target utilization), clamped to [min, max];
 * - up at once: the newest sample alone decides;
 * - down only when demand has stayed lower for the whole scale-down window, and then
 *   to the highest desired count seen in that window, so steady load never flaps.
 */
import type { AutoscaleConfig } from "../contract/serviceConfig.js";

/** Demand of one service at one instant, summed over every router process. */
export interface DemandSample {
  /** Milliseconds (any monotonic origin; the loop uses its injected clock). */
  at: number;
  inFlight: number;
  queued: number;
}

export interface DecisionInput {
  /** The current time, same origin as the samples' `at`. */
  now: number;
  /** Samples in time order, oldest first; the newest is the present demand. */
  samples: readonly DemandSample[];
  /** Replicas the backend runs or has been asked for. */
  currentReplicas: number;
  autoscale: Pick<AutoscaleConfig, "minReplicas" | "maxReplicas" | "targetUtilization" | "scaleDownDelaySeconds">;
  maxConcurrentRequestsPerContainer: number;
}

export type DecisionReason = "up" | "down" | "hold" | "clamp";

export interface Decision {
  desired: number;
  reason: DecisionReason;
  /** Present demand / current replicas, in percent (for metrics and logs). */
  utilizationPercent: number;
}

/**
 * Replicas needed for one sample, before clamping. Integer arithmetic on purpose:
 * 7 / 0.7 is 10.000000000000002 in floating point, which would ceil to 11.
 */
export function replicasFor(
  sample: Pick<DemandSample, "inFlight" | "queued">,
  targetUtilization: number,
  maxConcurrent: number,
): number {
  const demand = Math.max(0, Math.trunc(sample.inFlight)) + Math.max(0, Math.trunc(sample.queued));
  const capacityPerReplica = targetUtilization * maxConcurrent; // percent-requests one replica should carry
  return Math.ceil((demand * 100) / capacityPerReplica);
}

/** Samples that fall inside the scale-down window ending at `now` (inclusive). */
export function windowSamples(
  samples: readonly DemandSample[],
  now: number,
  scaleDownDelaySeconds: number,
): DemandSample[] {
  const from = now - scaleDownDelaySeconds * 1000;
  return samples.filter((s) => s.at >= from && s.at <= now);
}

export function decide(input: DecisionInput): Decision {
  const { now, samples, currentReplicas, autoscale, maxConcurrentRequestsPerContainer: maxConcurrent } = input;
  const { minReplicas: min, maxReplicas: max, targetUtilization: target, scaleDownDelaySeconds } = autoscale;
  const clamp = (n: number) => Math.min(max, Math.max(min, n));
  const latest = samples.at(-1);
  const current = Math.max(0, currentReplicas);
  const latestDemand = latest ? Math.max(0, latest.inFlight) + Math.max(0, latest.queued) : 0;
  const utilizationPercent =
    current > 0 ? (latestDemand * 100) / (current * maxConcurrent) : latestDemand > 0 ? Infinity : 0;

  // Out-of-bounds replica counts (config changed, someone edited the Deployment) are fixed at once.
  // Above max: down to max at once (the window then governs any further step down).
  if (current > max) return { desired: max, reason: "clamp", utilizationPercent };
  if (current < min) {
    const wanted = latest ? replicasFor(latest, target, maxConcurrent) : 0;
    return { desired: clamp(wanted), reason: "clamp", utilizationPercent };
  }
  if (!latest) return { desired: current, reason: "hold", utilizationPercent };

  const wantedNow = clamp(replicasFor(latest, target, maxConcurrent));
  if (wantedNow > current) return { desired: wantedNow, reason: "up", utilizationPercent };

  // Scale down only when the observed history spans the whole window...
  const windowStart = now - scaleDownDelaySeconds * 1000;
  if (samples[0]!.at > windowStart) return { desired: current, reason: "hold", utilizationPercent };
  // ...and then only to the highest count the window asked for.
  let highest = min;
  for (const s of windowSamples(samples, now, scaleDownDelaySeconds))
    highest = Math.max(highest, clamp(replicasFor(s, target, maxConcurrent)));
  if (highest < current) return { desired: highest, reason: "down", utilizationPercent };
  return { desired: current, reason: "hold", utilizationPercent };
}
