/**
 * Finds the program to plan and its stack configuration the way the Pulumi CLI would:
 * the project's `Pulumi.yaml` (name, `main`, `config:` defaults), then
 * `Pulumi.<stack>.yaml` next to it, then `--config key=value` from the command line.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";

export interface StackSettings {
  /** Absolute path of the module to import. */
  entry: string;
  /** Project name (from Pulumi.yaml, else "aksml"). */
  project: string;
  stack: string;
  /** Absolute path of the Pulumi.yaml used, if any. */
  projectFile?: string;
  /** Fully qualified config, e.g. `{ "azure-native:location": "westeurope" }`. */
  config: Record<string, string>;
  /** Config keys whose values are secret (`secure:` values in a stack file, `secret: true` in Pulumi.yaml). */
  secretConfigKeys: string[];
}

/** A problem with the command line or project files (usage error, exit 2). */
export class PlanSetupError extends Error {}

const DEFAULT_PROJECT = "aksml";
/** Secure stack values are encrypted with the stack's secrets provider, which plan never has. */
const UNDECRYPTED_SECRET = "[secret]";

/** Resolves a program path (file, directory, or a directory holding a Pulumi.yaml) to its entry module. */
export function resolveEntry(path: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new PlanSetupError(`program not found: ${path}`);
  if (statSync(abs).isFile()) return abs;
  const projectFile = join(abs, "Pulumi.yaml");
  if (existsSync(projectFile)) {
    const main = readProjectFile(projectFile).main;
    if (typeof main === "string" && resolve(abs, main) !== abs) return resolveEntry(resolve(abs, main));
  }
  for (const index of ["index.ts", "index.mts", "index.js", "index.mjs"]) {
    if (existsSync(join(abs, index))) return join(abs, index);
  }
  throw new PlanSetupError(`no index.ts (or index.js) in ${path}`);
}

/** A Pulumi project or stack file: a YAML mapping whose values are read field by field. */
type ProjectDocument = Record<string, unknown>;

function readProjectFile(file: string): ProjectDocument {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8"));
  } catch (err) {
    throw new PlanSetupError(`cannot parse ${file}: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== "object") throw new PlanSetupError(`${file} is not a YAML mapping`);
  return doc as ProjectDocument;
}

/**
 * The nearest Pulumi.yaml, walking up from the program, whose program is this one
 * (its `main`, or its own directory when it has none). A Pulumi.yaml for a different
 * program (e.g. the root quickstart stack while planning another example) is skipped.
 */
export function findProjectFile(entry: string): string | undefined {
  let dir = dirname(entry);
  for (;;) {
    const file = join(dir, "Pulumi.yaml");
    if (existsSync(file)) {
      const main = readProjectFile(file).main;
      const program = typeof main === "string" ? resolve(dir, main) : dir;
      try {
        if (resolveEntry(program) === entry) return file;
      } catch {
        // A Pulumi.yaml whose main does not resolve belongs to some other program.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Qualifies a bare config key with the project name, as `pulumi config set` does. */
function qualify(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** Pulumi stores structured config values as JSON strings. */
function configString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The entries of the file's `config:`, as Object.entries reads whatever YAML gave (a mapping, normally). */
function configEntries(doc: ProjectDocument): [string, unknown][] {
  return Object.entries((doc.config ?? {}) as object);
}

function projectDefaults(
  doc: ProjectDocument,
  project: string,
  into: Record<string, string>,
  secret: Set<string>,
): void {
  for (const [key, entry] of configEntries(doc)) {
    const name = qualify(key, project);
    if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
      const spec = entry as Record<string, unknown>;
      const value = "value" in spec ? spec.value : spec.default;
      if (value !== undefined) into[name] = configString(value);
      if (spec.secret === true) secret.add(name);
    } else if (entry !== undefined && entry !== null) {
      into[name] = configString(entry);
    }
  }
}

function stackValues(file: string, project: string, into: Record<string, string>, secret: Set<string>): void {
  const doc = readProjectFile(file);
  for (const [key, value] of configEntries(doc)) {
    const name = qualify(key, project);
    if (value !== null && typeof value === "object" && "secure" in (value as object)) {
      into[name] = UNDECRYPTED_SECRET;
      secret.add(name);
    } else {
      into[name] = configString(value);
    }
  }
}

export interface StackOptions {
  program: string;
  stack: string;
  /** `key=value` pairs from `--config`, applied last. */
  configPairs: string[];
}

export function loadStackSettings(options: StackOptions): StackSettings {
  const entry = resolveEntry(options.program);
  const projectFile = findProjectFile(entry);
  const doc: ProjectDocument = projectFile ? readProjectFile(projectFile) : {};
  const project = typeof doc.name === "string" && doc.name ? doc.name : DEFAULT_PROJECT;
  const config: Record<string, string> = {};
  const secret = new Set<string>();
  projectDefaults(doc, project, config, secret);
  if (projectFile) {
    const stackFile = join(dirname(projectFile), `Pulumi.${options.stack}.yaml`);
    if (existsSync(stackFile)) stackValues(stackFile, project, config, secret);
  }
  for (const pair of options.configPairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new PlanSetupError(`--config expects key=value, got ${JSON.stringify(pair)}`);
    config[qualify(pair.slice(0, eq), project)] = pair.slice(eq + 1);
  }
  return { entry, project, stack: options.stack, projectFile, config, secretConfigKeys: [...secret] };
}
