/**
 * Turns whatever a program threw into clear messages: an `InputPropertiesError` lists
 * each property path and reason; other errors show their message and where in the
 * program they came from, never a raw stack dump (set AKSML_DEBUG=1 for stacks).
 */
import { fileURLToPath } from "node:url";
import type { InputPropertiesError } from "@pulumi/pulumi";
import type { PlanError } from "./json.js";

/**
 * Where the plan's own machinery lives (this command and the preview engine), as file URLs
 * (ESM frames) and paths: frames there are never the user's code. Absolute, so a checkout
 * whose path happens to contain "preview" or "cli/plan" still finds the user's frame.
 */
const PLAN_MACHINERY = ["../", "../../../preview/"]
  .map((dir) => new URL(dir, import.meta.url))
  .flatMap((url) => [url.href, fileURLToPath(url)]);

/** `InputPropertiesError.isInstance` without loading the SDK (it checks the same brand). */
function isInputPropertiesError(err: unknown): err is InputPropertiesError {
  return (
    err instanceof Error && (err as { __pulumiInputPropertiesError?: boolean }).__pulumiInputPropertiesError === true
  );
}

/** The first stack frame that is the user's code, not a dependency or Node itself. */
function origin(err: Error): string | undefined {
  const frames = (err.stack ?? "")
    .split("\n")
    .slice(1)
    .map((l) => l.trim());
  const frame = frames.find(
    (l) =>
      l.startsWith("at ") &&
      !l.includes("node_modules") &&
      !l.includes("node:") &&
      !PLAN_MACHINERY.some((dir) => l.includes(dir)),
  );
  if (!frame) return undefined;
  const location = frame.replace(/^at\s+/, "");
  // Without source maps, line:column point into tsx's transpiled output; the file is still right.
  if (process.sourceMapsEnabled) return location;
  const file = location.match(/\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/)?.[1];
  return file ? file.replace(/^file:\/\//, "") : location;
}

/**
 * The components put every "path: reason" in the message too (a plain Pulumi program
 * prints only the message); the plan lists them one per line below it, so the summary
 * before them is enough here.
 */
function withoutListedDetails(message: string, properties: PlanError["properties"]): string {
  const details = `: ${properties.map((p) => `${p.propertyPath}: ${p.reason}`).join("; ")}`;
  return properties.length > 0 && message.endsWith(details) ? message.slice(0, -details.length) : message;
}

export function toPlanError(err: unknown): PlanError {
  if (isInputPropertiesError(err)) {
    const properties = (err.errors ?? []).map((p) => ({ propertyPath: p.propertyPath, reason: p.reason }));
    return { message: withoutListedDetails(err.message, properties), properties };
  }
  if (err instanceof Error) {
    const where = origin(err);
    return { message: where ? `${err.message} (at ${where})` : err.message, properties: [] };
  }
  return { message: String(err), properties: [] };
}

/** Distinct problems; the SDK may surface one error both as a rejection and an exception. */
export function planErrors(errors: unknown[]): PlanError[] {
  const seen = new Set<string>();
  return errors.map(toPlanError).filter((e) => {
    const key = JSON.stringify(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function renderErrors(errors: PlanError[], originals: unknown[]): string {
  const lines = [
    `error: the program failed under the plan (${errors.length} problem${errors.length === 1 ? "" : "s"})`,
  ];
  for (const e of errors) {
    lines.push(`  ${e.message}`);
    for (const p of e.properties) lines.push(`    - ${p.propertyPath}: ${p.reason}`);
  }
  if (process.env.AKSML_DEBUG) for (const o of originals) if (o instanceof Error && o.stack) lines.push("", o.stack);
  return `${lines.join("\n")}\n`;
}
