// The Pulumi package schema that `pulumi package add` infers (Pulumi's ComponentProvider,
// in-process; ~8 s, it type-checks the program): it must equal the committed schema.json,
// so an API change shows in review; and it must describe every input, type every
// property, and mark the secrets, which are checked against what the components really
// return under Pulumi's mocks.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { AksInferenceCluster, AzuremlFe, ContainerInsights, ModelEndpoint, ModelWebservice } from "../../index.js";
import { isSecret, settle, startMockRuntime } from "../../preview/mockRuntime.js";
import {
  exportedComponents,
  generateSchema,
  type PackageSchema,
  PACKAGE_ROOT,
  type SchemaProperty,
  schemaText,
} from "../../schema/generateSchema.js";
import { SECRET_OUTPUTS } from "../../schema/secretProperties.js";
import { AKS_INFERENCE_CLUSTER_ARG_SHAPE } from "../../components/aksInferenceCluster/argShape.js";
import { AZUREML_FE_ARG_SHAPE } from "../../components/azuremlFe/argShape.js";
import { CONTAINER_INSIGHTS_ARG_SHAPE } from "../../components/containerInsights/argShape.js";
import { MODEL_WEBSERVICE_ARG_SHAPE } from "../../components/modelWebservice/argShape.js";
import { MODEL_ENDPOINT_ARG_SHAPE } from "../../components/modelEndpoint/argShape.js";
import type { ArgKind, ArgShapeTable } from "../../components/shared/argShape.js";

const COMPONENTS = ["AksInferenceCluster", "AzuremlFe", "ContainerInsights", "ModelEndpoint", "ModelWebservice"];
const token = (name: string) => `aksml:index:${name}`;

let schema: PackageSchema;
beforeAll(async () => {
  schema = await generateSchema();
}, 120_000);

/** Every property of every resource (inputs and outputs) and type, with where it is. */
function allProperties(s: PackageSchema, which: "inputs" | "all"): [string, SchemaProperty][] {
  const out: [string, SchemaProperty][] = [];
  for (const [t, r] of Object.entries(s.resources)) {
    for (const [k, p] of Object.entries(r.inputProperties)) out.push([`${t} input ${k}`, p]);
    if (which === "all") for (const [k, p] of Object.entries(r.properties)) out.push([`${t} output ${k}`, p]);
  }
  for (const [t, d] of Object.entries(s.types))
    for (const [k, p] of Object.entries(d.properties ?? {})) out.push([`${t}.${k}`, p]);
  return out;
}

describe("schema.json", () => {
  it("is what the analyzer generates now (run `npm run schema` after changing args or outputs)", () => {
    const committed = readFileSync(`${PACKAGE_ROOT}schema.json`, "utf8");
    expect(committed, "schema.json is stale: run `npm run schema` and commit it").toBe(schemaText(schema));
  });

  it("names the package aksml at the package's version and has the five components with their type tokens", () => {
    const pkg = JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, "utf8"));
    expect(schema.name).toBe("aksml");
    expect(schema.version).toBe(pkg.version);
    expect(Object.keys(schema.resources).sort()).toEqual(COMPONENTS.map(token));
    expect(
      exportedComponents()
        .map((c) => c.name)
        .sort(),
    ).toEqual(COMPONENTS);
    for (const r of Object.values(schema.resources)) expect(r.isComponent).toBe(true);
  });

  it("describes every input (from TSDoc) and types every property", () => {
    const undocumented = allProperties(schema, "inputs")
      .filter(([, p]) => !p.description?.trim())
      .map(([where]) => where);
    expect(undocumented).toEqual([]);
    const refs = new Set(Object.keys(schema.types).map((t) => `#/types/${t}`));
    const untyped = allProperties(schema, "all").filter(([, p]) => {
      const shape =
        p.type === "array" ? p.items! : p.type === "object" && p.additionalProperties ? p.additionalProperties : p;
      if (shape.$ref) return !(refs.has(shape.$ref) || shape.$ref.startsWith("/kubernetes/"));
      return !["string", "number", "integer", "boolean", "object", "array"].includes(shape.type ?? "");
    });
    expect(untyped.map(([where]) => where)).toEqual([]);
  });

  it("has the same inputs, of the same kinds, as the run-time shape check of each component", () => {
    const shapes: Record<string, ArgShapeTable> = {
      AksInferenceCluster: AKS_INFERENCE_CLUSTER_ARG_SHAPE,
      AzuremlFe: AZUREML_FE_ARG_SHAPE,
      ContainerInsights: CONTAINER_INSIGHTS_ARG_SHAPE,
      ModelWebservice: MODEL_WEBSERVICE_ARG_SHAPE,
      ModelEndpoint: MODEL_ENDPOINT_ARG_SHAPE,
    };
    const kindOf = (p: SchemaProperty): ArgKind | string => {
      if (p.$ref) {
        const t = schema.types[p.$ref.replace("#/types/", "")];
        if (t.enum) return t.type;
        return `object(${Object.keys(t.properties ?? {})
          .sort()
          .join(",")})`;
      }
      if (p.type === "array")
        return p.items!.type === "string"
          ? "stringList"
          : p.items!.type === "number"
            ? "numberList"
            : `list of ${kindOf(p.items!)}`;
      if (p.type === "object") return "stringMap";
      return p.type!;
    };
    const expected = (k: ArgKind): string =>
      typeof k === "string"
        ? k
        : "fields" in k
          ? `object(${Object.keys(k.fields).sort().join(",")})`
          : `list of ${expected(k.items)}`;
    for (const [component, shape] of Object.entries(shapes)) {
      const inputs = schema.resources[token(component)].inputProperties;
      expect(Object.keys(inputs).sort(), component).toEqual(Object.keys(shape).sort());
      for (const [k, p] of Object.entries(inputs)) expect(kindOf(p), `${component}.${k}`).toBe(expected(shape[k]));
    }
  });

  it("types the inputs a caller gets wrong most: numbers, booleans, enums, lists", () => {
    const mw = schema.resources[token("ModelWebservice")].inputProperties;
    expect(mw.cpuCores).toMatchObject({ type: "number", optional: true });
    expect(mw.authEnabled).toMatchObject({ type: "boolean" });
    expect(mw.models).toMatchObject({ type: "array", items: { $ref: "#/types/aksml:index:ModelArgs" } });
    expect(schema.resources[token("ModelWebservice")].requiredInputs?.sort()).toEqual(["cluster", "router"]);
    const aks = schema.resources[token("AksInferenceCluster")].inputProperties;
    expect(aks.clusterPurpose.$ref).toBe("#/types/aksml:index:ClusterPurpose");
    expect(schema.types[token("ClusterPurpose")].enum?.map((e) => e.value)).toEqual([
      "DevTest",
      "FastProd",
      "DenseProd",
    ]);
  });

  it("marks secret exactly the outputs the components return as secrets, and the credential inputs", async () => {
    for (const [component, names] of Object.entries(SECRET_OUTPUTS)) {
      const props = schema.resources[token(component)].properties;
      const marked = Object.keys(props).filter((k) => props[k].secret);
      expect(marked.sort(), component).toEqual([...names].sort());
    }
    const mwIn = schema.resources[token("ModelWebservice")].inputProperties;
    expect([mwIn.primaryKey.secret, mwIn.secondaryKey.secret, mwIn.appInsightsKey.secret]).toEqual([true, true, true]);
    expect(schema.types[token("AksTlsArgs")].properties?.sslKeyPem.secret).toBe(true);

    // What the components really return (Pulumi's mock runtime stands in for the engine).
    await startMockRuntime();
    const insights = new ContainerInsights("s-insights", { location: "westeurope" });
    const aks = new AksInferenceCluster("s", {
      clusterPurpose: "DevTest",
      agentCount: 1,
      location: "westeurope",
      monitoring: insights.clusterMonitoring,
    });
    const fe = new AzuremlFe("s-fe", { cluster: aks.connection }, { provider: aks.provider });
    const svc = new ModelWebservice(
      "s-model",
      {
        cluster: aks.connection,
        router: fe.connection,
        models: [{ name: "m", version: 1, path: `${PACKAGE_ROOT}examples/quickstart/model/linear-model.json` }],
        image: "sacr.azurecr.io/m@sha256:0000000000000000000000000000000000000000000000000000000000000000",
      },
      { provider: aks.provider },
    );
    const endpoint = new ModelEndpoint(
      "s-endpoint",
      {
        cluster: aks.connection,
        router: fe.connection,
        versions: [
          {
            versionName: "blue",
            image: "sacr.azurecr.io/m@sha256:0000000000000000000000000000000000000000000000000000000000000000",
          },
        ],
      },
      { provider: aks.provider },
    );
    const instances: Record<string, pulumi.ComponentResource> = {
      AksInferenceCluster: aks,
      ContainerInsights: insights,
      AzuremlFe: fe,
      ModelWebservice: svc,
      ModelEndpoint: endpoint,
    };
    for (const [component, instance] of Object.entries(instances)) {
      const secretOutputs: string[] = [];
      for (const k of Object.keys(schema.resources[token(component)].properties)) {
        const value = (instance as unknown as Record<string, unknown>)[k];
        if (pulumi.Output.isInstance(value) && (await isSecret(value))) secretOutputs.push(k);
      }
      const listed: readonly string[] = SECRET_OUTPUTS[component as keyof typeof SECRET_OUTPUTS] ?? [];
      expect(secretOutputs.sort(), component).toEqual([...listed].sort());
    }
    await settle();
  });
});
