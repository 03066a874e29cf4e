/**
 * The human format: resources as a tree by parent, each with its key inputs, explicit
 * provider and dependencies; then stack outputs, policy verdicts and a summary line.
 */
import { nameOfUrn, summaryLine, type PlanGraph, type PlanNode } from "../../../preview/capturedGraph.js";
import { formatValue } from "./format.js";
import { keyInputs } from "./keyInputs.js";

function nodeLines(
  node: PlanNode,
  graph: PlanGraph,
  children: Map<string, PlanNode[]>,
  prefix: string,
  last: boolean,
): string[] {
  const branch = last ? "└─ " : "├─ ";
  const childPrefix = prefix + (last ? "   " : "│  ");
  const keys = keyInputs(node.type, node.inputs)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join("  ");
  const lines = [`${prefix}${branch}${node.type}  ${node.name}${keys ? `  ${keys}` : ""}`];
  const kids = children.get(node.urn) ?? [];
  const detailPrefix = childPrefix + (kids.length ? "│  " : "   ");
  if (node.provider) lines.push(`${detailPrefix}provider: ${nameOfUrn(node.provider)}`);
  if (node.dependencies.length) lines.push(`${detailPrefix}depends on: ${node.dependencies.map(nameOfUrn).join(", ")}`);
  for (const [i, kid] of kids.entries())
    lines.push(...nodeLines(kid, graph, children, childPrefix, i === kids.length - 1));
  return lines;
}

function outputLines(outputs: Record<string, unknown>): string[] {
  const names = Object.keys(outputs).sort();
  if (!names.length) return ["Outputs: none"];
  const width = Math.max(...names.map((n) => n.length));
  return ["Outputs:", ...names.map((n) => `  ${n.padEnd(width)}  ${formatOutput(outputs[n])}`)];
}

function formatOutput(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function policyLines(graph: PlanGraph): string[] {
  const { policy } = graph;
  if (!policy.evaluated) return [`Policy: ${policy.note ?? "not evaluated"}`];
  const mandatory = policy.verdicts.filter((v) => v.enforcementLevel === "mandatory");
  const advisory = policy.verdicts.filter((v) => v.enforcementLevel === "advisory");
  const lines = [`Policy: ${mandatory.length} mandatory violation(s), ${advisory.length} advisory`];
  for (const [label, group] of [
    ["mandatory", mandatory],
    ["advisory", advisory],
  ] as const) {
    for (const v of group) {
      const where = v.resourceName ? ` ${v.resourceName}${v.resourceType ? ` (${v.resourceType})` : ""}` : "";
      lines.push(
        `  ${label.padEnd(9)} ${v.policy}${where}`,
        `            ${v.message.replace(/\n/g, "\n            ")}`,
      );
    }
  }
  return lines;
}

export function renderTree(graph: PlanGraph): string {
  const children = new Map<string, PlanNode[]>();
  const known = new Set(graph.nodes.map((n) => n.urn));
  const roots: PlanNode[] = [];
  for (const node of graph.nodes) {
    if (known.has(node.parent)) children.set(node.parent, [...(children.get(node.parent) ?? []), node]);
    else roots.push(node);
  }
  const lines = [`Stack ${graph.project}/${graph.stack} (planned offline under Pulumi mocks)`];
  for (const [i, root] of roots.entries()) lines.push(...nodeLines(root, graph, children, "", i === roots.length - 1));
  lines.push("", ...outputLines(graph.outputs), "", ...policyLines(graph), "", `Summary: ${summaryLine(graph)}`);
  return `${lines.join("\n")}\n`;
}
