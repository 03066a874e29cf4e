import { describe, expect, it } from "vitest";
import { decideRollout, type RolloutDecisionInput } from "../../router/endpoints/rolloutDecision.js";
import {
  addCounters,
  emptyCounters,
  LATENCY_BOUNDS_MS,
  p99Ms,
  VersionStats,
  windowOf,
} from "../../router/endpoints/versionStats.js";
import { ShareCounter, SmoothWeightedChoice } from "../../router/endpoints/weightedChoice.js";

const plan = {
  version: "green",
  steps: [10, 50, 100],
  intervalSeconds: 60,
  maxErrorRateIncreasePercent: 1,
  maxP99LatencyIncreasePercent: 50,
  minRequests: 100,
};
const healthy = { requests: 200, errors: 0, p99Ms: 100 };
const base: RolloutDecisionInput = {
  plan,
  phase: "progressing",
  step: 0,
  windowMs: 60_000,
  candidate: healthy,
  control: healthy,
};

describe("decideRollout", () => {
  it.each<[string, Partial<RolloutDecisionInput>, string, RegExp]>([
    [
      "too few requests of the new version",
      { candidate: { ...healthy, requests: 99, errors: 99 } },
      "hold",
      /waiting for 100 requests of green in this step \(99 so far\)/,
    ],
    ["healthy, interval not over", { windowMs: 59_999 }, "hold", /healthy so far/],
    ["healthy for the interval at step 0", {}, "advance", /healthy for 60 s/],
    ["healthy at the step before 100", { step: 1 }, "promote", /healthy for 60 s/],
    [
      "errors 1 point above the control (allowed)",
      { candidate: { ...healthy, errors: 4 }, control: { ...healthy, errors: 2 } },
      "advance",
      /healthy/,
    ],
    [
      "errors more than 1 point above the control",
      { candidate: { ...healthy, errors: 5 }, control: { ...healthy, errors: 2 } },
      "rollback",
      /error rate of green 2\.5 % \(5 of 200\) against the control's 1\.0 %/,
    ],
    [
      "every request failing, before the interval",
      { candidate: { ...healthy, errors: 200 }, windowMs: 1000 },
      "rollback",
      /error rate of green 100\.0 %/,
    ],
    [
      "errors with too few control requests to compare",
      { candidate: { ...healthy, errors: 3 }, control: { requests: 10, errors: 5, p99Ms: 100 } },
      "rollback",
      /against 0 % \(too few control requests to compare\)/,
    ],
    ["p99 50 % above the control (allowed)", { candidate: { ...healthy, p99Ms: 150 } }, "advance", /healthy/],
    [
      "p99 more than 50 % above the control",
      { candidate: { ...healthy, p99Ms: 151 } },
      "rollback",
      /p99 latency of green 151 ms against the control's 100 ms: more than 50 % above/,
    ],
    [
      "p99 far above the control, before the end of the step (latency waits for the whole interval)",
      { candidate: { ...healthy, p99Ms: 1000 }, windowMs: 30_000 },
      "hold",
      /healthy so far/,
    ],
    [
      "p99 3 ms against 1 ms (within the noise floor)",
      { candidate: { ...healthy, p99Ms: 3 }, control: { ...healthy, p99Ms: 1 } },
      "advance",
      /healthy/,
    ],
    [
      "p99 25 ms against 10 ms",
      { candidate: { ...healthy, p99Ms: 25 }, control: { ...healthy, p99Ms: 10 } },
      "rollback",
      /p99 latency of green 25 ms/,
    ],
    [
      "slow, but too few control requests to compare latency",
      { candidate: { ...healthy, p99Ms: 1000 }, control: { requests: 5, errors: 0, p99Ms: 10 } },
      "advance",
      /healthy/,
    ],
    ["promoted already", { phase: "promoted", candidate: { ...healthy, errors: 200 } }, "hold", /over \(promoted\)/],
    ["rolled back already", { phase: "rolledBack" }, "hold", /over \(rolledBack\)/],
  ])("%s: %s", (_what, change, action, reason) => {
    const v = decideRollout({ ...base, ...change });
    expect(v.action).toBe(action);
    expect(v.reason).toMatch(reason);
  });

  it("advances to the next step, promotes to the last", () => {
    expect(decideRollout(base)).toMatchObject({ action: "advance", step: 1 });
    expect(decideRollout({ ...base, step: 1 })).toMatchObject({ action: "promote", step: 2 });
  });
});

describe("smooth weighted round robin", () => {
  it("is exact over every 100 picks of 80/20, and spreads the light one out", () => {
    const choice = new SmoothWeightedChoice();
    const picks = Array.from({ length: 100 }, () =>
      choice.pick([
        { name: "a", weight: 80 },
        { name: "b", weight: 20 },
      ]),
    );
    expect(picks.filter((p) => p === "b")).toHaveLength(20);
    expect(picks.slice(0, 10).join("")).toBe("aabaaaabaa");
  });

  it("skips candidates without weight and answers undefined when none has any", () => {
    const choice = new SmoothWeightedChoice();
    expect(choice.pick([{ name: "a", weight: 0 }])).toBeUndefined();
    expect(
      choice.pick([
        { name: "a", weight: 0 },
        { name: "b", weight: 3 },
      ]),
    ).toBe("b");
  });

  it.each([
    [20, 1000, 200],
    [1, 1000, 10],
    [50, 7, 3],
  ])("a %i %% share takes exactly that share of %i events", (percent, n, expected) => {
    const share = new ShareCounter();
    expect(Array.from({ length: n }, () => share.take(percent)).filter(Boolean)).toHaveLength(expected);
  });
});

describe("version statistics (cumulative, summable)", () => {
  it("counts requests and 5xx, not abandoned ones, and reads p99 from the buckets", () => {
    const s = new VersionStats();
    for (let i = 0; i < 99; i++) s.observe("e", "v", 200, 10);
    s.observe("e", "v", 503, 900);
    s.observe("e", "v", 499, 5000);
    const c = s.versionCounters("e", "v");
    expect([c.requests, c.errors]).toEqual([100, 1]);
    expect(p99Ms(c)).toBeGreaterThanOrEqual(10);
    expect(p99Ms(c)).toBeLessThan(13);
    s.observe("e", "v", 200, 900);
    expect(p99Ms(s.versionCounters("e", "v"))).toBeGreaterThanOrEqual(900);
  });

  it("sums across sources and windows by subtraction (never negative after a restart)", () => {
    const a = new VersionStats();
    const b = new VersionStats();
    a.observe("e", "v", 200, 1);
    b.observe("e", "v", 500, 1);
    const sum = addCounters(a.versionCounters("e", "v"), b.versionCounters("e", "v"));
    expect([sum.requests, sum.errors]).toEqual([2, 1]);
    const w = windowOf(emptyCounters(), sum);
    expect([w.requests, w.errors, Math.min(...w.buckets)]).toEqual([0, 0, 0]);
    expect(p99Ms(emptyCounters())).toBeUndefined();
  });

  it("has buckets from 1 ms to an hour, each at most 25 % above the last", () => {
    expect(LATENCY_BOUNDS_MS[0]).toBe(1);
    expect(LATENCY_BOUNDS_MS.at(-1)).toBe(3_600_000);
    for (let i = 1; i < LATENCY_BOUNDS_MS.length; i++)
      expect(LATENCY_BOUNDS_MS[i]! / LATENCY_BOUNDS_MS[i - 1]!).toBeLessThanOrEqual(1.2501);
  });

  it("forgets the versions an endpoint no longer has", () => {
    const s = new VersionStats();
    s.observe("e", "old", 200, 1);
    s.observe("e", "kept", 200, 1);
    s.forget("e", new Set(["kept"]));
    expect(s.versionCounters("e", "old").requests).toBe(0);
    expect(s.versionCounters("e", "kept").requests).toBe(1);
  });
});
