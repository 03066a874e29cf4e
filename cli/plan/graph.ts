/**
 * The desired-state graph every plan format renders: resources in registration order
 * with parent, provider and dependencies resolved to URNs, inputs already redacted.
 */
import type { CapturedResource } from "./mockRuntime.js";
import { keyInputs, type KeyInput } from "./keyInputs.js";
import { redact } from "./redact.js";
import type { PolicyReport } from "./policy.js";

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
  keyInputs: KeyInput[];
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
    .map((r): PlanNode => {
      const inputs = redact(r.inputs) as Record<string, unknown>;
      return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        provider: providerUrn(r.provider),
        dependencies: [...new Set(r.dependencies)].filter((d) => d !== r.parent),
        custom: r.custom,
        inputs,
        keyInputs: keyInputs(r.type, inputs),
      };
    });
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
