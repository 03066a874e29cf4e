import { describe, expect, it } from "vitest";
import {
  endpointAuthRequired,
  endpointConfigValid,
  endpointUniqueNames,
  endpointVersionsDeclared,
  modelRollingUpdateSafe,
} from "../../policy/policies/endpoint.js";
import { serializeServiceConfig } from "../../router/contract/serviceConfig.js";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  createResourceValidationArgs,
  runStackPolicy,
} from "./helpers.js";
import { modelConfig, productionGraph, propsOf, resource } from "./fixtures.js";

const SERVICE = "kubernetes:core/v1:Service";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
type Obj = Record<string, any>;

const fraudConfig = {
  auth: { mode: "key" },
  versions: [
    { version: "blue", service: "churn", isDefault: true, isControlVersion: true },
    { version: "green", service: "churn-v2", trafficPercentile: 20 },
  ],
};

function endpointService(name: string, config: object, namespace = "models") {
  return resource(SERVICE, `${name}-${namespace}-endpoint`, {
    metadata: {
      name,
      namespace,
      labels: { "aksml/endpoint": name, "app.kubernetes.io/part-of": "aksml" },
      annotations: { "aksml/endpoint-config": JSON.stringify(config) },
    },
    spec: { clusterIP: "None" },
  });
}

/** The production graph plus a second model service (churn-v2) and an endpoint over both. */
function graphWithEndpoint(config: object = fraudConfig, extra: ReturnType<typeof resource>[] = []) {
  const graph = productionGraph();
  const v2 = resource(SERVICE, "churn-v2-service", {
    metadata: {
      name: "churn-v2",
      namespace: "models",
      labels: { "aksml/webservice": "churn-v2" },
      annotations: { "aksml/config": serializeServiceConfig(modelConfig({ deployment: "churn-v2" })) },
    },
    spec: { selector: { "aksml/webservice": "churn-v2" } },
  });
  return [...graph, v2, endpointService("fraud", config), ...extra];
}

const endpointArgs = (config: object) =>
  createResourceValidationArgs(SERVICE, endpointService("fraud", config).inputs as Obj, "fraud-endpoint");

describe("endpoint-config-valid", () => {
  const policy = endpointConfigValid();
  it("passes a valid split, and is not applicable to other Services", async () => {
    await assertNoResourceViolations(policy, endpointArgs(fraudConfig));
    await assertNoResourceViolations(policy, createResourceValidationArgs(SERVICE, propsOf("churn-service")));
  });
  it.each([
    [
      "percentiles over 100",
      { ...fraudConfig, versions: [fraudConfig.versions[0], { ...fraudConfig.versions[1], trafficPercentile: 120 }] },
      "versions[1].trafficPercentile must be <= 100",
    ],
    [
      "two defaults",
      { ...fraudConfig, versions: [fraudConfig.versions[0], { ...fraudConfig.versions[1], isDefault: true }] },
      "exactly one version must be the default, got 2",
    ],
    [
      "a rollout of an unknown version",
      { ...fraudConfig, rollout: { version: "red", steps: [10, 100] } },
      'rollout.version "red" is not one of the versions',
    ],
  ])("fails %s, naming the rule", async (_what, config, message) => {
    await assertHasResourceViolation(policy, endpointArgs(config), { message });
  });
});

describe("endpoint-unique-names", () => {
  const policy = endpointUniqueNames();
  it("passes distinct names", async () => {
    await assertNoStackViolations(policy, graphWithEndpoint());
  });
  it("fails an endpoint named like a web service", async () => {
    const graph = [...graphWithEndpoint(), endpointService("churn", fraudConfig)];
    await assertHasStackViolation(policy, graph, { message: "Endpoint name 'churn' is also a web service's name" });
  });
  it("fails an endpoint declared in two namespaces", async () => {
    const graph = graphWithEndpoint(fraudConfig, [endpointService("fraud", fraudConfig, "other")]);
    const violations = await runStackPolicy(policy, graph);
    expect(violations).toHaveLength(2);
    expect(violations[0]!.message).toContain("is declared by 2 endpoint Services (namespaces 'models', 'other')");
  });
});

describe("endpoint-auth-required", () => {
  const policy = endpointAuthRequired();
  it("passes key auth", async () => {
    await assertNoStackViolations(policy, graphWithEndpoint());
  });
  it("fails auth none on a FastProd cluster, and passes it on DevTest", async () => {
    const open = { ...fraudConfig, auth: { mode: "none" } };
    await assertHasStackViolation(policy, graphWithEndpoint(open), {
      message: `Endpoint 'fraud' has auth.mode "none" on a FastProd cluster`,
    });
    const devtest = productionGraph("DevTest");
    await assertNoStackViolations(policy, [...devtest, endpointService("fraud", open)]);
  });
});

describe("endpoint-versions-declared", () => {
  const policy = endpointVersionsDeclared();
  it("passes versions whose services the stack declares", async () => {
    await assertNoStackViolations(policy, graphWithEndpoint());
  });
  it("flags a version served by no model Service of the stack", async () => {
    const config = { ...fraudConfig, versions: [...fraudConfig.versions, { version: "red", service: "churn-red" }] };
    await assertHasStackViolation(policy, graphWithEndpoint(config), {
      message: "version 'red' is served by 'churn-red', which is not a model Service of this stack",
    });
  });
});

describe("model-rolling-update-safe", () => {
  const policy = modelRollingUpdateSafe();
  const safe = () => propsOf("churn-deployment");
  it("passes what ModelWebservice declares (the production fixture's model Deployment)", async () => {
    await assertNoResourceViolations(policy, createResourceValidationArgs(DEPLOYMENT, safe()));
    await assertNoResourceViolations(policy, createResourceValidationArgs(DEPLOYMENT, propsOf("churn-deployment")));
  });
  it("flags a Deployment that can fail requests while it rolls, naming each gap", async () => {
    const props = safe();
    props.spec.strategy.rollingUpdate.maxUnavailable = 1;
    delete props.spec.template.spec.containers[0].lifecycle;
    await assertHasResourceViolation(policy, createResourceValidationArgs(DEPLOYMENT, props), {
      message: "maxUnavailable is 1, not 0; the model container has no preStop delay",
    });
    const short = safe();
    short.spec.template.spec.terminationGracePeriodSeconds = 5;
    await assertHasResourceViolation(policy, createResourceValidationArgs(DEPLOYMENT, short), {
      message: "terminationGracePeriodSeconds (5) does not exceed the preStop sleep (5)",
    });
  });
});
