// The contract between ModelWebservice and the router: whatever valid settings a user
// gives, the `aksml/config` annotation the component writes parses with the router's
// own parser into exactly the settings the router enforces.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { resolveModelWebserviceSettings } from "../../components/modelWebservice/defaults.js";
import { modelServiceManifest, serviceConfigFor } from "../../components/modelWebservice/kubernetes.js";
import { modelWebserviceArgsProblems } from "../../components/modelWebservice/validate.js";
import { CONFIG_ANNOTATION, parseServiceConfig } from "../../router/contract/serviceConfig.js";
import { clusterConnection, routerConnection } from "./modelWebserviceFixtures.js";

const annotationFor = (name: string, settings: Parameters<typeof resolveModelWebserviceSettings>[1]) =>
  modelServiceManifest(name, "default", serviceConfigFor(name, resolveModelWebserviceSettings(name, settings)))
    .metadata!.annotations![CONFIG_ANNOTATION];

const validSettings = fc
  .record({
    autoscale: fc.option(
      fc.record({
        minReplicas: fc.integer({ min: 1, max: 5 }),
        maxReplicas: fc.integer({ min: 5, max: 50 }),
        refreshSeconds: fc.integer({ min: 1, max: 60 }),
        targetUtilization: fc.integer({ min: 1, max: 100 }),
      }),
      { nil: undefined },
    ),
    numReplicas: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
    auth: fc.constantFrom("key", "token", "none"),
    scoringTimeoutMs: fc.option(fc.integer({ min: 1, max: 600_000 }), { nil: undefined }),
    replicaMaxConcurrentRequests: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
    maxRequestWaitTimeMs: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
    maxQueuedRequests: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
    collectModelData: fc.option(fc.boolean(), { nil: undefined }),
    audience: fc.option(fc.constantFrom("api://scoring", "https://ml.example.com"), { nil: undefined }),
  })
  .map((s) => ({
    // Azure ML: autoscale settings and numReplicas exclude each other.
    autoscale: s.numReplicas === undefined ? s.autoscale : { enabled: false },
    numReplicas: s.numReplicas,
    authEnabled: s.auth === "key",
    tokenAuthEnabled: s.auth === "token",
    tokenIssuer: s.auth === "token" ? "https://login.example.com/tenant/v2.0" : undefined,
    tokenAudience: s.auth === "token" ? s.audience : undefined,
    scoringTimeoutMs: s.scoringTimeoutMs,
    replicaMaxConcurrentRequests: s.replicaMaxConcurrentRequests,
    maxRequestWaitTimeMs: s.maxRequestWaitTimeMs,
    maxQueuedRequests: s.maxQueuedRequests,
    collectModelData: s.collectModelData,
  }));

describe("aksml/config contract", () => {
  it("every valid setting round-trips through the router's parser into what the router enforces", () => {
    fc.assert(
      fc.property(validSettings, (settings) => {
        expect(
          modelWebserviceArgsProblems("svc", {
            cluster: clusterConnection(),
            router: routerConnection({ image: "r" }),
            image: "m",
            ...settings,
          }),
        ).toEqual([]);
        const parsed = parseServiceConfig("svc", annotationFor("svc", settings));
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
        const c = parsed.config;
        const autoscaleOn = settings.numReplicas === undefined;
        expect(c.deployment).toBe("svc");
        expect(c.autoscale.enabled).toBe(autoscaleOn);
        expect(c.numReplicas).toBe(autoscaleOn ? undefined : settings.numReplicas);
        if (autoscaleOn) {
          const given = settings.autoscale as
            | { minReplicas?: number; maxReplicas?: number; targetUtilization?: number; refreshSeconds?: number }
            | undefined;
          expect(c.autoscale.minReplicas).toBe(given?.minReplicas ?? 1);
          expect(c.autoscale.maxReplicas).toBe(given?.maxReplicas ?? 10);
          expect(c.autoscale.targetUtilization).toBe(given?.targetUtilization ?? 70);
          expect(c.autoscale.refreshSeconds).toBe(given?.refreshSeconds ?? 1);
        }
        expect(c.auth.mode).toBe(settings.tokenAuthEnabled ? "token" : settings.authEnabled ? "key" : "none");
        if (settings.tokenAuthEnabled) {
          expect(c.auth.issuer).toBe(settings.tokenIssuer);
          expect(c.auth.audience).toBe(settings.tokenAudience ?? "api://aksml/svc");
        }
        expect(c.scoringTimeoutMs).toBe(settings.scoringTimeoutMs ?? 60_000);
        expect(c.maxConcurrentRequestsPerContainer).toBe(settings.replicaMaxConcurrentRequests ?? 1);
        expect(c.maxRequestWaitTimeMs).toBe(settings.maxRequestWaitTimeMs ?? 500);
        expect(c.maxQueuedRequests).toBe(settings.maxQueuedRequests ?? 100);
        expect(c.collectModelData).toBe(settings.collectModelData ?? false);
      }),
      { numRuns: 300 },
    );
  });

  it("key auth is on by default and yields to token auth (never both)", () => {
    const parse = (s: Parameters<typeof resolveModelWebserviceSettings>[1]) => {
      const p = parseServiceConfig("svc", annotationFor("svc", s));
      if (!p.ok) throw new Error(JSON.stringify(p.problems));
      return p.config.auth.mode;
    };
    expect(parse({})).toBe("key");
    expect(parse({ tokenAuthEnabled: true, tokenIssuer: "https://i.example.com" })).toBe("token");
    expect(parse({ authEnabled: false })).toBe("none");
  });
});
