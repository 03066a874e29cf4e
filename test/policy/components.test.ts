// The policy pack over graphs the real components register under the mock runtime:
// a quickstart-like (DevTest) and a production-like (FastProd, firewall, TLS, token
// auth) platform must have no mandatory violations, and a production graph broken on
// purpose must have exactly the expected ones.
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { settle, startMockRuntime, type CapturedResource, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import { AzuremlFe } from "../../components/azuremlFe/index.js";
import { ModelWebservice } from "../../components/modelWebservice/index.js";
import type { PolicyVerdict } from "../../policy/policies/verdict.js";
import { evaluatePolicies, toPolicyResources } from "../../preview/policyEvaluation.js";
import { unwrapSecrets } from "../../preview/secretMarker.js";
import { clusterCapacity } from "../../policy/policies/cluster.js";
import { requiredHosts } from "../../policy/policies/egress.js";
import { isRouterDeployment } from "../../policy/policies/kubernetesObjects.js";

const QUICKSTART = fileURLToPath(new URL("../../examples/quickstart/model/", import.meta.url));
const TOKEN_ISSUER = "https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0";

let rt: MockRuntime;

beforeAll(async () => {
  rt = await startMockRuntime();
  {
    const cluster = new AksInferenceCluster("qs", { clusterPurpose: "DevTest" });
    const fe = new AzuremlFe("qs-fe", { cluster: cluster.connection }, { provider: cluster.provider });
    new ModelWebservice(
      "qs-linear",
      {
        cluster: cluster.connection,
        router: fe.connection,
        models: [{ name: "linear", version: 1, path: `${QUICKSTART}linear-model.json` }],
        inferenceConfig: { entryScript: "score.py", sourceDirectory: `${QUICKSTART}src` },
      },
      { provider: cluster.provider },
    );
  }
  {
    const cluster = new AksInferenceCluster("prod", {
      clusterPurpose: "FastProd",
      network: { plugin: "azure" },
      egress: { firewall: true },
      tls: { sslCname: "ml.contoso.com", sslCertPem: pulumi.secret("CERT"), sslKeyPem: pulumi.secret("KEY") },
      userNodePools: [{ name: "cpu", vmSize: "Standard_D8s_v5", minCount: 1, maxCount: 5 }],
    });
    const fe = new AzuremlFe("prod-fe", { cluster: cluster.connection }, { provider: cluster.provider });
    new ModelWebservice(
      "prod-linear",
      {
        cluster: cluster.connection,
        router: fe.connection,
        models: [{ name: "linear", version: 1, path: `${QUICKSTART}linear-model.json` }],
        inferenceConfig: { entryScript: "score.py", sourceDirectory: `${QUICKSTART}src` },
        authEnabled: false,
        tokenAuthEnabled: true,
        tokenIssuer: TOKEN_ISSUER,
        autoscale: { minReplicas: 2, maxReplicas: 20 },
      },
      { provider: cluster.provider },
    );
  }
  await settle();
}, 120_000);

/** The resources of one platform: those whose top-level component is named `prefix` or `prefix-*`. */
function graphOf(prefix: string): CapturedResource[] {
  const byUrn = new Map(rt.resources.map((r) => [r.urn, r]));
  const root = (r: CapturedResource): CapturedResource => {
    let cur = r;
    while (cur.parent && byUrn.has(cur.parent) && byUrn.get(cur.parent)!.type !== "pulumi:pulumi:Stack")
      cur = byUrn.get(cur.parent)!;
    return cur;
  };
  return clonePlain(
    rt.resources.filter((r) =>
      [prefix, `${prefix}-`].some((p) => root(r).name === prefix || root(r).name.startsWith(p)),
    ),
  );
}

/** Deep copy of plain objects and arrays (assets and other class instances are shared), so tests can mutate it. */
function clonePlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clonePlain) as T;
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clonePlain(v)])) as T;
}

const summary = (vs: PolicyVerdict[]) =>
  vs.map((v) => `${v.enforcementLevel} ${v.policy} @${v.resourceName}: ${v.message}`);
const mandatory = (vs: PolicyVerdict[]) => vs.filter((v) => v.enforcementLevel === "mandatory");

describe("policy pack over the real components", () => {
  it("quickstart-like DevTest platform: no mandatory violations", () => {
    const graph = graphOf("qs");
    expect(graph.some((r) => r.type === "azure-native:containerservice:ManagedCluster")).toBe(true);
    expect(summary(mandatory(evaluatePolicies(graph)))).toEqual([]);
  });

  it("production-like FastProd platform: no mandatory violations", () => {
    const graph = graphOf("prod");
    expect(graph.some((r) => r.type === "azure-native:network:FirewallPolicyRuleCollectionGroup")).toBe(true);
    expect(summary(mandatory(evaluatePolicies(graph)))).toEqual([]);
  });

  it("the production graph is what the policies expect to see (so the clean result means something)", () => {
    const resources = toPolicyResources(graphOf("prod"));
    const cluster = resources.find((r) => r.type === "azure-native:containerservice:ManagedCluster")!;
    expect(cluster.props.tags["aksml-cluster-purpose"]).toBe("FastProd");
    const capacity = clusterCapacity(cluster, resources);
    expect(capacity.pools.map((p) => p.name)).toEqual(expect.arrayContaining(["system", "cpu"]));
    expect(capacity.vcpus).toBeGreaterThanOrEqual(12);
    expect(cluster.props.networkProfile.outboundType).toBe("userDefinedRouting");
    const hosts = requiredHosts(cluster, resources).map((h) => h.host);
    expect(hosts).toEqual(expect.arrayContaining([cluster.props.fqdn, "login.microsoftonline.com"]));
    const router = resources.find((r) => isRouterDeployment(r.type, r.props))!;
    expect(router.props.spec.replicas).toBeGreaterThanOrEqual(2);
    const service = resources.find(
      (r) => r.type === "kubernetes:core/v1:Service" && r.props.metadata?.annotations?.["aksml/config"],
    )!;
    expect(JSON.parse(service.props.metadata.annotations["aksml/config"]).auth.mode).toBe("token");
  });

  it("a deliberately bad production graph has exactly the expected mandatory violations", () => {
    const graph = graphOf("prod").filter((r) => r.type !== "azure-native:containerservice:AgentPool");
    const one = (pred: (r: CapturedResource) => boolean) => graph.find(pred)!;
    const cluster = one((r) => r.type === "azure-native:containerservice:ManagedCluster");
    const router = one((r) => isRouterDeployment(r.type, unwrapSecrets(r.inputs) as Record<string, any>));
    const service = one(
      (r) =>
        r.type === "kubernetes:core/v1:Service" &&
        (r.inputs as any).metadata?.annotations?.["aksml/config"] !== undefined,
    );
    for (const props of [cluster.inputs, cluster.state] as any[])
      props.agentPoolProfiles = [
        { ...props.agentPoolProfiles[0], count: 2, vmSize: "Standard_D2s_v5", enableAutoScaling: false },
      ];
    for (const props of [router.inputs, router.state] as any[]) {
      for (const c of props.spec.template.spec.containers)
        c.env = c.env.filter((e: { name: string }) => !e.name.startsWith("AKSML_TLS_"));
    }
    for (const props of [service.inputs, service.state] as any[]) {
      const config = JSON.parse(props.metadata.annotations["aksml/config"]);
      config.auth = { mode: "key", issuer: TOKEN_ISSUER, audience: "api://linear" };
      props.metadata.annotations["aksml/config"] = JSON.stringify(config);
    }
    const verdicts = mandatory(evaluatePolicies(graph));
    expect(verdicts.map((v) => [v.policy, v.resourceName])).toEqual([
      ["prod-cluster-capacity", cluster.name],
      ["webservice-single-auth-mode", service.name],
      ["router-tls-on-public-lb", expect.any(String)],
    ]);
    expect(verdicts[0].message).toContain("found 2 node(s) with 4 vCPUs");
    expect(verdicts[2].message).toContain("is public");
  });
});
