/**
 * Defaults the docs state (docs/architecture.md "Scaling details") pinned by behaviour,
 * so that changing one fails here: router self-scaling (one more router replica when the
 * routing-overhead p90 stays above 3 ms for 60 s, one fewer when CPU stays below 0.1 core
 * for 300 s, within 2..10, sampled every 5 s) and the 3 s staleness of followers' load
 * reports. (The retry-once limit after a reset is pinned by retryDecision.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { Histogram, Registry } from "prom-client";
import {
  decideRouterReplicas,
  RouterSelfScaler,
  ROUTING_OVERHEAD_METRIC,
  SELF_SCALING_DEFAULTS,
  type RouterSample,
} from "../../router/autoscaler/selfScaling.js";
import { PeerLoadBoard } from "../../router/autoscaler/peerLoads.js";

/** One sample every 5 s (the default interval) from t = 0 to t = `seconds`. */
const every5s = (seconds: number, s: Omit<RouterSample, "at">): RouterSample[] =>
  Array.from({ length: seconds / 5 + 1 }, (_, i) => ({ at: i * 5000, ...s }));
const decide = (samples: RouterSample[], current: number) =>
  decideRouterReplicas(samples, current, SELF_SCALING_DEFAULTS, samples.at(-1)!.at);

describe("router self-scaling defaults", () => {
  it("are the documented ones", () => {
    expect(SELF_SCALING_DEFAULTS).toEqual({
      minReplicas: 2,
      maxReplicas: 10,
      overheadP90ThresholdMs: 3,
      upWindowSeconds: 60,
      lowCpuCores: 0.1,
      downWindowSeconds: 300,
      intervalSeconds: 5,
    });
  });

  it.each([
    ["p90 above 3 ms for 60 s adds one", every5s(60, { overheadP90Ms: 3.5, cpuCores: 1 }), 3, 4],
    ["p90 above 3 ms for 55 s holds", every5s(55, { overheadP90Ms: 3.5, cpuCores: 1 }), 3, 3],
    ["p90 of exactly 3 ms holds", every5s(60, { overheadP90Ms: 3, cpuCores: 1 }), 3, 3],
    ["never above 10", every5s(60, { overheadP90Ms: 50, cpuCores: 1 }), 10, 10],
    ["CPU below 0.1 core for 300 s removes one", every5s(300, { cpuCores: 0.09 }), 3, 2],
    ["CPU below 0.1 core for 295 s holds", every5s(295, { cpuCores: 0.09 }), 3, 3],
    ["CPU of exactly 0.1 core holds", every5s(300, { cpuCores: 0.1 }), 3, 3],
    ["never below 2", every5s(300, { cpuCores: 0 }), 2, 2],
  ] as const)("%s", (_what, samples, current, expected) => {
    expect(decide([...samples], current)).toBe(expected);
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
