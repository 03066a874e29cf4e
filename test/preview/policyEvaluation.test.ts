import type { StackValidationPolicy, ResourceValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { evaluatePolicies } from "../../preview/policyEvaluation.js";
import { SECRET_SIG, SECRET_VALUE_SIG, unwrapSecrets } from "../../preview/secretMarker.js";
import { POLICY_FACTORIES } from "../../policy/policies/all.js";
import { change, find, productionGraph } from "../policy/fixtures.js";

const secret = (value: unknown) => ({ [SECRET_SIG]: SECRET_VALUE_SIG, value });

describe("unwrapSecrets", () => {
  it("replaces nested serialized secrets with their values", () => {
    expect(unwrapSecrets({ a: secret("x"), b: [secret({ c: secret(1) })], d: "plain" })).toEqual({
      a: "x",
      b: [{ c: 1 }],
      d: "plain",
    });
  });
});

describe("evaluatePolicies", () => {
  it("finds nothing wrong with the valid production graph, running every policy", () => {
    expect(evaluatePolicies(productionGraph())).toEqual([]);
  });

  it("reports resource violations with the level, urn, name and type of the resource", () => {
    const graph = change(productionGraph(), "platform-st", (p) => (p.allowBlobPublicAccess = true));
    const st = find(graph, "platform-st");
    expect(evaluatePolicies(graph)).toEqual([
      {
        policy: "storage-no-public-blob-access",
        enforcementLevel: "mandatory",
        message: expect.stringContaining("allowBlobPublicAccess=true"),
        urn: st.urn,
        resourceName: "platform-st",
        resourceType: "azure-native:storage:StorageAccount",
      },
    ]);
  });

  it("attributes stack violations to the resource the policy names", () => {
    const graph = change(productionGraph(), "platform-fe", (p) => (p.spec.replicas = 1));
    const [v] = evaluatePolicies(graph);
    expect(v).toMatchObject({
      policy: "router-high-availability",
      enforcementLevel: "mandatory",
      resourceName: "platform-fe",
      resourceType: "kubernetes:apps/v1:Deployment",
    });
  });

  it("unwraps secret inputs before policies see them", () => {
    const graph = change(productionGraph(), "platform-fe", (p) => {
      const env = p.spec.template.spec.containers[0].env;
      env[2] = { name: "AKSML_MAX_REQUEST_BYTES", value: secret("209715200") };
    });
    expect(evaluatePolicies(graph).map((v) => v.message)).toEqual([
      expect.stringContaining('AKSML_MAX_REQUEST_BYTES="209715200"'),
    ]);
  });

  it("applies per-policy enforcement overrides, including disabled", () => {
    const graph = change(productionGraph(), "platform-st", (p) =>
      Object.assign(p, { allowBlobPublicAccess: true, minimumTlsVersion: "TLS1_0" }),
    );
    const verdicts = evaluatePolicies(graph, {
      enforcement: { "storage-no-public-blob-access": "advisory", "storage-min-tls-1-2": "disabled" },
    });
    expect(verdicts.map((v) => [v.policy, v.enforcementLevel])).toEqual([
      ["storage-no-public-blob-access", "advisory"],
    ]);
  });

  it("rejects an override naming no policy", () => {
    expect(() =>
      evaluatePolicies(productionGraph(), { enforcement: { "storage-no-public-blobs": "disabled" } }),
    ).toThrow(/unknown policy name\(s\) storage-no-public-blobs; the pack has: prod-cluster-capacity, /);
  });

  it("only runs resource policies on custom resources and skips providers", () => {
    const graph = productionGraph();
    const st = find(graph, "platform-st");
    st.custom = false;
    st.inputs.allowBlobPublicAccess = true;
    expect(evaluatePolicies(graph)).toEqual([]);
  });

  it("hands policies their config defaults, isType/asType by type token, and the provider", () => {
    const seen: unknown[] = [];
    const probe: ResourceValidationPolicy = {
      name: "probe",
      description: "records its args",
      enforcementLevel: "advisory",
      configSchema: { properties: { limit: { type: "number", default: 3 }, mode: { type: "string", default: "a" } } },
      validateResource: (args, report) => {
        if (args.type !== "kubernetes:apps/v1:Deployment") return args.notApplicable("only Deployments");
        seen.push({
          config: args.getConfig(),
          isDeployment: args.isType({ __pulumiType: args.type } as any),
          asOther: args.asType({ __pulumiType: "x" } as any),
          provider: args.provider?.name,
        });
        report("probe ran");
      },
    };
    const graph = productionGraph();
    const provider = {
      ...find(graph, "platform-aks"),
      type: "pulumi:providers:kubernetes",
      name: "k8s",
      urn: "urn:pulumi:test::aksml::pulumi:providers:kubernetes::k8s",
    };
    graph.push(provider);
    find(graph, "churn-deployment").provider = `${provider.urn}::k8s_id`;
    const verdicts = evaluatePolicies(graph, { config: { probe: { mode: "b" } } }, [probe]);
    expect(verdicts).toHaveLength(2); // the two Deployments; notApplicable elsewhere is silent
    expect(seen).toContainEqual({
      config: { limit: 3, mode: "b" },
      isDeployment: true,
      asOther: undefined,
      provider: "k8s",
    });
  });

  it("hands policies frozen props, so one policy cannot change what the next one sees", () => {
    const seen: unknown[] = [];
    const mutating: ResourceValidationPolicy = {
      name: "mutating",
      description: "tries to change a resource",
      validateResource: (args) => {
        if (args.name === "platform-st") args.props.allowBlobPublicAccess = true;
      },
    };
    const reading: ResourceValidationPolicy = {
      name: "reading",
      description: "reads it",
      validateResource: (args) => {
        if (args.name === "platform-st") seen.push(args.props.allowBlobPublicAccess);
      },
    };
    const verdicts = evaluatePolicies(productionGraph(), {}, [mutating, reading]);
    expect(verdicts.map((v) => [v.policy, v.resourceName])).toEqual([["mutating", "platform-st"]]);
    expect(verdicts[0].message).toMatch(/failed to run: Cannot assign to read only property/);
    expect(seen).toEqual([false]);
  });

  it("reports a policy that throws or is asynchronous as a mandatory failure", () => {
    const throwing: StackValidationPolicy = {
      name: "broken",
      description: "throws",
      enforcementLevel: "advisory",
      validateStack: () => {
        throw new Error("boom");
      },
    };
    const asynchronous: StackValidationPolicy = {
      name: "async",
      description: "async",
      enforcementLevel: "advisory",
      validateStack: async () => undefined,
    };
    expect(
      evaluatePolicies(productionGraph(), {}, [throwing, asynchronous]).map((v) => [
        v.policy,
        v.enforcementLevel,
        v.message,
      ]),
    ).toEqual([
      ["broken", "mandatory", "policy 'broken' failed to run: boom"],
      [
        "async",
        "mandatory",
        "policy 'async' failed to run: returned a Promise; evaluatePolicies runs policies synchronously",
      ],
    ]);
  });

  it("has a unique kebab-case name for every policy", () => {
    const names = Object.entries(POLICY_FACTORIES).map(([key, factory]) => {
      expect(factory().name).toBe(key);
      return key;
    });
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});
