/**
 * `--diff PREVIOUS.json`: what changed since a previous `aksml plan --json`, like the
 * summary of `pulumi preview`: resources added, changed (with the inputs that differ)
 * and removed, matched by URN. Both sides are redacted plans, so a changed secret shows
 * as unchanged `[secret]`: the diff never reveals one.
 */
import { isDeepStrictEqual } from "node:util";
import { PLAN_JSON_VERSION } from "./json.js";

interface PlanResource {
  urn: string;
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface PlanDiff {
  added: { urn: string; type: string; name: string }[];
  changed: { urn: string; type: string; name: string; inputs: string[] }[];
  removed: { urn: string; type: string; name: string }[];
  unchanged: number;
}

/** The resources of a `--json` plan document; throws a readable error for anything else. */
export function planResources(doc: unknown, source: string): PlanResource[] {
  const d = doc as { version?: unknown; resources?: unknown; errors?: unknown };
  if (d?.version !== PLAN_JSON_VERSION || !Array.isArray(d.resources))
    throw new Error(
      d?.errors
        ? `${source} is the plan of a failed program: it has no resources to compare`
        : `${source} is not an \`aksml plan --json\` document (version ${PLAN_JSON_VERSION})`,
    );
  return d.resources as PlanResource[];
}

export function diffPlans(previous: PlanResource[], current: PlanResource[]): PlanDiff {
  const before = new Map(previous.map((r) => [r.urn, r]));
  const after = new Map(current.map((r) => [r.urn, r]));
  const pick = ({ urn, type, name }: PlanResource) => ({ urn, type, name });
  const diff: PlanDiff = { added: [], changed: [], removed: [], unchanged: 0 };
  for (const r of current) {
    const old = before.get(r.urn);
    if (!old) diff.added.push(pick(r));
    else {
      const keys = [...new Set([...Object.keys(old.inputs ?? {}), ...Object.keys(r.inputs ?? {})])].sort();
      const inputs = keys.filter((k) => !isDeepStrictEqual(old.inputs?.[k], r.inputs?.[k]));
      if (inputs.length) diff.changed.push({ ...pick(r), inputs });
      else diff.unchanged++;
    }
  }
  for (const r of previous) if (!after.has(r.urn)) diff.removed.push(pick(r));
  return diff;
}

export function renderDiff(diff: PlanDiff, source: string): string {
  const lines = [`Changes since ${source}:`, ""];
  for (const r of diff.added) lines.push(`  + ${r.type}  ${r.name}`);
  for (const r of diff.changed) lines.push(`  ~ ${r.type}  ${r.name}  (${r.inputs.join(", ")})`);
  for (const r of diff.removed) lines.push(`  - ${r.type}  ${r.name}`);
  if (diff.added.length + diff.changed.length + diff.removed.length === 0) lines.push("  (no changes)");
  lines.push(
    "",
    `Resources: ${diff.added.length} to add, ${diff.changed.length} to change, ${diff.removed.length} to remove, ${diff.unchanged} unchanged`,
  );
  return `${lines.join("\n")}\n`;
}
