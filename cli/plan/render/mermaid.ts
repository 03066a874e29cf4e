/**
 * `--format mermaid`: a flowchart with one subgraph per component instance (its
 * resources inside), nodes classed by provider, counted edges between groups, a legend.
 */
import type { PlanGraph } from "../../../preview/capturedGraph.js";
import { type PictureNode, picture, PROVIDER_STYLES, VERDICT_STYLES } from "./picture.js";

/** Mermaid labels are quoted; quotes and angle brackets must be entity-escaped. */
function label(text: string): string {
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

const nodeLine = (n: PictureNode, indent: string) =>
  `${indent}${n.id}["${label(n.title)}<br/>${label(n.shortType)}"]:::${n.provider}`;

export function renderMermaid(graph: PlanGraph): string {
  const p = picture(graph);
  const lines = ["flowchart LR"];
  for (const g of p.groups)
    lines.push(
      `  subgraph ${g.id}["${label(g.title)}<br/>${label(g.type)}"]`,
      ...g.nodes.map((n) => nodeLine(n, "    ")),
      "  end",
    );
  for (const n of p.loose) lines.push(nodeLine(n, "  "));
  for (const e of p.edges) lines.push(`  ${e.from} -->${e.count > 1 ? `|${e.count}|` : ""} ${e.to}`);
  lines.push(
    '  subgraph legend["Legend"]',
    ...p.providers.map((k) => `    legend_${k}["${PROVIDER_STYLES[k].label}"]:::${k}`),
    ...p.verdicts.map((v) => `    legend_${v}["${VERDICT_STYLES[v].label}"]:::${v}`),
    "  end",
  );
  for (const k of p.providers)
    lines.push(`  classDef ${k} fill:${PROVIDER_STYLES[k].fill},stroke:${PROVIDER_STYLES[k].stroke}`);
  for (const v of p.verdicts) lines.push(`  classDef ${v} stroke:${VERDICT_STYLES[v].stroke},stroke-width:3px`);
  // A node with a violation keeps its provider fill and gets the verdict's border.
  for (const n of [...p.groups.flatMap((g) => g.nodes), ...p.loose])
    if (n.verdict) lines.push(`  style ${n.id} stroke:${VERDICT_STYLES[n.verdict].stroke},stroke-width:3px`);
  for (const g of p.groups)
    if (g.verdict) lines.push(`  style ${g.id} stroke:${VERDICT_STYLES[g.verdict].stroke},stroke-width:3px`);
  return `${lines.join("\n")}\n`;
}
