/**
 * `--format dot`: Graphviz. One box (cluster) per component instance with its resources
 * inside, filled by provider; one edge per pair of groups that depend on each other
 * (labelled with how many resource dependencies it stands for); a legend.
 */
import type { PlanGraph } from "../../../preview/capturedGraph.js";
import { type Picture, type PictureNode, picture, PROVIDER_STYLES, VERDICT_STYLES } from "./picture.js";

function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

function nodeLine(n: PictureNode, indent: string): string {
  const style = PROVIDER_STYLES[n.provider];
  const stroke = n.verdict ? `, color=${quote(VERDICT_STYLES[n.verdict].stroke)}, penwidth=2` : "";
  return `${indent}${n.id} [label=${quote(`${n.title}\n${n.shortType}`)}, fillcolor=${quote(style.fill)}${stroke}];`;
}

/**
 * Invisible edges that lay a group's resources out in columns of about the square root of
 * their count (left to right is rank order): unconnected, they would stack in one tall column.
 */
function gridEdges(anchor: string, nodes: PictureNode[], indent: string): string[] {
  const rows = Math.max(1, Math.ceil(Math.sqrt(nodes.length)));
  // The anchor ranks before the first column, so groups follow their dependencies left to right.
  const lines = nodes.slice(0, rows).map((n) => `${indent}${anchor} -> ${n.id} [style=invis];`);
  for (let i = 0; i + rows < nodes.length; i++)
    lines.push(`${indent}${nodes[i].id} -> ${nodes[i + rows].id} [style=invis];`);
  return lines;
}

/** The DOT text of a grouped picture. */
export function dotOf(title: string, p: Picture): string {
  const lines = [
    `digraph ${quote(title)} {`,
    "  rankdir=LR;",
    "  compound=true;",
    "  newrank=true;",
    '  graph [fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.6];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=9, color="#555555"];',
    '  edge [color="#666666", fontname="Helvetica", fontsize=8];',
  ];
  for (const g of p.groups) {
    const border = g.verdict ? `color=${quote(VERDICT_STYLES[g.verdict].stroke)}; penwidth=2;` : 'color="#444444";';
    lines.push(
      `  subgraph cluster_${g.id} {`,
      `    label=${quote(`${g.title}\n${g.type}`)};`,
      `    style="rounded"; ${border}`,
      // Edges between groups attach to this point and are clipped at the box.
      `    ${g.id} [shape=point, style=invis, width=0, height=0, label=""];`,
      ...g.nodes.map((n) => nodeLine(n, "    ")),
      ...gridEdges(g.id, g.nodes, "    "),
      "  }",
    );
  }
  for (const n of p.loose) lines.push(nodeLine(n, "  "));
  const isGroup = new Set(p.groups.map((g) => g.id));
  for (const e of p.edges) {
    const attrs = [
      ...(isGroup.has(e.from) ? [`ltail=cluster_${e.from}`] : []),
      ...(isGroup.has(e.to) ? [`lhead=cluster_${e.to}`] : []),
      ...(e.count > 1 ? [`label="${e.count}"`] : []),
    ];
    lines.push(`  ${e.from} -> ${e.to}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
  }
  lines.push(
    "  subgraph cluster_legend {",
    '    label="Legend"; style="dashed"; color="#999999";',
    ...p.providers.map(
      (k) => `    legend_${k} [label=${quote(PROVIDER_STYLES[k].label)}, fillcolor=${quote(PROVIDER_STYLES[k].fill)}];`,
    ),
    ...p.verdicts.map(
      (v) =>
        `    legend_${v} [label=${quote(VERDICT_STYLES[v].label)}, fillcolor="#FFFFFF", color=${quote(VERDICT_STYLES[v].stroke)}, penwidth=2];`,
    ),
    '    legend_group [label="component\\n(box: its resources)", style="rounded", fillcolor="#FFFFFF"];',
    '    legend_edge [label="arrow: needed by\\n(n: dependencies)", shape=plaintext, style=""];',
    "  }",
    "}",
  );
  return `${lines.join("\n")}\n`;
}

export function renderDot(graph: PlanGraph): string {
  return dotOf(`${graph.project}/${graph.stack}`, picture(graph));
}
