import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decide, replicasFor, type DecisionInput, type DemandSample } from "../../router/autoscaler/decide.js";

const AUTOSCALE = { minReplicas: 1, maxReplicas: 10, targetUtilization: 70, scaleDownDelaySeconds: 60 };

/** One sample per second from t=0 to t=`seconds`, all with the same demand unless `at` overrides. */
function series(seconds: number, demand: (t: number) => number): DemandSample[] {
  return Array.from({ length: seconds + 1 }, (_, t) => ({ at: t * 1000, inFlight: demand(t), queued: 0 }));
}

function input(partial: Partial<DecisionInput> & { samples: DemandSample[] }): DecisionInput {
  return {
    now: partial.samples.at(-1)?.at ?? 0,
    currentReplicas: 1,
    autoscale: AUTOSCALE,
    maxConcurrentRequestsPerContainer: 1,
    ...partial,
  };
}

describe("replicasFor", () => {
  it.each([
    // inFlight, queued, target, maxConcurrent, expected
    [0, 0, 70, 1, 0],
    [1, 0, 70, 1, 2], // 1 busy at 70% target needs 2 replicas (1/2 = 50% <= 70%)
    [7, 0, 70, 1, 10], // exact: no floating-point 10.000000000000002 -> 11
    [7, 1, 70, 1, 12], // queued requests are demand too
    [14, 0, 70, 2, 10],
    [3, 0, 100, 1, 3],
    [10, 0, 50, 4, 5],
    [1, 0, 100, 8, 1],
  ])("inFlight %i queued %i target %i%% conc %i -> %i", (inFlight, queued, target, conc, expected) => {
    expect(replicasFor({ inFlight, queued }, target, conc)).toBe(expected);
  });
});

describe("decide: table", () => {
  const cases: Array<{ name: string; in: DecisionInput; desired: number; reason: string }> = [
    { name: "no samples holds", in: input({ samples: [], currentReplicas: 3 }), desired: 3, reason: "hold" },
    { name: "idle at min holds", in: input({ samples: series(70, () => 0) }), desired: 1, reason: "hold" },
    {
      name: "step up is immediate",
      in: input({ samples: [...series(5, () => 0), { at: 5500, inFlight: 5, queued: 0 }] }),
      desired: 8,
      reason: "up",
    },
    {
      name: "up is clamped to max",
      in: input({ samples: [{ at: 0, inFlight: 100, queued: 50 }], currentReplicas: 2 }),
      desired: 10,
      reason: "up",
    },
    {
      name: "queued counts as demand",
      in: input({ samples: [{ at: 0, inFlight: 1, queued: 6 }] }),
      desired: 10,
      reason: "up",
    },
    {
      name: "concurrency > 1 uses in flight / (replicas x max concurrent)",
      in: input({
        samples: [{ at: 0, inFlight: 6, queued: 0 }],
        currentReplicas: 1,
        maxConcurrentRequestsPerContainer: 4,
      }),
      desired: 3,
      reason: "up",
    },
    {
      name: "lower demand for less than the window holds",
      in: input({ samples: series(30, () => 1), currentReplicas: 8 }),
      desired: 8,
      reason: "hold",
    },
    {
      name: "lower demand for the whole window scales down to the window's highest",
      in: input({ samples: series(60, (t) => (t === 10 ? 3 : 1)), currentReplicas: 8 }),
      desired: 5,
      reason: "down",
    },
    {
      name: "a recent peak in the window keeps the count",
      in: input({ samples: series(60, (t) => (t === 59 ? 5 : 1)), currentReplicas: 8 }),
      desired: 8,
      reason: "hold",
    },
    {
      name: "scale-down never goes below min",
      in: input({ samples: series(60, () => 0), currentReplicas: 5, autoscale: { ...AUTOSCALE, minReplicas: 2 } }),
      desired: 2,
      reason: "down",
    },
    {
      name: "below min is raised at once",
      in: input({ samples: [{ at: 0, inFlight: 0, queued: 0 }], currentReplicas: 0 }),
      desired: 1,
      reason: "clamp",
    },
    {
      name: "above max is lowered at once",
      in: input({ samples: [{ at: 0, inFlight: 50, queued: 0 }], currentReplicas: 14 }),
      desired: 10,
      reason: "clamp",
    },
    {
      name: "window of 0 s scales down at once",
      in: input({
        samples: [{ at: 0, inFlight: 0, queued: 0 }],
        currentReplicas: 4,
        autoscale: { ...AUTOSCALE, scaleDownDelaySeconds: 0 },
      }),
      desired: 1,
      reason: "down",
    },
    {
      name: "samples older than the window do not keep the count",
      in: input({ samples: series(120, (t) => (t < 50 ? 7 : 1)), currentReplicas: 10 }),
      desired: 2,
      reason: "down",
    },
  ];
  it.each(cases)("$name", (c) => {
    const d = decide(c.in);
    expect(d.desired).toBe(c.desired);
    expect(d.reason).toBe(c.reason);
  });

  it("reports utilization as demand over capacity", () => {
    expect(decide(input({ samples: [{ at: 0, inFlight: 3, queued: 1 }], currentReplicas: 4 })).utilizationPercent).toBe(
      100,
    );
    expect(
      decide(
        input({
          samples: [{ at: 0, inFlight: 4, queued: 0 }],
          currentReplicas: 4,
          maxConcurrentRequestsPerContainer: 2,
        }),
      ).utilizationPercent,
    ).toBe(50);
  });
});

const configArb = fc
  .record({
    minReplicas: fc.integer({ min: 1, max: 5 }),
    span: fc.integer({ min: 0, max: 10 }),
    targetUtilization: fc.integer({ min: 1, max: 100 }),
    scaleDownDelaySeconds: fc.integer({ min: 0, max: 30 }),
    maxConcurrent: fc.integer({ min: 1, max: 8 }),
  })
  .map((r) => ({
    autoscale: {
      minReplicas: r.minReplicas,
      maxReplicas: r.minReplicas + r.span,
      targetUtilization: r.targetUtilization,
      scaleDownDelaySeconds: r.scaleDownDelaySeconds,
    },
    maxConcurrent: r.maxConcurrent,
  }));
const demandsArb = fc.array(
  fc.record({ inFlight: fc.integer({ min: 0, max: 200 }), queued: fc.integer({ min: 0, max: 50 }) }),
  { minLength: 1, maxLength: 50 },
);

function toSamples(demands: Array<{ inFlight: number; queued: number }>): DemandSample[] {
  return demands.map((d, i) => ({ at: i * 1000, ...d }));
}

describe("decide: properties", () => {
  it("never outside [min, max]", () => {
    fc.assert(
      fc.property(configArb, demandsArb, fc.integer({ min: 0, max: 30 }), (c, demands, current) => {
        const samples = toSamples(demands);
        const d = decide({
          now: samples.at(-1)!.at,
          samples,
          currentReplicas: current,
          autoscale: c.autoscale,
          maxConcurrentRequestsPerContainer: c.maxConcurrent,
        });
        return d.desired >= c.autoscale.minReplicas && d.desired <= c.autoscale.maxReplicas;
      }),
      { numRuns: 2000 },
    );
  });

  it("never below current while the history is shorter than the window", () => {
    fc.assert(
      fc.property(configArb, demandsArb, fc.integer({ min: 1, max: 30 }), (c, demands, current) => {
        fc.pre(current >= c.autoscale.minReplicas && current <= c.autoscale.maxReplicas);
        const samples = toSamples(demands);
        const now = samples.at(-1)!.at;
        fc.pre(now < c.autoscale.scaleDownDelaySeconds * 1000);
        const d = decide({
          now,
          samples,
          currentReplicas: current,
          autoscale: c.autoscale,
          maxConcurrentRequestsPerContainer: c.maxConcurrent,
        });
        return d.desired >= current;
      }),
      { numRuns: 2000 },
    );
  });

  it("never below the highest in-window desired count", () => {
    fc.assert(
      fc.property(configArb, demandsArb, fc.integer({ min: 1, max: 30 }), (c, demands, current) => {
        fc.pre(current >= c.autoscale.minReplicas && current <= c.autoscale.maxReplicas);
        const samples = toSamples(demands);
        const now = samples.at(-1)!.at;
        const d = decide({
          now,
          samples,
          currentReplicas: current,
          autoscale: c.autoscale,
          maxConcurrentRequestsPerContainer: c.maxConcurrent,
        });
        const inWindow = samples.filter((s) => s.at >= now - c.autoscale.scaleDownDelaySeconds * 1000);
        const highest = Math.max(
          ...inWindow.map((s) =>
            Math.min(c.autoscale.maxReplicas, replicasFor(s, c.autoscale.targetUtilization, c.maxConcurrent)),
          ),
        );
        return d.desired >= Math.min(current, Math.max(highest, c.autoscale.minReplicas));
      }),
      { numRuns: 2000 },
    );
  });

  it("is monotone in demand", () => {
    fc.assert(
      fc.property(
        configArb,
        demandsArb,
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 50, maxLength: 50 }),
        fc.integer({ min: 0, max: 30 }),
        (c, demands, extra, current) => {
          const lower = toSamples(demands);
          const higher = lower.map((s, i) => ({ ...s, inFlight: s.inFlight + extra[i]! }));
          const now = lower.at(-1)!.at;
          const base = {
            now,
            currentReplicas: current,
            autoscale: c.autoscale,
            maxConcurrentRequestsPerContainer: c.maxConcurrent,
          };
          return decide({ ...base, samples: higher }).desired >= decide({ ...base, samples: lower }).desired;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("does not change under constant demand once it has reached the level it asks for", () => {
    fc.assert(
      fc.property(
        configArb,
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 120 }),
        (c, demand, start, ticks) => {
          // Run the loop: every tick adds a sample, applies the decision, and counts changes.
          const samples: DemandSample[] = [];
          let current = start;
          const changes: number[] = [];
          for (let t = 0; t <= ticks + c.autoscale.scaleDownDelaySeconds + 2; t++) {
            samples.push({ at: t * 1000, inFlight: demand, queued: 0 });
            const d = decide({
              now: t * 1000,
              samples,
              currentReplicas: current,
              autoscale: c.autoscale,
              maxConcurrentRequestsPerContainer: c.maxConcurrent,
            });
            if (d.desired !== current) changes.push(t);
            current = d.desired;
          }
          // At most one clamp/up and one down, then nothing for the rest of the run.
          const settledAt = changes.at(-1) ?? 0;
          return changes.length <= 2 && settledAt <= c.autoscale.scaleDownDelaySeconds + 1;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("does not flap under noisy steady load", () => {
    fc.assert(
      fc.property(
        configArb,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (c, level, noise, seed) => {
          fc.pre(c.autoscale.scaleDownDelaySeconds >= 5);
          let rnd = seed;
          const next = () => ((rnd = (rnd * 1103515245 + 12345) % 2147483648), rnd / 2147483648);
          const samples: DemandSample[] = [];
          let current = c.autoscale.minReplicas;
          let downs = 0;
          for (let t = 0; t < 200; t++) {
            // The peak recurs at least once per window: that is what "steady" means to a windowed autoscaler.
            const jitter = t % 5 === 0 ? noise : Math.floor(next() * (noise + 1));
            samples.push({ at: t * 1000, inFlight: level + jitter, queued: 0 });
            const d = decide({
              now: t * 1000,
              samples,
              currentReplicas: current,
              autoscale: c.autoscale,
              maxConcurrentRequestsPerContainer: c.maxConcurrent,
            });
            if (d.desired < current) downs++;
            current = d.desired;
          }
          // Demand bounded in [level, level + noise]: the count can only climb towards the peak's need, never come back down and up again.
          return downs === 0;
        },
      ),
      { numRuns: 500 },
    );
  });
});
