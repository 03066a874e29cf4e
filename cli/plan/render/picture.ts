/** What the Mermaid and DOT pictures share: stable node ids, labels, the two edge kinds. */
import type { PlanGraph } from "../graph.js";
import { formatValue } from "./format.js";

export interface PictureEdge {
  from: string;
  to: string;
  kind: "parent" | "dependency";
}

export interface Picture {
  nodes: { id: string; title: string; type: string; detail?: string }[];
  edges: PictureEdge[];
}

export function picture(graph: PlanGraph): Picture {
  const ids = new Map(graph.nodes.map((n, i) => [n.urn, `r${i}`]));
  const nodes = graph.nodes.map((n) => {
    // The name is already the title; show the most telling other input.
    const first = n.keyInputs.find(([k]) => k !== "name");
    return { id: ids.get(n.urn)!, title: n.name, type: n.type, detail: first ? `${first[0]}=${formatValue(first[1])}` : undefined };
  });
  const edges: PictureEdge[] = [];
  for (const n of graph.nodes) {
    const parent = ids.get(n.parent);
    if (parent) edges.push({ from: parent, to: ids.get(n.urn)!, kind: "parent" });
    // A dependency edge points from what is needed to what needs it (creation order).
    for (const d of [...n.dependencies, ...(n.provider ? [n.provider] : [])]) {
      const dep = ids.get(d);
      if (dep) edges.push({ from: dep, to: ids.get(n.urn)!, kind: "dependency" });
    }
  }
  return { nodes, edges };
}
