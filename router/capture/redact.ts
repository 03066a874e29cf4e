/**
 * Redaction of captured JSON bodies, before a record leaves the router: each path
 * (`dataCollection.redactJsonFields`, checked by the contract) is dot-separated keys,
 * `*` for any key (or, on an array, every element), optionally after `$.`; a key meeting
 * an array applies to its elements, so `rows.email` and `rows.*.email` both blank `email`
 * in every element of a `rows` array. Pure.
 */

/** The value that replaces a redacted one. */
export const REDACTED = "[redacted]";

/** Paths split once per service config, not per record. */
export type RedactionPlan = readonly (readonly string[])[];

export function redactionPlan(paths: readonly string[]): RedactionPlan {
  return paths.map((p) => p.replace(/^\$\./, "").split("."));
}

/** Blanks every value the plan names, in place; returns how many values were blanked. */
export function redact(value: unknown, plan: RedactionPlan): number {
  let n = 0;
  for (const segments of plan) n += redactPath(value, segments, 0);
  return n;
}

function redactPath(node: unknown, segments: readonly string[], at: number): number {
  if (Array.isArray(node)) {
    // `*` on an array takes its elements; a key crosses the array to its elements' keys.
    const star = segments[at] === "*";
    const last = at === segments.length - 1;
    let n = 0;
    for (let i = 0; i < node.length; i++) {
      if (star && last) {
        node[i] = REDACTED;
        n++;
      } else n += redactPath(node[i], segments, star ? at + 1 : at);
    }
    return n;
  }
  if (typeof node !== "object" || node === null) return 0;
  const obj = node as Record<string, unknown>;
  const key = segments[at]!;
  const last = at === segments.length - 1;
  const keys = key === "*" ? Object.keys(obj) : Object.hasOwn(obj, key) ? [key] : [];
  let n = 0;
  for (const k of keys) {
    if (last) {
      obj[k] = REDACTED;
      n++;
    } else n += redactPath(obj[k], segments, at + 1);
  }
  return n;
}
