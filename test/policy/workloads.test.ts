import { describe, expect, it } from "vitest";
import { parseQuantity } from "../../policy/policies/kubernetesObjects.js";
import { imagesFromClusterAcr, resourceLimitsCoverRequests } from "../../policy/policies/workloads.js";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  createResourceValidationArgs,
  runResourcePolicy,
} from "./helpers.js";
import { ACR_LOGIN, change, productionGraph, propsOf } from "./fixtures.js";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

describe("parseQuantity", () => {
  it("reads binary, decimal and milli quantities", () => {
    expect(parseQuantity("1Gi")).toBe(2 ** 30);
    expect(parseQuantity("1500M")).toBe(1.5e9);
    expect(parseQuantity("250m")).toBe(0.25);
    expect(parseQuantity("2")).toBe(2);
    expect(parseQuantity("1e3")).toBe(1000);
    expect(parseQuantity(0.5)).toBe(0.5);
    expect(parseQuantity("lots")).toBeUndefined();
  });
});

describe("resource-limits-cover-requests", () => {
  const policy = resourceLimitsCoverRequests();
  const model = (resources: Record<string, unknown>) => {
    const props = propsOf("churn-deployment");
    props.spec.template.spec.containers[0].resources = resources;
    return createResourceValidationArgs(DEPLOYMENT, props);
  };
  it("passes limits above requests, across units, and requests without limits", async () => {
    await assertNoResourceViolations(
      policy,
      model({ requests: { cpu: "500m", memory: "1000Mi" }, limits: { cpu: "0.5", memory: "1Gi" } }),
    );
    await assertNoResourceViolations(policy, model({ requests: { cpu: "2" } }));
  });
  it("fails a memory limit below the request", async () => {
    await assertHasResourceViolation(policy, model({ requests: { memory: "2Gi" }, limits: { memory: "1Gi" } }), {
      message:
        "Deployment 'churn' container 'model': memory limit 1Gi is below its request 2Gi; limits must be >= requests",
    });
  });
  it("fails a CPU limit below the request on the router too", async () => {
    const props = propsOf("platform-fe");
    props.spec.template.spec.containers[0].resources = { requests: { cpu: "2" }, limits: { cpu: "1500m" } };
    await assertHasResourceViolation(policy, createResourceValidationArgs(DEPLOYMENT, props), {
      message: "container 'router': cpu limit 1500m is below its request 2",
    });
  });
  it("does not apply to Deployments outside the platform", async () => {
    const props = {
      metadata: { name: "other" },
      spec: {
        template: {
          spec: { containers: [{ name: "x", resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }] },
        },
      },
    };
    expect(await runResourcePolicy(policy, createResourceValidationArgs(DEPLOYMENT, props))).toEqual([]);
  });
});

describe("images-from-cluster-acr", () => {
  const policy = imagesFromClusterAcr();
  it("passes model, init and router images from the cluster's ACR", async () => {
    await assertNoStackViolations(policy, productionGraph());
  });
  it("advises against an image from elsewhere", async () => {
    const graph = change(
      productionGraph(),
      "churn-deployment",
      (p) => (p.spec.template.spec.containers[0].image = "docker.io/someone/churn:1"),
    );
    await assertHasStackViolation(policy, graph, {
      message: `Deployment 'churn' container 'model' uses image 'docker.io/someone/churn:1', which is not from the cluster's registry (${ACR_LOGIN})`,
      resourceName: "churn-deployment",
    });
    expect(policy.enforcementLevel).toBe("advisory");
  });
  it("does not accept a look-alike host or a bare image name", async () => {
    const graph = change(
      productionGraph(),
      "platform-fe",
      (p) => (p.spec.template.spec.containers[0].image = `${ACR_LOGIN}.evil.example/router:1`),
    );
    await assertHasStackViolation(policy, graph, { message: "evil.example" });
    const bare = change(
      productionGraph(),
      "platform-fe",
      (p) => (p.spec.template.spec.containers[0].image = "router:1"),
    );
    await assertHasStackViolation(policy, bare, { message: "uses image 'router:1'" });
  });
});
