import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  MAX_ENDPOINT_VERSIONS,
  serializeEndpointConfig,
  staticWeights,
  type EndpointConfig,
} from "../../router/contract/endpointConfig.js";
import { parseEndpointConfig } from "../../router/contract/endpointConfigParser.js";
import {
  effectiveWeights,
  parseRolloutState,
  rolloutPlanHash,
  rolloutWeights,
  serializeRolloutState,
  type RolloutState,
} from "../../router/contract/rolloutState.js";

const blue = { version: "blue", service: "fraud-blue", isDefault: true, isControlVersion: true };
const green = { version: "green", service: "fraud-green", trafficPercentile: 20 };
const plan = { version: "green", steps: [10, 50, 100], intervalSeconds: 60 };

function ok(input: unknown): EndpointConfig {
  const r = parseEndpointConfig("fraud", input);
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.problems)}`);
  return r.config;
}

function problemsOf(input: unknown): string[] {
  const r = parseEndpointConfig("fraud", input);
  if (r.ok) throw new Error("expected problems, got ok");
  return r.problems.map((p) => `${p.path}: ${p.reason}`);
}

describe("aksml/endpoint-config defaults", () => {
  const c = ok({ versions: [blue, { version: "green", service: "fraud-green" }], rollout: plan });
  it.each([
    ["auth.mode", c.auth.mode, "key"],
    ["versions[1].trafficPercentile", c.versions[1]!.trafficPercentile, 0],
    ["versions[1].isDefault", c.versions[1]!.isDefault, false],
    ["versions[1].isControlVersion", c.versions[1]!.isControlVersion, false],
    ["versions[1].mirrorPercentile", c.versions[1]!.mirrorPercentile, 0],
    ["rollout.maxErrorRateIncreasePercent", c.rollout!.maxErrorRateIncreasePercent, 1],
    ["rollout.maxP99LatencyIncreasePercent", c.rollout!.maxP99LatencyIncreasePercent, 50],
    ["rollout.minRequests", c.rollout!.minRequests, 100],
  ])("%s defaults to %j", (_path, actual, expected) => expect(actual).toEqual(expected));

  it("gives the default version the traffic no other version is given", () => {
    expect(staticWeights(ok({ versions: [blue, green] }))).toEqual({ blue: 80, green: 20 });
    expect(staticWeights(ok({ versions: [{ ...blue, trafficPercentile: 30 }, green] }))).toEqual({
      blue: 80,
      green: 20,
    });
  });
});

describe("aksml/endpoint-config validation (Azure ML's AksEndpoint rules)", () => {
  const versions = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ version: `v${i}`, service: `fraud-v${i}`, isDefault: i === 0 }));
  it.each([
    ["not JSON", "{", /^\$: not valid JSON/],
    ["no versions", {}, /^versions: must be a non-empty array/],
    ["an unknown key", { versions: [blue], traffic: {} }, /^traffic: unknown key/],
    ["an unknown version key", { versions: [{ ...blue, weight: 1 }] }, /^versions\[0\]\.weight: unknown key/],
    [
      `more than ${MAX_ENDPOINT_VERSIONS} versions`,
      { versions: versions(MAX_ENDPOINT_VERSIONS + 1) },
      /^versions: at most 6 versions behind one endpoint/,
    ],
    [
      "a percentile above 100",
      { versions: [blue, { ...green, trafficPercentile: 101 }] },
      /trafficPercentile: must be <= 100/,
    ],
    [
      "a negative percentile",
      { versions: [blue, { ...green, trafficPercentile: -1 }] },
      /trafficPercentile: must be >= 0/,
    ],
    ["a fractional percentile", { versions: [blue, { ...green, trafficPercentile: 2.5 }] }, /must be an integer/],
    [
      "percentiles summing over 100",
      {
        versions: [blue, { ...green, trafficPercentile: 60 }, { version: "red", service: "r", trafficPercentile: 50 }],
      },
      /^versions: trafficPercentile values sum to 110; they must sum to at most 100/,
    ],
    [
      "no default",
      { versions: [{ ...blue, isDefault: false }, green] },
      /^versions: exactly one version must be the default/,
    ],
    [
      "two defaults",
      { versions: [blue, { ...green, isDefault: true }] },
      /^versions: exactly one version must be the default, got 2 \(blue, green\)/,
    ],
    [
      "two control versions",
      { versions: [blue, { ...green, isControlVersion: true }] },
      /^versions: at most one version may be the control version, got 2/,
    ],
    [
      "a version listed twice",
      { versions: [blue, { ...green, version: "blue" }] },
      /^versions\[1\]\.version: version "blue" is listed twice/,
    ],
    [
      "a bad version name",
      { versions: [{ ...blue, version: "Blue_1" }] },
      /^versions\[0\]\.version: "Blue_1" is not a version name/,
    ],
    [
      "a service serving two versions",
      { versions: [blue, { ...green, service: "fraud-blue" }] },
      /already serves another version/,
    ],
    [
      "a version served by the endpoint itself",
      { versions: [{ ...blue, service: "fraud" }] },
      /is the endpoint's own name/,
    ],
    [
      "a mirror above 50 %",
      { versions: [blue, { version: "shadow", service: "s", mirrorPercentile: 51 }] },
      /mirrorPercentile: must be <= 50/,
    ],
    [
      "a mirror that also takes live traffic",
      { versions: [blue, { ...green, mirrorPercentile: 10 }] },
      /^versions\[1\]\.mirrorPercentile: a version receiving mirrored traffic takes no live traffic/,
    ],
    ["the default mirroring", { versions: [{ ...blue, mirrorPercentile: 10 }] }, /takes no live traffic/],
    [
      "a rollout of an unknown version",
      { versions: [blue, green], rollout: { ...plan, version: "red" } },
      /^rollout\.version: "red" is not one of the versions \(blue, green\)/,
    ],
    [
      "a rollout of the control",
      { versions: [blue, green], rollout: { ...plan, version: "blue" } },
      /^rollout\.version: is the control version/,
    ],
    [
      "a rollout without a control",
      { versions: [{ ...blue, isControlVersion: false }, green], rollout: plan },
      /^rollout: needs a control version/,
    ],
    [
      "a rollout of a mirror",
      { versions: [blue, { version: "green", service: "g", mirrorPercentile: 10 }], rollout: plan },
      /^rollout\.version: receives mirrored traffic/,
    ],
    [
      "steps going down",
      { versions: [blue, green], rollout: { ...plan, steps: [50, 10, 100] } },
      /^rollout\.steps\[1\]: must be greater than the step before it \(50\)/,
    ],
    [
      "steps not ending at 100",
      { versions: [blue, green], rollout: { ...plan, steps: [10, 50] } },
      /^rollout\.steps: must end at 100/,
    ],
    [
      "a step of 0",
      { versions: [blue, green], rollout: { ...plan, steps: [0, 100] } },
      /^rollout\.steps\[0\]: must be >= 1/,
    ],
    [
      "no steps",
      { versions: [blue, green], rollout: { version: "green" } },
      /^rollout\.steps: must be a non-empty array/,
    ],
    [
      "too many steps",
      { versions: [blue, green], rollout: { ...plan, steps: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100] } },
      /^rollout\.steps: at most 10 steps/,
    ],
    [
      "a zero interval",
      { versions: [blue, green], rollout: { ...plan, intervalSeconds: 0 } },
      /^rollout\.intervalSeconds: must be >= 1/,
    ],
    [
      "an interval over a day",
      { versions: [blue, green], rollout: { ...plan, intervalSeconds: 86_401 } },
      /must be <= 86400/,
    ],
    [
      "zero minRequests",
      { versions: [blue, green], rollout: { ...plan, minRequests: 0 } },
      /^rollout\.minRequests: must be >= 1/,
    ],
    [
      "a rollout moving no traffic",
      {
        versions: [
          { version: "red", service: "r", isDefault: true },
          { version: "blue", service: "b", isControlVersion: true },
          { version: "green", service: "g" },
        ],
        rollout: plan,
      },
      /^rollout: the control version "blue" and "green" hold no traffic together/,
    ],
    ["a newer schema", { version: 2, versions: [blue] }, /^version: schema version 2 is newer/],
    [
      "token auth without issuer",
      { versions: [blue], auth: { mode: "token", audience: "a" } },
      /^auth\.issuer: is required/,
    ],
  ])("rejects %s", (_what, input, pattern) => {
    expect(problemsOf(input).some((p) => pattern.test(p))).toBe(true);
  });

  it("collects every problem at once", () => {
    const problems = problemsOf({
      versions: [
        { ...blue, isDefault: false },
        { ...green, trafficPercentile: 101 },
      ],
      rollout: { steps: [] },
    });
    expect(problems.length).toBeGreaterThanOrEqual(4);
  });
});

describe("round trip", () => {
  // v1 is the control: it holds some traffic, or a plan would move none (a rejected config).
  const arbVersion = (i: number) =>
    fc.record({
      trafficPercentile: fc.integer({ min: i === 1 ? 1 : 0, max: 15 }),
      isControlVersion: fc.constant(i === 1),
      mirror: fc.boolean(),
    });
  it("parse(serialize(config)) is the config", () => {
    fc.assert(
      fc.property(
        fc.tuple(arbVersion(0), arbVersion(1), arbVersion(2), arbVersion(3)),
        fc.boolean(),
        (vs, withPlan) => {
          const versions = vs.map((v, i) => ({
            version: `v${i}`,
            service: `svc-${i}`,
            trafficPercentile: i === 3 && v.mirror ? 0 : v.trafficPercentile,
            isDefault: i === 0,
            isControlVersion: v.isControlVersion,
            mirrorPercentile: i === 3 && v.mirror ? 25 : 0,
          }));
          const config = ok({ versions, ...(withPlan ? { rollout: { version: "v2", steps: [5, 100] } } : {}) });
          expect(ok(serializeEndpointConfig(config))).toEqual(config);
        },
      ),
    );
  });
});

describe("rollout state (the <endpoint>-rollout ConfigMap)", () => {
  const config = ok({ versions: [blue, { ...green, trafficPercentile: 0 }], rollout: plan });
  const state: RolloutState = {
    planHash: rolloutPlanHash(config),
    version: "green",
    control: "blue",
    phase: "progressing",
    step: 1,
    weights: { blue: 50, green: 50 },
    stepStartedAt: "2026-12-01T10:00:00.000Z",
    revision: 3,
    history: [{ at: "2026-12-01T10:00:00.000Z", action: "advance", percent: 50, reason: "healthy" }],
  };

  it("round-trips, and its weights are the live split while the plan is unchanged", () => {
    const parsed = parseRolloutState(serializeRolloutState(state), config);
    expect(parsed).toEqual(state);
    expect(effectiveWeights(config, parsed)).toEqual({ blue: 50, green: 50 });
  });

  it("is ignored once the plan changes (a new hash starts afresh), or without a plan", () => {
    const changed = ok({
      versions: [blue, { ...green, trafficPercentile: 0 }],
      rollout: { ...plan, intervalSeconds: 30 },
    });
    expect(rolloutPlanHash(changed)).not.toBe(state.planHash);
    expect(effectiveWeights(changed, state)).toEqual({ blue: 100, green: 0 });
    expect(effectiveWeights(ok({ versions: [blue, { ...green, trafficPercentile: 0 }] }), state)).toEqual({
      blue: 100,
      green: 0,
    });
  });

  it("keeps its hash when only auth or mirrors change (neither restarts a rollout)", () => {
    const authChanged = ok({
      versions: [blue, { ...green, trafficPercentile: 0 }, { version: "shadow", service: "s", mirrorPercentile: 10 }],
      rollout: plan,
      auth: { mode: "none" },
    });
    const base = ok({
      versions: [blue, { ...green, trafficPercentile: 0 }, { version: "shadow", service: "s", mirrorPercentile: 20 }],
      rollout: plan,
    });
    expect(rolloutPlanHash(authChanged)).toBe(rolloutPlanHash(base));
  });

  it.each([
    ["not JSON", "{"],
    ["weights not summing to 100", JSON.stringify({ ...state, weights: { blue: 50, green: 40 } })],
    ["weights naming another version", JSON.stringify({ ...state, weights: { blue: 50, red: 50 } })],
    ["a weight missing", JSON.stringify({ ...state, weights: { blue: 100 } })],
    ["a step past the plan", JSON.stringify({ ...state, step: 3 })],
    ["an unknown phase", JSON.stringify({ ...state, phase: "done" })],
    ["a bad date", JSON.stringify({ ...state, stepStartedAt: "yesterday" })],
    ["a huge document", JSON.stringify({ ...state, junk: "x".repeat(300_000) })],
    ["not an object", "[1]"],
  ])("ignores a state with %s (hostile input: anyone who may edit ConfigMaps can write it)", (_what, text) => {
    expect(parseRolloutState(text, config)).toBeUndefined();
  });

  it("splits the control+new pool by the step, leaving other versions their share", () => {
    const three = ok({
      versions: [blue, { ...green, trafficPercentile: 0 }, { version: "red", service: "r", trafficPercentile: 20 }],
      rollout: plan,
    });
    expect(rolloutWeights(three, three.rollout!, 10)).toEqual({ blue: 72, green: 8, red: 20 });
    expect(rolloutWeights(three, three.rollout!, 100)).toEqual({ blue: 0, green: 80, red: 20 });
    expect(rolloutWeights(three, three.rollout!, 0)).toEqual({ blue: 80, green: 0, red: 20 });
  });
});
