// examples/python and examples/yaml use aksml through the SDK `pulumi package add`
// generates from schema.json. No Pulumi CLI here, so this checks them against the
// committed schema (itself checked against the code by schema.test.ts): every resource
// type and property they use exists, with the right type. Python names are the schema's
// in snake_case, as Pulumi's Python code generator maps them.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { PackageSchema, SchemaProperty } from "../../schema/generateSchema.js";
import { REPO_ROOT } from "../cli/runCli.js";

const schema = JSON.parse(readFileSync(join(REPO_ROOT, "schema.json"), "utf8")) as PackageSchema;
const typeOf = (ref: string) => schema.types[ref.replace("#/types/", "")];
const snake = (camel: string) =>
  camel
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toLowerCase();

/** What a value must be for a schema property: "string" | "number" | "boolean" | "array" | an object/enum $ref. */
const expected = (p: SchemaProperty) => p.$ref ?? (p.type === "integer" ? "number" : p.type!);

/** A property of an object: `props` keyed by the language's names. */
type Named = Map<string, [string, SchemaProperty]>;
const named = (props: Record<string, SchemaProperty>, python: boolean): Named =>
  new Map(Object.entries(props).map(([k, p]) => [python ? snake(k) : k, [k, p]]));

describe("examples/python/__main__.py", () => {
  const python = spawnSync("python3", ["--version"]).status === 0;
  it.skipIf(!python)(
    "uses only components, arguments, types and outputs the schema has, each of the right type",
    () => {
      const run = spawnSync(
        "python3",
        [join(REPO_ROOT, "test/schema/pythonCalls.py"), join(REPO_ROOT, "examples/python/__main__.py")],
        {
          encoding: "utf8",
        },
      );
      expect(run.status, run.stderr).toBe(0);
      const { calls, exports } = JSON.parse(run.stdout) as {
        calls: { resource: string; args: Record<string, PyValue> }[];
        exports: PyValue[];
      };
      const problems: string[] = [];
      const check = (where: string, value: PyValue, prop: SchemaProperty) => {
        const want = expected(prop);
        if (value.kind === "object") {
          if (want !== `#/types/aksml:index:${value.type}`)
            return problems.push(`${where}: ${value.type} where ${want} is expected`);
          const fields = named(typeOf(want).properties ?? {}, true);
          for (const [k, v] of Object.entries(value.args)) {
            const f = fields.get(k);
            if (!f) problems.push(`${where}.${k}: ${value.type} has no ${k}`);
            else check(`${where}.${k}`, v, f[1]);
          }
        } else if (value.kind === "array") {
          if (want !== "array") return problems.push(`${where}: a list where ${want} is expected`);
          value.items.forEach((item, i) => check(`${where}[${i}]`, item, prop.items!));
        } else if (value.kind === "enum") {
          const t = typeOf(want);
          const members = (t?.enum ?? []).map((e) => snake(String(e.name)).toUpperCase());
          if (want !== `#/types/aksml:index:${value.type}` || !members.includes(value.member))
            problems.push(`${where}: ${value.type}.${value.member} is not a value of ${want}`);
        } else if (value.kind === "output") {
          const out = named(schema.resources[`aksml:index:${value.resource}`].properties, true).get(value.output);
          if (!out) problems.push(`${where}: ${value.resource} has no output ${value.output}`);
          else if (expected(out[1]) !== want)
            problems.push(`${where}: ${value.resource}.${value.output} is ${expected(out[1])}, not ${want}`);
        } else if (value.kind !== "expression" && value.kind !== want) {
          problems.push(`${where}: a ${value.kind} where ${want} is expected`);
        }
      };
      expect(calls.map((c) => c.resource).sort()).toEqual([
        "AksInferenceCluster",
        "AzuremlFe",
        "ContainerInsights",
        "ModelWebservice",
      ]);
      for (const call of calls) {
        const resource = schema.resources[`aksml:index:${call.resource}`];
        if (!resource) {
          problems.push(`${call.resource}: no such component`);
          continue;
        }
        const inputs = named(resource.inputProperties, true);
        for (const [k, v] of Object.entries(call.args)) {
          const input = inputs.get(k);
          if (!input) problems.push(`${call.resource}(${k}=...): no such argument`);
          else check(`${call.resource}.${k}`, v, input[1]);
        }
        for (const required of resource.requiredInputs ?? [])
          if (!(snake(required) in call.args)) problems.push(`${call.resource}: required ${snake(required)} missing`);
      }
      for (const e of exports)
        if (e.kind === "output" && !named(schema.resources[`aksml:index:${e.resource}`].properties, true).has(e.output))
          problems.push(`export: ${e.resource} has no output ${e.output}`);
      expect(problems).toEqual([]);
    },
  );
});

type PyValue =
  | { kind: "string" | "number" | "boolean" | "expression" }
  | { kind: "array"; items: PyValue[] }
  | { kind: "object"; type: string; args: Record<string, PyValue> }
  | { kind: "enum"; type: string; member: string }
  | { kind: "output"; resource: string; output: string };

describe("examples/yaml/Pulumi.yaml", () => {
  it("uses only components, properties and outputs the schema has, each of the right type", () => {
    const program = parse(readFileSync(join(REPO_ROOT, "examples/yaml/Pulumi.yaml"), "utf8")) as {
      packages?: Record<string, string>;
      config?: Record<string, { type: string }>;
      resources: Record<string, { type: string; properties?: Record<string, unknown> }>;
      outputs?: Record<string, unknown>;
    };
    expect(program.packages?.aksml).toBeDefined();
    const problems: string[] = [];
    /** The schema property a `${resource.output}` or `${config}` reference yields, if it is one. */
    const reference = (value: string): string | undefined => {
      const m = /^\$\{([\w-]+)(?:\.(\w+))?\}$/.exec(value);
      if (!m) return undefined;
      const [, name, output] = m;
      if (!output) return program.config?.[name] ? program.config[name].type : "resource";
      const r = program.resources[name];
      if (!r) return `unknown resource ${name}`;
      if (!r.type.startsWith("aksml:")) return "external";
      const out = schema.resources[r.type]?.properties[output];
      return out ? expected(out) : `no output ${output} on ${r.type}`;
    };
    const check = (where: string, value: unknown, prop: SchemaProperty) => {
      const want = expected(prop);
      if (typeof value === "string" && value.startsWith("${")) {
        const got = reference(value);
        if (got !== want) problems.push(`${where}: ${value} is ${got}, not ${want}`);
      } else if (want.startsWith("#/types/")) {
        const t = typeOf(want);
        if (t.enum) {
          if (!t.enum.some((e) => e.value === value))
            problems.push(`${where}: ${JSON.stringify(value)} is not a value of ${want}`);
        } else if (typeof value !== "object" || value === null || Array.isArray(value))
          problems.push(`${where}: not an object`);
        else
          for (const [k, v] of Object.entries(value)) {
            const f = t.properties?.[k];
            if (!f) problems.push(`${where}.${k}: ${want} has no ${k}`);
            else check(`${where}.${k}`, v, f);
          }
      } else if (want === "array") {
        if (!Array.isArray(value)) problems.push(`${where}: not a list`);
        else value.forEach((v, i) => check(`${where}[${i}]`, v, prop.items!));
      } else if (typeof value !== want) problems.push(`${where}: ${JSON.stringify(value)} is not a ${want}`);
    };
    const used = Object.entries(program.resources).filter(([, r]) => r.type.startsWith("aksml:"));
    expect(used.map(([, r]) => r.type).sort()).toEqual(
      ["AksInferenceCluster", "AzuremlFe", "ContainerInsights", "ModelWebservice"].map((c) => `aksml:index:${c}`),
    );
    for (const [name, r] of used) {
      const resource = schema.resources[r.type];
      for (const [k, v] of Object.entries(r.properties ?? {})) {
        const input = resource.inputProperties[k];
        if (!input) problems.push(`${name}.${k}: ${r.type} has no input ${k}`);
        else check(`${name}.${k}`, v, input);
      }
      for (const required of resource.requiredInputs ?? [])
        if (!(required in (r.properties ?? {}))) problems.push(`${name}: required ${required} missing`);
    }
    for (const [k, v] of Object.entries(program.outputs ?? {})) {
      const got = typeof v === "string" ? reference(v) : undefined;
      if (!got || got.startsWith("no output") || got.startsWith("unknown")) problems.push(`outputs.${k}: ${got}`);
    }
    expect(problems).toEqual([]);
  });
});
