/**
 * Defaults the docs state (docs/architecture.md "Scaling details") pinned by behaviour,
 * so that changing one fails here: router self-scaling (while the routing-overhead p90
 * stays above 3 ms for 60 s, one more core per pod up to 4, then one more pod up to 10;
 * while CPU stays below half of one core fewer for 300 s, one core fewer down to 1, then
 * below 0.1 core one pod fewer down to 2; sampled every 5 s; a change that has not
 * settled in 600 s is taken back and that size not tried again for an hour) and the 3 s
 * staleness of followers' load reports. (The retry-once limit after a reset is pinned by
 * retryDecision.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { Histogram, Registry } from "prom-client";
import {
  RouterSelfScaler,
  ROUTING_OVERHEAD_METRIC,
  SELF_SCALING_DEFAULTS,
} from "../../router/autoscaler/selfScaling.js";
import { decideRouterSize, type RouterSample } from "../../router/autoscaler/routerSizing.js";
import { PeerLoadBoard } from "../../router/autoscaler/peerLoads.js";

/** One sample every 5 s (the default interval) from t = 0 to t = `seconds`. */
const every5s = (seconds: number, s: Omit<RouterSample, "at">): RouterSample[] =>
  Array.from({ length: seconds / 5 + 1 }, (_, i) => ({ at: i * 5000, ...s }));
const decide = (samples: RouterSample[], pods: number, cpu: number) =>
  decideRouterSize(samples, { pods, cpu }, SELF_SCALING_DEFAULTS, samples.at(-1)!.at);

describe("router self-scaling defaults", () => {
  it("are the documented ones", () => {
    expect(SELF_SCALING_DEFAULTS).toEqual({
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
      settleTimeoutSeconds: 600,
      ceilingHoldSeconds: 3600,
    });
  });

  it.each([
    ["p90 above 3 ms for 60 s adds a core", every5s(60, { overheadP90Ms: 3.5, cpuCores: 1 }), [3, 2], [3, 3]],
    ["p90 above 3 ms for 60 s at 4 cores adds a pod", every5s(60, { overheadP90Ms: 3.5, cpuCores: 1 }), [3, 4], [4, 4]],
    ["p90 above 3 ms for 55 s holds", every5s(55, { overheadP90Ms: 3.5, cpuCores: 1 }), [3, 2], [3, 2]],
    ["p90 of exactly 3 ms holds", every5s(60, { overheadP90Ms: 3, cpuCores: 1 }), [3, 2], [3, 2]],
    ["never above 10 pods of 4 cores", every5s(60, { overheadP90Ms: 50, cpuCores: 1 }), [10, 4], [10, 4]],
    ["CPU below 0.5 core for 300 s at 2 cores removes a core", every5s(300, { cpuCores: 0.49 }), [3, 2], [3, 1]],
    ["CPU of exactly 0.5 core at 2 cores holds", every5s(300, { cpuCores: 0.5 }), [3, 2], [3, 2]],
    ["CPU below 0.1 core for 300 s at 1 core removes a pod", every5s(300, { cpuCores: 0.09 }), [3, 1], [2, 1]],
    ["CPU below 0.1 core for 295 s holds", every5s(295, { cpuCores: 0.09 }), [3, 1], [3, 1]],
    ["CPU of exactly 0.1 core holds", every5s(300, { cpuCores: 0.1 }), [3, 1], [3, 1]],
    ["never below 2 pods of 1 core", every5s(300, { cpuCores: 0 }), [2, 1], [2, 1]],
  ] as const)("%s", (_what, samples, [pods, cpu], [wantPods, wantCpu]) => {
    expect(decide([...samples], pods, cpu)).toEqual({ pods: wantPods, cpu: wantCpu });
  });

  it("a scaler built without settings uses them: +1 after a minute of high overhead, judged every 5 s", async () => {
    const registry = new Registry();
    const overhead = new Histogram({
      name: ROUTING_OVERHEAD_METRIC,
      help: "x",
      labelNames: ["service"],
      buckets: [0.001, 0.003, 0.005, 0.01],
      registers: [registry],
    });
    let now = 0;
    const sets: number[] = [];
    const scaler = new RouterSelfScaler({
      target: { name: "azureml-fe", get: async () => 3, set: async (n) => void sets.push(n) },
      isLeader: () => true,
      metricsRegistry: registry,
      now: () => now,
    });
    // Samples at 5 s steps; the window is covered at the 13th (t = 60 s), not before.
    for (let i = 1; i <= 12; i++) {
      overhead.observe({ service: "m" }, 0.004);
      now += SELF_SCALING_DEFAULTS.intervalSeconds * 1000;
      await scaler.tick();
    }
    expect(sets).toEqual([]);
    overhead.observe({ service: "m" }, 0.004);
    now += 5000;
    await scaler.tick();
    expect(sets).toEqual([4]);
  });
});

describe("peer load report staleness default", () => {
  it("a board built without a max age drops a report 3 s after it arrived", () => {
    let now = 1_000_000;
    const board = new PeerLoadBoard({ isService: () => true, now: () => now });
    board.accept({ peer: "p", sentAt: 1, loads: [{ service: "m", inFlight: 2, queued: 1 }] });
    now += 3000;
    expect(board.freshLoads()).toEqual([{ service: "m", inFlight: 2, queued: 1 }]);
    now += 1;
    expect(board.freshLoads()).toEqual([]);
  });
});
