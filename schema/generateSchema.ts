/**
 * The Pulumi package schema of aksml, as `pulumi package add` infers it: Pulumi's
 * ComponentProvider analyzes the components exported from the package entry (index.ts)
 * with the TypeScript compiler (one constructor, an `args` interface, supported types
 * only), then the secrets the analyzer cannot see are marked (./secretProperties.ts).
 * Type-checks the whole program: about 8 s.
 */
import { fileURLToPath } from "node:url";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental/index.js";
import * as entry from "../index.js";
import { SECRET_INPUTS, SECRET_OUTPUTS, SECRET_TYPE_FIELDS } from "./secretProperties.js";

export const PACKAGE_ROOT = fileURLToPath(new URL("../", import.meta.url));
export const PACKAGE_NAME = "aksml";

/** The part of a package schema this project reads (the full format is Pulumi's). */
export interface SchemaProperty {
  type?: string;
  $ref?: string;
  items?: SchemaProperty;
  additionalProperties?: SchemaProperty;
  description?: string;
  optional?: boolean;
  plain?: boolean;
  secret?: boolean;
}
export interface SchemaResource {
  isComponent?: boolean;
  description?: string;
  inputProperties: Record<string, SchemaProperty>;
  requiredInputs?: string[];
  properties: Record<string, SchemaProperty>;
  required?: string[];
}
export interface SchemaType {
  type: string;
  description?: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
  enum?: { name?: string; value: string | number }[];
}
export interface PackageSchema {
  name: string;
  version: string;
  resources: Record<string, SchemaResource>;
  types: Record<string, SchemaType>;
  [key: string]: unknown;
}

/** The ComponentResource classes the package entry exports, as the provider host finds them. */
export function exportedComponents(): ReturnType<typeof getPulumiComponents> {
  return getPulumiComponents(entry);
}

const token = (name: string) => `${PACKAGE_NAME}:index:${name}`;

function markSecret(props: Record<string, SchemaProperty> | undefined, names: readonly string[], where: string): void {
  for (const n of names) {
    if (!props?.[n]) throw new Error(`schema: ${where}.${n} is listed as secret but is not in the schema`);
    props[n].secret = true;
  }
}

/** Marks every property of ./secretProperties.ts `secret` (throws if one is missing). */
export function markSecrets(schema: PackageSchema): PackageSchema {
  for (const [component, names] of Object.entries(SECRET_OUTPUTS))
    markSecret(schema.resources[token(component)]?.properties, names, `${component} outputs`);
  for (const [component, names] of Object.entries(SECRET_INPUTS))
    markSecret(schema.resources[token(component)]?.inputProperties, names, `${component} inputs`);
  for (const [type, names] of Object.entries(SECRET_TYPE_FIELDS))
    markSecret(schema.types[token(type)]?.properties, names, type);
  return schema;
}

export async function generateSchema(): Promise<PackageSchema> {
  const provider = new ComponentProvider({
    components: exportedComponents(),
    name: PACKAGE_NAME,
    dirname: PACKAGE_ROOT,
  });
  return markSecrets(JSON.parse(await provider.getSchema()) as PackageSchema);
}

/** schema.json's text: two-space JSON and a final newline. */
export const schemaText = (schema: PackageSchema) => `${JSON.stringify(schema, null, 2)}\n`;
