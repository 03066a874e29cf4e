/**
 * The annotation parser's readers: each reads one key of a JSON object, reports a wrong
 * kind as a problem at its path, and returns undefined for an absent key. No
 * dependencies, like the rest of `router/contract/`.
 */
import { integerRangeProblem, type IntegerRange } from "./serviceConfigSchema.js";

/** One problem with a config: the JSON path, and what is wrong with it. */
export interface ConfigProblem {
  path: string;
  reason: string;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

export function unknownKeys(
  obj: Record<string, unknown>,
  known: Set<string>,
  prefix: string,
  problems: ConfigProblem[],
): void {
  for (const k of Object.keys(obj)) {
    if (!known.has(k))
      problems.push({ path: `${prefix}${k}`, reason: `unknown key; expected one of ${[...known].join(", ")}` });
  }
}

/** The integer at `key`, or undefined when absent or not an integer; a value outside `range` is kept and reported. */
export function optionalInt(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  problems: ConfigProblem[],
  range: IntegerRange,
): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const problem = integerRangeProblem(range, v);
  if (problem !== undefined) problems.push({ path: `${prefix}${key}`, reason: problem });
  return typeof v === "number" && Number.isInteger(v) ? v : undefined;
}

export function optionalBool(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  problems: ConfigProblem[],
): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") {
    problems.push({ path: `${prefix}${key}`, reason: `must be true or false, got ${JSON.stringify(v)}` });
    return undefined;
  }
  return v;
}

export function optionalString(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  problems: ConfigProblem[],
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.length === 0) {
    problems.push({ path: `${prefix}${key}`, reason: `must be a non-empty string, got ${JSON.stringify(v)}` });
    return undefined;
  }
  return v;
}

export function optionalStringArray(
  obj: Record<string, unknown>,
  key: string,
  prefix: string,
  problems: ConfigProblem[],
): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string")) {
    problems.push({
      path: `${prefix}${key}`,
      reason: `must be a non-empty array of strings, got ${JSON.stringify(v)}`,
    });
    return undefined;
  }
  return v as string[];
}
