// ModelEndpoint under Pulumi's mock runtime (the engine cannot run here): what it
// declares (the versions' web services, the endpoint's Service with its annotation and
// its keys Secret, never the rollout's live state), its outputs, and every validation
// rule, each reported with its property path in one InputPropertiesError.
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { outputValue, settle, startMockRuntime, type MockRuntime } from "../../preview/mockRuntime.js";
import { ModelEndpoint, type ModelEndpointArgs } from "../../components/modelEndpoint/index.js";
import { modelEndpointArgsProblems } from "../../components/modelEndpoint/validate.js";
import { parseEndpointConfig } from "../../router/contract/endpointConfigParser.js";
import { staticWeights } from "../../router/contract/endpointConfig.js";
import { clusterConnection, reveal, routerConnection, validateK8sObject } from "./modelWebserviceFixtures.js";

const IMAGE = "aksmlacr.azurecr.io/m@sha256:0000000000000000000000000000000000000000000000000000000000000000";
const base: ModelEndpointArgs = {
  cluster: clusterConnection(),
  router: routerConnection(),
  versions: [
    { versionName: "blue", image: IMAGE, isControlVersion: true, trafficPercentile: 80 },
    { versionName: "green", image: IMAGE, trafficPercentile: 20, cpuCores: 0.5 },
  ],
};

let rt: MockRuntime;
let fraud: ModelEndpoint;
let canary: ModelEndpoint;

beforeAll(async () => {
  rt = await startMockRuntime();
  fraud = new ModelEndpoint("fraud", { ...base, description: "fraud scoring" });
  canary = new ModelEndpoint("canary", {
    ...base,
    authEnabled: false,
    tokenAuthEnabled: true,
    tokenIssuer: "https://login.example.com/t/v2.0",
    tokenRequiredRole: "Score",
    versions: [
      { versionName: "v1", image: IMAGE, isControlVersion: true },
      { versionName: "v2", image: IMAGE },
      { versionName: "shadow", image: IMAGE, mirrorPercentile: 10 },
    ],
    rollout: { version: "v2", steps: [5, 25, 100], intervalSeconds: 600, minRequests: 500 },
  });
  await settle();
});

const inputs = (type: string, name: string) => reveal(rt.one(type, name).inputs) as any;
const endpointService = (name: string) => inputs("kubernetes:core/v1:Service", `${name}-service`);
const annotation = (name: string) => {
  const r = parseEndpointConfig(name, endpointService(name).metadata.annotations["aksml/endpoint-config"]);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
};

describe("ModelEndpoint", () => {
  it("declares one ModelWebservice per version, <endpoint>-<version>, as its children", () => {
    const services = rt.resources.filter((r) => r.type === "aksml:index:ModelWebservice").map((r) => r.name);
    expect(services).toEqual(
      expect.arrayContaining(["fraud-blue", "fraud-green", "canary-v1", "canary-v2", "canary-shadow"]),
    );
    expect(rt.one("aksml:index:ModelWebservice", "fraud-green").parent).toContain("ModelEndpoint::fraud");
    // Per-version settings reach the version's Deployment.
    const green = inputs("kubernetes:apps/v1:Deployment", "fraud-green-deployment");
    expect(green.spec.template.spec.containers[0].resources.requests.cpu).toBe("500m");
    expect(fraud.versionService("green")).toBeDefined();
  });

  it("declares the endpoint's Service (no selector) with its split in aksml/endpoint-config, labelled aksml/endpoint", () => {
    const svc = endpointService("fraud");
    expect(svc.metadata).toMatchObject({
      name: "fraud",
      namespace: "default",
      labels: { "aksml/endpoint": "fraud", "app.kubernetes.io/part-of": "aksml" },
      annotations: { "aksml/description": "fraud scoring" },
    });
    expect(svc.spec).toEqual({ clusterIP: "None" });
    const config = annotation("fraud");
    expect(config.versions).toEqual([
      {
        version: "blue",
        service: "fraud-blue",
        trafficPercentile: 80,
        isDefault: true,
        isControlVersion: true,
        mirrorPercentile: 0,
      },
      {
        version: "green",
        service: "fraud-green",
        trafficPercentile: 20,
        isDefault: false,
        isControlVersion: false,
        mirrorPercentile: 0,
      },
    ]);
    expect(staticWeights(config)).toEqual({ blue: 80, green: 20 });
    expect(config.auth.mode).toBe("key");
    validateK8sObject(rt.one("kubernetes:core/v1:Service", "fraud-service"));
  });

  it("writes the rollout plan and mirrors, and the token settings every version shares", async () => {
    const config = annotation("canary");
    expect(config.rollout).toEqual({
      version: "v2",
      steps: [5, 25, 100],
      intervalSeconds: 600,
      maxErrorRateIncreasePercent: 1,
      maxP99LatencyIncreasePercent: 50,
      minRequests: 500,
    });
    expect(config.versions.map((v) => [v.version, v.isDefault, v.mirrorPercentile])).toEqual([
      ["v1", true, 0],
      ["v2", false, 0],
      ["shadow", false, 10],
    ]);
    expect(config.auth).toMatchObject({ mode: "token", audience: "api://aksml/canary", requiredRole: "Score" });
    // A version's own URI accepts the endpoint's tokens.
    const v2 = JSON.parse(
      inputs("kubernetes:core/v1:Service", "canary-v2-service").metadata.annotations["aksml/config"],
    );
    expect([v2.auth.audience, v2.auth.requiredRole]).toEqual(["api://aksml/canary", "Score"]);
    expect(await outputValue(canary.tokenAudience)).toBe("api://aksml/canary");
  });

  it("declares the keys Secret <name>-keys (secret), and never the rollout's live state", async () => {
    const secret = rt.one("kubernetes:core/v1:Secret", "fraud-keys");
    expect(secret.secretInputs).toContain("stringData");
    expect(reveal(secret.inputs)).toMatchObject({
      metadata: { name: "fraud-keys", labels: { "aksml/endpoint": "fraud" } },
    });
    expect(rt.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap")).toEqual([]);
    expect(await outputValue(fraud.scoringUri)).toBe("http://r/api/v1/service/fraud/score");
    expect(await outputValue(fraud.versionScoringUris)).toEqual({
      blue: "http://r/api/v1/service/fraud-blue/score",
      green: "http://r/api/v1/service/fraud-green/score",
    });
  });
});

// [the rule, the args, the property path reported]
const cases: [string, Partial<ModelEndpointArgs>, string][] = [
  ["at least one version", { versions: [] }, "versions"],
  [
    "at most 6 versions (Azure ML)",
    { versions: Array.from({ length: 7 }, (_, i) => ({ versionName: `v${i}`, image: IMAGE })) },
    "versions",
  ],
  ["a version name", { versions: [{ versionName: "Blue", image: IMAGE }] }, "versions[0].versionName"],
  [
    "a plain version name",
    { versions: [{ versionName: pulumi.output("blue"), image: IMAGE }] },
    "versions[0].versionName",
  ],
  [
    "a version listed twice",
    {
      versions: [
        { versionName: "a", image: IMAGE },
        { versionName: "a", image: IMAGE },
      ],
    },
    "versions[1].versionName",
  ],
  [
    "a service name within 32 characters",
    { versions: [{ versionName: "a-version-name-of-thirty-chars", image: IMAGE }] },
    "versions[0].versionName",
  ],
  [
    "percentile <= 100",
    { versions: [{ versionName: "a", image: IMAGE, trafficPercentile: 101 }] },
    "versions[0].trafficPercentile",
  ],
  [
    "percentile >= 0",
    { versions: [{ versionName: "a", image: IMAGE, trafficPercentile: -5 }] },
    "versions[0].trafficPercentile",
  ],
  [
    "percentiles sum to at most 100",
    {
      versions: [
        { versionName: "a", image: IMAGE, trafficPercentile: 70 },
        { versionName: "b", image: IMAGE, trafficPercentile: 40 },
      ],
    },
    "versions",
  ],
  [
    "exactly one default (two)",
    {
      versions: [
        { versionName: "a", image: IMAGE, isDefault: true },
        { versionName: "b", image: IMAGE, isDefault: true },
      ],
    },
    "versions",
  ],
  [
    "exactly one default (none)",
    {
      versions: [
        { versionName: "a", image: IMAGE, isDefault: false },
        { versionName: "b", image: IMAGE },
      ],
    },
    "versions",
  ],
  [
    "at most one control version",
    {
      versions: [
        { versionName: "a", image: IMAGE, isControlVersion: true },
        { versionName: "b", image: IMAGE, isControlVersion: true },
      ],
    },
    "versions",
  ],
  [
    "a mirror at most 50 %",
    {
      versions: [
        { versionName: "a", image: IMAGE },
        { versionName: "b", image: IMAGE, mirrorPercentile: 60 },
      ],
    },
    "versions[1].mirrorPercentile",
  ],
  [
    "a mirror takes no live traffic",
    {
      versions: [
        { versionName: "a", image: IMAGE },
        { versionName: "b", image: IMAGE, mirrorPercentile: 10, trafficPercentile: 5 },
      ],
    },
    "versions[1].mirrorPercentile",
  ],
  ["a rollout of a version that exists", { rollout: { version: "purple" } }, "rollout.version"],
  ["a rollout not of the control", { rollout: { version: "blue" } }, "rollout.version"],
  [
    "a rollout needs a control",
    {
      versions: [
        { versionName: "a", image: IMAGE },
        { versionName: "b", image: IMAGE },
      ],
      rollout: { version: "b" },
    },
    "rollout",
  ],
  ["rollout steps increase", { rollout: { version: "green", steps: [50, 10, 100] } }, "rollout.steps[1]"],
  ["rollout steps end at 100", { rollout: { version: "green", steps: [10, 50] } }, "rollout.steps"],
  ["rollout interval >= 1", { rollout: { version: "green", intervalSeconds: 0 } }, "rollout.intervalSeconds"],
  ["rollout minRequests >= 1", { rollout: { version: "green", minRequests: 0 } }, "rollout.minRequests"],
  [
    "error threshold <= 100",
    { rollout: { version: "green", maxErrorRateIncreasePercent: 101 } },
    "rollout.maxErrorRateIncreasePercent",
  ],
  [
    "a version's service settings (ModelWebservice's rules)",
    { versions: [{ versionName: "a", image: IMAGE, cpuCores: -1 }] },
    "versions[0].cpuCores",
  ],
  ["a version's image or inference config", { versions: [{ versionName: "a" }] }, "versions[0].inferenceConfig"],
  ["a namespace the router serves", { namespace: "elsewhere" }, "namespace"],
  [
    "not key and token auth",
    { authEnabled: true, tokenAuthEnabled: true, tokenIssuer: "https://i" },
    "tokenAuthEnabled",
  ],
  ["token auth needs an issuer", { authEnabled: false, tokenAuthEnabled: true }, "tokenIssuer"],
  ["a key clients can send", { primaryKey: "has spaces in it" }, "primaryKey"],
];

describe("ModelEndpoint validation", () => {
  it.each(cases)("%s", (_rule, change, path) => {
    const problems = modelEndpointArgsProblems("fraud", { ...base, ...change });
    expect(problems.map((p) => p.propertyPath)).toContain(path);
  });

  it("the base args are valid, and the endpoint name is checked", () => {
    expect(modelEndpointArgsProblems("fraud", base)).toEqual([]);
    expect(modelEndpointArgsProblems("Fraud_1", base).map((p) => p.propertyPath)).toEqual(["name"]);
  });

  it("reports an endpoint-level problem once, not once per version", () => {
    const problems = modelEndpointArgsProblems("fraud", { ...base, namespace: "elsewhere" });
    expect(problems.filter((p) => p.propertyPath === "namespace")).toHaveLength(1);
  });

  it("throws one InputPropertiesError with every problem before anything registers", () => {
    const before = rt.resources.length;
    let err: unknown;
    try {
      new ModelEndpoint("bad", {
        ...base,
        versions: [{ versionName: "a", image: IMAGE, trafficPercentile: 101, cpuCores: 0 }],
      });
    } catch (e) {
      err = e;
    }
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath).sort()).toEqual([
      "versions",
      "versions[0].cpuCores",
      "versions[0].trafficPercentile",
    ]);
    expect(rt.resources.length).toBe(before);
  });

  it("rejects an unknown argument with the nearest name", () => {
    expect(
      () =>
        new ModelEndpoint("typo", {
          ...base,
          versions: [{ versionName: "a", image: IMAGE, trafficPercent: 10 } as never],
        }),
    ).toThrow(/versions\[0\]\.trafficPercent.*did you mean "trafficPercentile"/);
  });
});
