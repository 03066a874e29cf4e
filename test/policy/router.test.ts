import { describe, expect, it } from "vitest";
import { toPolicyResources } from "../../preview/policyEvaluation.js";
// The engine's own proxy and unknown marker (what `pulumi preview` hands a policy); @internal, so untyped.
import * as policyProxy from "@pulumi/policy/proxy.js";
const { unknownCheckingProxy, unknownStringValue: UNKNOWN } = policyProxy as unknown as {
  unknownCheckingProxy<T>(o: T): T;
  unknownStringValue: string;
};
import {
  routerHighAvailability,
  routerMaxRequestBytes,
  routerTlsOnPublicLoadBalancer,
} from "../../policy/policies/router.js";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  createResourceValidationArgs,
} from "./helpers.js";
import { change, productionGraph, propsOf } from "./fixtures.js";

const ROUTER = "platform-fe";
const envOf = (p: any) => p.spec.template.spec.containers[0].env as { name: string; value?: string }[];
const withoutTls = (p: any) =>
  (p.spec.template.spec.containers[0].env = envOf(p).filter((e) => !e.name.startsWith("AKSML_TLS_")));

describe("router-high-availability", () => {
  const policy = routerHighAvailability();
  it("passes 3 replicas with a PDB on FastProd, and 1 replica without a PDB on DevTest", async () => {
    await assertNoStackViolations(policy, productionGraph());
    const dev = productionGraph("DevTest").filter((r) => r.name !== "platform-fe-pdb");
    await assertNoStackViolations(
      policy,
      change(dev, ROUTER, (p) => (p.spec.replicas = 1)),
    );
  });
  it("fails 1 replica on FastProd", async () => {
    await assertHasStackViolation(
      policy,
      change(productionGraph(), ROUTER, (p) => (p.spec.replicas = 1)),
      {
        message:
          "Router Deployment 'azureml-fe' runs 1 replica(s) on a FastProd cluster; at least 2 are required outside DevTest",
        resourceName: ROUTER,
      },
    );
  });
  it("counts an unset replica count as Kubernetes' default of 1", async () => {
    await assertHasStackViolation(
      policy,
      change(productionGraph(), ROUTER, (p) => delete p.spec.replicas),
      { message: "runs 1 replica(s)" },
    );
  });
  it("fails without a PDB, or with a PDB selecting other pods", async () => {
    const message =
      "Router Deployment 'azureml-fe' has no PodDisruptionBudget selecting its pods on a FastProd cluster";
    await assertHasStackViolation(
      policy,
      productionGraph().filter((r) => r.name !== "platform-fe-pdb"),
      { message },
    );
    const other = change(
      productionGraph(),
      "platform-fe-pdb",
      (p) => (p.spec.selector.matchLabels = { app: "something-else" }),
    );
    await assertHasStackViolation(policy, other, { message });
  });
  it("fails a PDB that lets every router replica be evicted, passes one that keeps one", async () => {
    const message = "has no PodDisruptionBudget selecting its pods";
    const withPdb = (spec: Record<string, unknown>) =>
      change(productionGraph(), "platform-fe-pdb", (p) => {
        delete p.spec.minAvailable;
        Object.assign(p.spec, spec);
      });
    for (const spec of [{ minAvailable: 0 }, { minAvailable: "0%" }, { maxUnavailable: "100%" }, { maxUnavailable: 3 }])
      await assertHasStackViolation(policy, withPdb(spec), { message });
    for (const spec of [{ minAvailable: 2 }, { minAvailable: "50%" }, { maxUnavailable: 1 }, { maxUnavailable: "34%" }])
      await assertNoStackViolations(policy, withPdb(spec));
  });
});

describe("router-tls-on-public-lb", () => {
  const policy = routerTlsOnPublicLoadBalancer();
  it("passes a public LB with TLS on, and an internal LB without TLS", async () => {
    await assertNoStackViolations(policy, productionGraph());
    const internal = change(productionGraph(), ROUTER, withoutTls);
    change(
      internal,
      "platform-fe-lb",
      (p) => (p.metadata.annotations = { "service.beta.kubernetes.io/azure-load-balancer-internal": "true" }),
    );
    await assertNoStackViolations(policy, internal);
  });
  it("passes a public LB without TLS on DevTest", async () => {
    await assertNoStackViolations(policy, change(productionGraph("DevTest"), ROUTER, withoutTls));
  });
  it("fails a public LB without TLS on FastProd", async () => {
    const graph = change(productionGraph(), ROUTER, withoutTls);
    change(graph, "platform-fe-lb", (p) => (p.spec.ports = [{ name: "http", port: 80, targetPort: 8080 }]));
    await assertHasStackViolation(policy, graph, {
      message:
        "Router load balancer 'azureml-fe' is public (ports 80) on a FastProd cluster and the router has TLS off",
      resourceName: "platform-fe-lb",
    });
  });

  it("runs during a first preview, when the router image is still unknown", () => {
    const graph = change(productionGraph(), ROUTER, withoutTls);
    change(graph, ROUTER, (p) => (p.spec.template.spec.containers[0].image = UNKNOWN));
    const resources = toPolicyResources(graph);
    for (const r of resources) r.props = unknownCheckingProxy(structuredClone(r.props)); // unfrozen, as the engine hands them
    const messages: string[] = [];
    policy.validateStack(
      {
        resources,
        stackTags: new Map(),
        getConfig: (() => ({})) as never,
        notApplicable: () => {
          throw new Error("n/a");
        },
      },
      (m) => messages.push(m),
    );
    expect(messages).toEqual([
      expect.stringContaining("is public (ports 443) on a FastProd cluster and the router has TLS off"),
    ]);
  });
});

describe("router-max-request-bytes", () => {
  const policy = routerMaxRequestBytes();
  const routerWith = (value: string | undefined) => {
    const props = propsOf(ROUTER);
    props.spec.template.spec.containers[0].env = envOf(props).filter((e) => e.name !== "AKSML_MAX_REQUEST_BYTES");
    if (value !== undefined) envOf(props).push({ name: "AKSML_MAX_REQUEST_BYTES", value });
    return createResourceValidationArgs("kubernetes:apps/v1:Deployment", props);
  };
  it("passes 100 MB, a lower limit, and the default", async () => {
    for (const v of ["104857600", "1048576", undefined]) await assertNoResourceViolations(policy, routerWith(v));
  });
  it("fails a limit raised above 100 MB", async () => {
    await assertHasResourceViolation(policy, routerWith("209715200"), {
      message: `Router container 'router' sets AKSML_MAX_REQUEST_BYTES="209715200"; the request limit must be a positive integer no larger than 104857600 (100 MB)`,
    });
  });
});
