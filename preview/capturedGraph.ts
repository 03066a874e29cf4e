/**
 * The captured graph every plan format renders: resources in registration order with
 * parent, provider and dependencies resolved to URNs, inputs already redacted, and the
 * policy pack's verdicts over them.
 */
import type { PolicyVerdict } from "../policy/policies/verdict.js";
import type { CapturedResource } from "./mockRuntime.js";
import { redact } from "./secretRedaction.js";

export const STACK_TYPE = "pulumi:pulumi:Stack";

export interface PlanNode {
  urn: string;
  type: string;
  name: string;
  /** Parent URN; the stack's URN for top-level resources. */
  parent: string;
  /** Provider resource URN when an explicit provider was given, else "". */
  provider: string;
  /** URNs this resource depends on, without its parent. */
  dependencies: string[];
  custom: boolean;
  /** Redacted inputs. */
  inputs: Record<string, unknown>;
}

export interface PolicyReport {
  /** False when skipped (`--no-policy`). */
  evaluated: boolean;
  verdicts: PolicyVerdict[];
  /** Why the pack did not run, when it did not. */
  note?: string;
}

export interface PlanGraph {
  project: string;
  stack: string;
  stackUrn: string;
  nodes: PlanNode[];
  /** Redacted stack outputs. */
  outputs: Record<string, unknown>;
  policy: PolicyReport;
}

/** `<provider URN>::<provider id>` -> provider URN. */
function providerUrn(ref: string): string {
  if (!ref) return "";
  const at = ref.lastIndexOf("::");
  return at > 0 ? ref.slice(0, at) : ref;
}

export function buildGraph(args: {
  project: string;
  stack: string;
  resources: CapturedResource[];
  outputs: Record<string, unknown>;
  policy: PolicyReport;
}): PlanGraph {
  const stackRecord = args.resources.find((r) => r.type === STACK_TYPE);
  const nodes = args.resources
    .filter((r) => r.type !== STACK_TYPE && r.urn)
    .map(
      (r): PlanNode => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        provider: providerUrn(r.provider),
        dependencies: [...new Set(r.dependencies)].filter((d) => d !== r.parent),
        custom: r.custom,
        inputs: redact(r.inputs) as Record<string, unknown>,
      }),
    );
  return {
    project: args.project,
    stack: args.stack,
    stackUrn: stackRecord?.urn ?? "",
    nodes,
    outputs: redact(args.outputs) as Record<string, unknown>,
    policy: args.policy,
  };
}

/** The package a type token belongs to: `azure-native`, `kubernetes`, `aksml`; providers count as `pulumi`. */
export function packageOf(type: string): string {
  return type.split(":")[0];
}

/** Resource counts by package, largest first. */
export function countByPackage(graph: PlanGraph): [string, number][] {
  const counts = new Map<string, number>();
  for (const n of graph.nodes) counts.set(packageOf(n.type), (counts.get(packageOf(n.type)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export function summaryLine(graph: PlanGraph): string {
  const parts = countByPackage(graph).map(([pkg, n]) => `${pkg} ${n}`);
  return `${graph.nodes.length} resources (${parts.join(", ")})`;
}

/** The logical name in a URN (its last `::` segment). */
export function nameOfUrn(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

export function mandatoryCount(report: PolicyReport): number {
  return report.verdicts.filter((v) => v.enforcementLevel === "mandatory").length;
}
