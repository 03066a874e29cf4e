import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  parseServiceConfig,
  serializeServiceConfig,
  SERVICE_CONFIG_DEFAULTS,
  type ServiceConfig,
} from "../../router/contract/serviceConfig.js";

function ok(input: unknown, name = "svc"): ServiceConfig {
  const r = parseServiceConfig(name, input);
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.problems)}`);
  return r.config;
}

function problemsOf(input: unknown): string[] {
  const r = parseServiceConfig("svc", input);
  if (r.ok) throw new Error("expected problems, got ok");
  return r.problems.map((p) => `${p.path}: ${p.reason}`);
}

describe("aksml/config defaults (Azure ML deploy_configuration, applied by the parser)", () => {
  const c = ok("{}");
  it.each([
    ["deployment", c.deployment, "svc"],
    ["autoscale.enabled", c.autoscale.enabled, true],
    ["autoscale.minReplicas", c.autoscale.minReplicas, 1],
    ["autoscale.maxReplicas", c.autoscale.maxReplicas, 10],
    ["autoscale.targetUtilization", c.autoscale.targetUtilization, 70],
    ["autoscale.refreshSeconds", c.autoscale.refreshSeconds, 1],
    ["autoscale.scaleDownDelaySeconds", c.autoscale.scaleDownDelaySeconds, 60],
    ["auth.mode", c.auth.mode, "key"],
    ["auth.algorithms", c.auth.algorithms, ["RS256"]],
    ["scoringTimeoutMs", c.scoringTimeoutMs, 60000],
    ["maxConcurrentRequestsPerContainer", c.maxConcurrentRequestsPerContainer, 1],
    ["maxRequestWaitTimeMs", c.maxRequestWaitTimeMs, 500],
    ["maxQueuedRequests", c.maxQueuedRequests, 100],
    ["collectModelData", c.collectModelData, false],
    ["dataCollection.sampleRate", c.dataCollection.sampleRate, 1],
    ["dataCollection.maxBodyBytes", c.dataCollection.maxBodyBytes, 1024 * 1024],
    ["dataCollection.redactJsonFields", c.dataCollection.redactJsonFields, []],
    ["appInsightsEnabled", c.appInsightsEnabled, false],
    ["models", c.models, []],
    ["numReplicas", c.numReplicas, undefined],
  ])("%s defaults to %j", (_path, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it("turns autoscale off by default when numReplicas is given (SDK: True if num_replicas is None)", () => {
    const cfg = ok({ numReplicas: 3 });
    expect(cfg.autoscale.enabled).toBe(false);
    expect(cfg.numReplicas).toBe(3);
  });
});

describe("aksml/config validation", () => {
  it.each([
    ["not JSON", "{", /^\$: not valid JSON/],
    ["an array", "[]", /^\$: must be a JSON object/],
    ["an unknown top-level key", { replicas: 2 }, /^replicas: unknown key/],
    ["an unknown autoscale key", { autoscale: { max: 2 } }, /^autoscale\.max: unknown key/],
    ["a fractional timeout", { scoringTimeoutMs: 1.5 }, /^scoringTimeoutMs: must be an integer/],
    ["a zero timeout", { scoringTimeoutMs: 0 }, /^scoringTimeoutMs: must be >= 1/],
    [
      "a string concurrency",
      { maxConcurrentRequestsPerContainer: "2" },
      /^maxConcurrentRequestsPerContainer: must be an integer/,
    ],
    [
      "min above max",
      { autoscale: { minReplicas: 5, maxReplicas: 2 } },
      /^autoscale\.minReplicas: \(5\) must be <= autoscale\.maxReplicas \(2\)/,
    ],
    ["target above 100", { autoscale: { targetUtilization: 101 } }, /^autoscale\.targetUtilization: must be <= 100/],
    [
      "autoscale with numReplicas",
      { autoscale: { enabled: true }, numReplicas: 2 },
      /^numReplicas: must not be set when autoscale\.enabled is true/,
    ],
    ["autoscale off without numReplicas", { autoscale: { enabled: false } }, /^numReplicas: is required/],
    ["an unknown auth mode", { auth: { mode: "aad" } }, /^auth\.mode: must be "key", "token" or "none"/],
    ["token without issuer", { auth: { mode: "token", audience: "a" } }, /^auth\.issuer: is required/],
    ["token without audience", { auth: { mode: "token", issuer: "https://i" } }, /^auth\.audience: is required/],
    [
      "a non-URL issuer",
      { auth: { mode: "token", issuer: "login", audience: "a" } },
      /^auth\.issuer: must be an http\(s\) URL/,
    ],
    [
      "alg none",
      { auth: { mode: "token", issuer: "https://i", audience: "a", algorithms: ["none"] } },
      /^auth\.algorithms: "none" is not allowed/,
    ],
    [
      "an HMAC algorithm",
      { auth: { mode: "token", issuer: "https://i", audience: "a", algorithms: ["HS256"] } },
      /^auth\.algorithms: "HS256" is not allowed/,
    ],
    [
      "too many additional audiences",
      { auth: { mode: "token", issuer: "https://i", audience: "a", additionalAudiences: Array(9).fill("b") } },
      /^auth\.additionalAudiences: must have at most 8 entries/,
    ],
    [
      "an empty required role",
      { auth: { mode: "token", issuer: "https://i", audience: "a", requiredRole: "" } },
      /^auth\.requiredRole: must be a non-empty string/,
    ],
    ["a newer schema", { version: 2 }, /^version: schema version 2 is newer/],
    ["a non-boolean flag", { collectModelData: "yes" }, /^collectModelData: must be true or false/],
    [
      "a sample rate over 1",
      { dataCollection: { sampleRate: 1.5 } },
      /^dataCollection\.sampleRate: must be a number from 0 to 1/,
    ],
    [
      "a negative sample rate",
      { dataCollection: { sampleRate: -0.1 } },
      /^dataCollection\.sampleRate: must be a number/,
    ],
    [
      "a body limit over 2 MiB",
      { dataCollection: { maxBodyBytes: 2 * 1024 * 1024 + 1 } },
      /^dataCollection\.maxBodyBytes: must be <= 2097152/,
    ],
    ["an unknown data collection key", { dataCollection: { rate: 1 } }, /^dataCollection\.rate: unknown key/],
    [
      "too many redaction paths",
      { dataCollection: { redactJsonFields: Array.from({ length: 33 }, (_, i) => `k${i}`) } },
      /^dataCollection\.redactJsonFields: must have at most 32 entries/,
    ],
    [
      "a redaction path that is too long",
      { dataCollection: { redactJsonFields: ["a".repeat(257)] } },
      /^dataCollection\.redactJsonFields\[0\]: is longer than 256/,
    ],
    [
      "a redaction path with an empty segment",
      { dataCollection: { redactJsonFields: ["a..b"] } },
      /^dataCollection\.redactJsonFields\[0\]: "a\.\.b" is not a path/,
    ],
    [
      "a redaction path of 17 segments",
      { dataCollection: { redactJsonFields: [Array(17).fill("a").join(".")] } },
      /^dataCollection\.redactJsonFields\[0\]: has 17 segments, at most 16/,
    ],
    [
      "a model name with a slash",
      { models: [{ name: "a/b", version: 1 }] },
      /^models\[0\]\.name: must be a model name/,
    ],
    ["a model without a version", { models: [{ name: "a" }] }, /^models\[0\]\.version: is required/],
    ["a model version of 0", { models: [{ name: "a", version: 0 }] }, /^models\[0\]\.version: must be >= 1/],
    [
      "a model listed twice",
      {
        models: [
          { name: "a", version: 1 },
          { name: "a", version: 1 },
        ],
      },
      /^models\[1\]: model a:1 is listed twice/,
    ],
    [
      "more than 1000 models",
      { models: Array.from({ length: 1001 }, (_, i) => ({ name: `m${i}`, version: 1 })) },
      /^models: must have at most 1000 entries/,
    ],
    ["a non-boolean appInsightsEnabled", { appInsightsEnabled: 1 }, /^appInsightsEnabled: must be true or false/],
  ])("rejects %s", (_label, input, expected) => {
    expect(problemsOf(input).some((p) => expected.test(p))).toBe(true);
  });

  // Node timers treat a delay above 2^31-1 ms as 1 ms: such a timeout answered every request
  // 504 (or 503) at once. Every duration and count has an explicit maximum.
  it.each([
    ["scoringTimeoutMs", { scoringTimeoutMs: 2 ** 31 }, "scoringTimeoutMs: must be <= 3600000, got 2147483648"],
    ["scoringTimeoutMs", { scoringTimeoutMs: 3_600_001 }, "scoringTimeoutMs: must be <= 3600000"],
    ["maxRequestWaitTimeMs", { maxRequestWaitTimeMs: 300_001 }, "maxRequestWaitTimeMs: must be <= 300000"],
    [
      "maxConcurrentRequestsPerContainer",
      { maxConcurrentRequestsPerContainer: 1001 },
      "maxConcurrentRequestsPerContainer: must be <= 1000",
    ],
    ["maxQueuedRequests", { maxQueuedRequests: 10_001 }, "maxQueuedRequests: must be <= 10000"],
    ["maxQueuedRequests", { maxQueuedRequests: -1 }, "maxQueuedRequests: must be >= 0"],
    ["numReplicas", { numReplicas: 1001 }, "numReplicas: must be <= 1000"],
    [
      "autoscale.minReplicas",
      { autoscale: { minReplicas: 1001, maxReplicas: 1001 } },
      "autoscale.minReplicas: must be <= 1000",
    ],
    ["autoscale.maxReplicas", { autoscale: { maxReplicas: 1001 } }, "autoscale.maxReplicas: must be <= 1000"],
    ["autoscale.refreshSeconds", { autoscale: { refreshSeconds: 301 } }, "autoscale.refreshSeconds: must be <= 300"],
    [
      "autoscale.scaleDownDelaySeconds",
      { autoscale: { scaleDownDelaySeconds: 3601 } },
      "autoscale.scaleDownDelaySeconds: must be <= 3600",
    ],
  ])("caps %s (%j)", (_key, input, expected) => {
    expect(problemsOf(input).filter((p) => p.startsWith(expected))).toHaveLength(1);
  });

  it("accepts every maximum", () => {
    const c = ok({
      scoringTimeoutMs: 3_600_000,
      maxRequestWaitTimeMs: 300_000,
      maxConcurrentRequestsPerContainer: 1000,
      maxQueuedRequests: 10_000,
      autoscale: { minReplicas: 1000, maxReplicas: 1000, refreshSeconds: 300, scaleDownDelaySeconds: 3600 },
    });
    expect(c.maxQueuedRequests).toBe(10_000);
    expect(ok({ numReplicas: 1000 }).numReplicas).toBe(1000);
    expect(ok({ maxQueuedRequests: 0 }).maxQueuedRequests).toBe(0);
  });

  it("reports a newer schema version once", () => {
    expect(problemsOf({ version: 2 })).toEqual([
      "version: schema version 2 is newer than this router understands (1); upgrade the router",
    ]);
  });

  it("collects every problem instead of stopping at the first", () => {
    expect(problemsOf({ scoringTimeoutMs: -1, maxRequestWaitTimeMs: 0, bogus: 1 })).toHaveLength(3);
  });
});

describe("serialize/parse round trip", () => {
  const configArb = fc
    .record({
      enabled: fc.boolean(),
      min: fc.integer({ min: 1, max: 20 }),
      span: fc.integer({ min: 0, max: 20 }),
      target: fc.integer({ min: 1, max: 100 }),
      refresh: fc.integer({ min: 1, max: 60 }),
      delay: fc.integer({ min: 0, max: 600 }),
      replicas: fc.integer({ min: 1, max: 50 }),
      mode: fc.constantFrom("key", "token", "none"),
      timeout: fc.integer({ min: 1, max: 600_000 }),
      concurrency: fc.integer({ min: 1, max: 64 }),
      wait: fc.integer({ min: 1, max: 60_000 }),
      queue: fc.integer({ min: 0, max: 10_000 }),
      collect: fc.boolean(),
      insights: fc.boolean(),
      sampleRate: fc.double({ min: 0, max: 1, noNaN: true }),
      maxBodyBytes: fc.integer({ min: 0, max: 2 * 1024 * 1024 }),
      redact: fc.array(fc.constantFrom("customer.ssn", "$.data.*.email", "*", "rows.*"), { maxLength: 3 }),
      models: fc.uniqueArray(
        fc.record({
          name: fc.constantFrom("churn", "fraud.v2", "m_1"),
          version: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        }),
        { maxLength: 3, selector: (m) => `${m.name}:${m.version}` },
      ),
      extraAudiences: fc.option(
        fc.array(fc.constantFrom("api://model-a-uri", "11111111-2222-3333-4444-555555555555"), {
          minLength: 1,
          maxLength: 2,
        }),
        { nil: undefined },
      ),
      role: fc.option(fc.constantFrom("Score", "Score.Invoke"), { nil: undefined }),
    })
    .map(
      (r): ServiceConfig => ({
        version: 1,
        deployment: "model-a",
        autoscale: {
          enabled: r.enabled,
          minReplicas: r.min,
          maxReplicas: r.min + r.span,
          targetUtilization: r.target,
          refreshSeconds: r.refresh,
          scaleDownDelaySeconds: r.delay,
        },
        numReplicas: r.enabled ? undefined : r.replicas,
        auth:
          r.mode === "token"
            ? {
                mode: "token",
                issuer: "https://login.example.com/tenant/v2.0",
                audience: "api://model-a",
                additionalAudiences: r.extraAudiences,
                requiredRole: r.role,
                algorithms: ["RS256", "ES256"],
              }
            : { mode: r.mode as "key" | "none", algorithms: [...SERVICE_CONFIG_DEFAULTS.auth.algorithms] },
        scoringTimeoutMs: r.timeout,
        maxConcurrentRequestsPerContainer: r.concurrency,
        maxRequestWaitTimeMs: r.wait,
        maxQueuedRequests: r.queue,
        collectModelData: r.collect,
        dataCollection: { sampleRate: r.sampleRate, maxBodyBytes: r.maxBodyBytes, redactJsonFields: r.redact },
        appInsightsEnabled: r.insights,
        models: r.models,
      }),
    );

  it("parse(serialize(c)) equals c for every valid config", () => {
    fc.assert(
      fc.property(configArb, (c) => {
        expect(ok(serializeServiceConfig(c), "other-name")).toEqual(c);
      }),
      { numRuns: 500 },
    );
  });
});
