import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { vcpusForVmSize } from "../../components/aksInferenceCluster/vmSizes.js";
import { clusterCapacity, devTestClusterCapacity, prodClusterCapacity } from "../../policy/policies/cluster.js";
import { toPolicyResources } from "../../preview/policyEvaluation.js";
import { assertHasStackViolation, assertNoStackViolations, runStackPolicy } from "./helpers.js";
import { change, find, productionGraph, resource } from "./fixtures.js";
// The engine's own proxy and unknown marker (what `pulumi preview` hands a policy).
// Both are @internal, so absent from its typings.
import * as policyProxy from "@pulumi/policy/proxy.js";
const { unknownCheckingProxy, unknownStringValue: UNKNOWN } = policyProxy as unknown as {
  unknownCheckingProxy<T>(o: T): T;
  unknownStringValue: string;
};

const CLUSTER = "platform-aks";

describe("prod-cluster-capacity", () => {
  const policy = prodClusterCapacity();

  it("passes a FastProd cluster with 3 x 4 vCPUs inline plus an autoscaling pool", async () => {
    await assertNoStackViolations(policy, productionGraph());
  });

  it("counts inline and separate pools, autoscaling pools by minCount", () => {
    const resources = toPolicyResources(productionGraph());
    const c = clusterCapacity(resources.find((r) => r.name === CLUSTER)!, resources);
    expect(c.nodes).toBe(4); // 3 system + minCount 1
    expect(c.vcpus).toBe(3 * 4 + 1 * 8);
  });

  it("fails FastProd with 2 small nodes, naming nodes and vCPUs found", async () => {
    const graph = productionGraph().filter((r) => r.name !== "platform-pool-cpu");
    change(graph, CLUSTER, (p) => (p.agentPoolProfiles = [{ name: "system", count: 2, vmSize: "Standard_D2s_v5" }]));
    await assertHasStackViolation(policy, graph, {
      message: "FastProd cluster 'platform-aks' needs at least 3 nodes and 12 vCPUs; found 2 node(s) with 4 vCPUs",
      resourceName: CLUSTER,
    });
  });

  it("fails DenseProd with 3 nodes but 6 vCPUs", async () => {
    const graph = productionGraph("DenseProd").filter((r) => r.name !== "platform-pool-cpu");
    change(graph, CLUSTER, (p) => (p.agentPoolProfiles[0].vmSize = "Standard_D2s_v5"));
    await assertHasStackViolation(policy, graph, { message: "found 3 node(s) with 6 vCPUs" });
  });

  it("counts an autoscaling pool by minCount, not maxCount", async () => {
    const graph = productionGraph();
    change(graph, CLUSTER, (p) => (p.agentPoolProfiles = [{ name: "system", count: 1, vmSize: "Standard_D4s_v5" }]));
    change(graph, "platform-pool-cpu", (p) => Object.assign(p, { minCount: 1, maxCount: 10 }));
    await assertHasStackViolation(policy, graph, { message: "found 2 node(s) with 12 vCPUs" });
  });

  it("finds an AgentPool by resourceName when it has no dependency on the cluster", async () => {
    const graph = productionGraph();
    find(graph, "platform-pool-cpu").dependencies = [];
    change(graph, CLUSTER, (p) => (p.agentPoolProfiles = [{ name: "system", count: 2, vmSize: "Standard_D4s_v5" }]));
    await assertNoStackViolations(policy, graph); // 2 x 4 + 1 x 8 = 16 vCPUs, 3 nodes
  });

  it("uses the aksml-vcpus-per-node tag for sizes not in the table, and says so when it is missing", async () => {
    const graph = productionGraph().filter((r) => r.name !== "platform-pool-cpu");
    change(
      graph,
      CLUSTER,
      (p) => (p.agentPoolProfiles = [{ name: "system", count: 3, vmSize: "Standard_X99_future" }]),
    );
    await assertHasStackViolation(policy, graph, { message: "tag each such pool with 'aksml-vcpus-per-node" });
    change(graph, CLUSTER, (p) => (p.agentPoolProfiles[0].tags = { "aksml-vcpus-per-node": "4" }));
    await assertNoStackViolations(policy, graph);
  });

  it("runs during a first preview, when the cluster's and pools' name outputs are unknown", () => {
    // What the engine hands a stack policy while creating the cluster: `name` outputs unknown
    // (and the pool's resourceName, which is cluster.name), every props object behind the
    // proxy that throws on reading an unknown. A throw skips the policy as "can't run during preview".
    const graph = productionGraph().map((r) => structuredClone(r));
    change(graph, CLUSTER, (p) => (p.name = UNKNOWN));
    change(graph, "platform-pool-cpu", (p) => Object.assign(p, { name: UNKNOWN, resourceName: UNKNOWN, minCount: 0 }));
    const resources = toPolicyResources(graph);
    for (const r of resources) r.props = unknownCheckingProxy(structuredClone(r.props)); // unfrozen, as the engine hands them
    const messages: string[] = [];
    prodClusterCapacity().validateStack(
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
    expect(messages).toEqual([]); // 3 x 4 vCPUs inline; the autoscaling pool adds 0 guaranteed nodes
    change(graph, CLUSTER, (p) => (p.agentPoolProfiles[0].count = 2));
    const smaller = toPolicyResources(graph);
    for (const r of smaller) r.props = unknownCheckingProxy(structuredClone(r.props)); // unfrozen, as the engine hands them
    prodClusterCapacity().validateStack(
      {
        resources: smaller,
        stackTags: new Map(),
        getConfig: (() => ({})) as never,
        notApplicable: () => {
          throw new Error("n/a");
        },
      },
      (m) => messages.push(m),
    );
    expect(messages).toEqual([
      expect.stringContaining(
        "found 2 node(s) with 8 vCPUs [system: 2 x Standard_D4s_v5 (4 vCPUs), cpu: 0 x Standard_D8s_v5 (8 vCPUs)]",
      ),
    ]);
  });

  it("ignores DevTest clusters and clusters without a purpose tag", async () => {
    const small = (g: ReturnType<typeof productionGraph>) =>
      change(g, CLUSTER, (p) => (p.agentPoolProfiles = [{ name: "system", count: 1, vmSize: "Standard_B2s" }]));
    await assertNoStackViolations(policy, small(productionGraph("DevTest")));
    await assertNoStackViolations(
      policy,
      change(small(productionGraph()), CLUSTER, (p) => (p.tags = {})),
    );
  });
});

describe("devtest-cluster-capacity", () => {
  const policy = devTestClusterCapacity();
  const devGraph = () =>
    productionGraph("DevTest")
      .filter((r) => r.name !== "platform-pool-cpu")
      .map((r) =>
        r.name === CLUSTER
          ? resource(
              r.type,
              r.name,
              { ...r.inputs, agentPoolProfiles: [{ name: "system", count: 1, vmSize: "Standard_B2s" }] },
              { name: "dev" },
            )
          : r,
      );

  it("passes one 2-vCPU node", async () => {
    await assertNoStackViolations(policy, devGraph());
  });

  it("advises against a 1-vCPU node", async () => {
    const graph = change(devGraph(), CLUSTER, (p) =>
      Object.assign(p.agentPoolProfiles[0], { vmSize: "Standard_B1s", tags: { "aksml-vcpus-per-node": "1" } }),
    );
    await assertHasStackViolation(policy, graph, {
      message: "DevTest cluster 'platform-aks' should have at least 2 vCPUs; found 1 node(s) with 1 vCPUs",
    });
    expect(policy.enforcementLevel).toBe("advisory");
  });
});

describe("prod-cluster-capacity over random pool layouts", () => {
  const sizes = ["Standard_B2s", "Standard_D2s_v5", "Standard_D4s_v5", "Standard_D8s_v5"];
  const pool = fc.record({
    vmSize: fc.constantFrom(...sizes),
    count: fc.integer({ min: 0, max: 5 }),
    autoscale: fc.boolean(),
    minCount: fc.integer({ min: 0, max: 5 }),
  });

  it("violates exactly when guaranteed nodes < 3 or vCPUs < 12, however the pools are split", async () => {
    await fc.assert(
      fc.asyncProperty(pool, fc.array(pool, { maxLength: 3 }), async (system, users) => {
        const profile = (p: typeof system) =>
          p.autoscale
            ? { vmSize: p.vmSize, enableAutoScaling: true, minCount: p.minCount, maxCount: 10, count: p.minCount }
            : { vmSize: p.vmSize, count: p.count };
        const base = productionGraph().filter((r) => r.name !== "platform-pool-cpu");
        change(base, CLUSTER, (props) => (props.agentPoolProfiles = [{ name: "system", ...profile(system) }]));
        const cluster = find(base, CLUSTER);
        const graph = [
          ...base,
          ...users.map((u, i) =>
            resource(
              "azure-native:containerservice:AgentPool",
              `pool-${i}`,
              { resourceName: "platform-aks1a2b3c4d", agentPoolName: `user${i}`, ...profile(u) },
              {},
              { dependencies: [cluster.urn] },
            ),
          ),
        ];
        const guaranteed = [system, ...users].map((p) => ({
          nodes: p.autoscale ? p.minCount : p.count,
          vcpus: vcpusForVmSize(p.vmSize)!,
        }));
        const nodes = guaranteed.reduce((n, p) => n + p.nodes, 0);
        const vcpus = guaranteed.reduce((n, p) => n + p.nodes * p.vcpus, 0);
        const violations = await runStackPolicy(prodClusterCapacity(), graph);
        expect(violations.length).toBe(nodes < 3 || vcpus < 12 ? 1 : 0);
        if (violations.length) expect(violations[0].message).toContain(`found ${nodes} node(s) with ${vcpus} vCPUs`);
      }),
      { numRuns: 200 },
    );
  });
});
