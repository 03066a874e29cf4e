/**
 * Reading captured inputs and outputs without `any`: they are plain JSON whose shape
 * depends on the resource type (and a redacted secret is the string "[secret]"), so
 * they are typed `unknown` and read through these, which never throw.
 */

/** `value?.[k1]?.[k2]...`: undefined as soon as a step is null or undefined. */
export function valueAt(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || v === undefined) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** The value if it is an array, else an empty one. */
export function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value if it is an object (arrays included, as a spread would take them), else an empty one. */
export function recordOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}
