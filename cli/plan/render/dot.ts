/** `--format dot`: Graphviz; parent edges solid, dependency edges dashed. */
import type { PlanGraph } from "../../../preview/capturedGraph.js";
import { picture } from "./picture.js";

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

export function renderDot(graph: PlanGraph): string {
  const { nodes, edges } = picture(graph);
  const lines = [
    `digraph ${quote(`${graph.project}/${graph.stack}`)} {`,
    "  rankdir=LR;",
    '  node [shape=box, fontname="Helvetica", fontsize=10];',
  ];
  for (const n of nodes) {
    // Resources with policy violations: red for mandatory, amber for advisory.
    const mark =
      n.verdict === "mandatory"
        ? ", color=red, penwidth=2"
        : n.verdict === "advisory"
          ? ", color=orange, penwidth=2"
          : "";
    lines.push(`  ${n.id} [label=${quote([n.title, n.type, n.detail].filter(Boolean).join("\n"))}${mark}];`);
  }
  for (const e of edges) lines.push(`  ${e.from} -> ${e.to}${e.kind === "dependency" ? " [style=dashed]" : ""};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
