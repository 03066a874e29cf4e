/** `--format mermaid`: a flowchart; parent edges solid, dependency edges dashed. */
import type { PlanGraph } from "../graph.js";
import { picture } from "./picture.js";

/** Mermaid labels are quoted; quotes and angle brackets must be entity-escaped. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

export function renderMermaid(graph: PlanGraph): string {
  const { nodes, edges } = picture(graph);
  const lines = ["flowchart LR"];
  for (const n of nodes) {
    const parts = [n.title, n.type, n.detail].filter(Boolean).map((p) => label(p!));
    lines.push(`  ${n.id}["${parts.join("<br/>")}"]`);
  }
  for (const e of edges) lines.push(`  ${e.from} ${e.kind === "parent" ? "-->" : "-.->"} ${e.to}`);
  return lines.join("\n") + "\n";
}
