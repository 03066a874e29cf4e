/** `--format mermaid`: a flowchart; parent edges solid, dependency edges dashed. */
import type { PlanGraph } from "../../../preview/capturedGraph.js";
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
  // Resources with policy violations: red for mandatory, amber for advisory.
  for (const [level, style] of [
    ["mandatory", "stroke:#d32f2f,stroke-width:3px"],
    ["advisory", "stroke:#f9a825,stroke-width:2px"],
  ] as const) {
    const marked = nodes.filter((n) => n.verdict === level).map((n) => n.id);
    if (marked.length) lines.push(`  classDef ${level} ${style}`, `  class ${marked.join(",")} ${level}`);
  }
  return `${lines.join("\n")}\n`;
}
