/**
 * The shape of a component's arguments, checked at run time. TypeScript callers get these
 * checks from the compiler; a JavaScript, YAML or Python program does not, and a typo
 * such as `cpu_cores: 1` or a number written as `"1"` would otherwise be silently ignored
 * or fail far from its cause. Each component declares one exhaustive table of its args
 * and their kinds, typed against its args interface (`satisfies ArgShape<…Args>`): an arg
 * added to the interface without an entry, an entry for no arg, or an entry of the wrong
 * kind fails to compile.
 */
import * as pulumi from "@pulumi/pulumi";
import { type AddProblem, componentSubject, problemList, throwIfInvalid } from "./problems.js";

/** What one argument must be at run time (when its value is known). */
export type ArgKind =
  | "string"
  | "number"
  | "boolean"
  /** A list of strings. */
  | "stringList"
  /** A list of numbers. */
  | "numberList"
  /** An object whose values are strings (tags, labels, environment variables). */
  | "stringMap"
  | { readonly fields: ArgShapeTable }
  | { readonly items: { readonly fields: ArgShapeTable } };

export type ArgShapeTable = { readonly [key: string]: ArgKind };

type Plain<V> = pulumi.Unwrap<NonNullable<V>>;

/** The kind an arg of type `V` must have; interfaces and lists of interfaces recurse. */
export type KindOf<V> = [Plain<V>] extends [number]
  ? "number"
  : [Plain<V>] extends [boolean]
    ? "boolean"
    : [Plain<V>] extends [string]
      ? "string"
      : [Plain<V>] extends [readonly string[]]
        ? "stringList"
        : [Plain<V>] extends [readonly number[]]
          ? "numberList"
          : [NonNullable<V>] extends [readonly (infer E)[]]
            ? { readonly items: { readonly fields: ArgShape<E> } }
            : [NonNullable<V>] extends [pulumi.Input<Record<string, pulumi.Input<string>>>]
              ? "stringMap"
              : { readonly fields: ArgShape<NonNullable<V>> };

/** One entry per key of `T`, each of the kind its type needs. */
export type ArgShape<T> = { readonly [K in keyof T]-?: KindOf<T[K]> };

/** Normalized for "did you mean": case, `_` and `-` do not count (`cpu_cores` is `cpuCores`). */
const normalize = (key: string) => key.toLowerCase().replace(/[-_]/g, "");

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known key closest to `key`, if one is close enough to be what was meant. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const wanted = normalize(key);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const distance = editDistance(wanted, normalize(k));
    if (distance < bestDistance) [best, bestDistance] = [k, distance];
  }
  return bestDistance <= Math.max(1, Math.floor(wanted.length / 3)) ? best : undefined;
}

/** Not known yet (an Output or a promise): checked by the component's rules once it resolves. */
const isPending = (v: unknown) =>
  pulumi.Output.isInstance(v) ||
  (typeof v === "object" && v !== null && typeof (v as Promise<unknown>).then === "function");

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !isPending(v);

function describe(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null || v === undefined) return String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function kindProblem(kind: ArgKind, value: unknown, path: string, add: AddProblem): void {
  if (value === undefined || value === null || isPending(value)) return;
  if (kind === "number") {
    if (typeof value === "number" && !Number.isNaN(value)) return;
    const hint =
      typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))
        ? ` (write ${Number(value)}, without quotes)`
        : "";
    add(path, `must be a number, not ${describe(value)}${hint}.`);
  } else if (kind === "boolean") {
    if (typeof value === "boolean") return;
    const hint = value === "true" || value === "false" ? ` (write ${value}, without quotes)` : "";
    add(path, `must be true or false, not ${describe(value)}${hint}.`);
  } else if (kind === "string") {
    if (typeof value !== "string") add(path, `must be a string, not ${describe(value)}.`);
  } else if (kind === "stringList" || kind === "numberList") {
    const of = kind === "stringList" ? "string" : "number";
    if (!Array.isArray(value)) add(path, `must be a list of ${of}s, not ${describe(value)}.`);
    else for (const [i, v] of value.entries()) kindProblem(of, v, `${path}[${i}]`, add);
  } else if (kind === "stringMap") {
    if (!isPlainObject(value)) add(path, `must be an object of string values, not ${describe(value)}.`);
    else for (const [k, v] of Object.entries(value)) kindProblem("string", v, `${path}.${k}`, add);
  } else if ("fields" in kind) {
    if (!isPlainObject(value)) add(path, `must be an object, not ${describe(value)}.`);
    else tableProblems(kind.fields, value, `${path}.`, add);
  } else if (!Array.isArray(value)) {
    add(path, `must be a list, not ${describe(value)}.`);
  } else {
    for (const [i, v] of value.entries()) kindProblem(kind.items, v, `${path}[${i}]`, add);
  }
}

function tableProblems(table: ArgShapeTable, args: Record<string, unknown>, prefix: string, add: AddProblem): void {
  const known = Object.keys(table);
  for (const [key, value] of Object.entries(args)) {
    const kind = table[key];
    if (kind === undefined || !Object.hasOwn(table, key)) {
      const near = nearestKey(key, known);
      add(
        `${prefix}${key}`,
        `is not an argument here${near ? `; did you mean ${JSON.stringify(near)}?` : ""} (known: ${known.join(", ")}).`,
      );
    } else kindProblem(kind, value, `${prefix}${key}`, add);
  }
}

/**
 * Adds a problem for every key of `args` that `shape` does not know (with the nearest
 * known name) and every known value of the wrong kind. Values not known yet are skipped.
 */
export function argShapeProblems(shape: ArgShapeTable, args: unknown, add: AddProblem): void {
  if (!isPlainObject(args)) {
    add("args", `must be an object of arguments, not ${describe(args)}.`);
    return;
  }
  tableProblems(shape, args, "", add);
}

/**
 * Throws one InputPropertiesError naming every unknown key and every value of the wrong
 * kind, before the component's own rules run (they assume the kinds are right).
 */
export function checkArgShape(component: string, name: string, shape: ArgShapeTable, args: unknown): void {
  const { problems, add } = problemList();
  argShapeProblems(shape, args, add);
  throwIfInvalid(componentSubject(component, name), problems);
}
