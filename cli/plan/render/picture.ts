/** What the Mermaid and DOT pictures share: stable node ids, labels, the two edge kinds. */
import type { PlanGraph } from "../../../preview/capturedGraph.js";
import { formatValue } from "./format.js";
import { keyInputs } from "./keyInputs.js";

export interface PictureEdge {
  from: string;
  to: string;
  kind: "parent" | "dependency";
}

export type VerdictMark = "mandatory" | "advisory";

export interface Picture {
  /** `verdict`: the most severe policy violation reported against the resource. */
  nodes: { id: string; title: string; type: string; detail?: string; verdict?: VerdictMark }[];
  edges: PictureEdge[];
}

function verdictsByUrn(graph: PlanGraph): Map<string, VerdictMark> {
  const marks = new Map<string, VerdictMark>();
  for (const v of graph.policy.verdicts) {
    if (v.urn && marks.get(v.urn) !== "mandatory") marks.set(v.urn, v.enforcementLevel);
  }
  return marks;
}

export function picture(graph: PlanGraph): Picture {
  const ids = new Map(graph.nodes.map((n, i) => [n.urn, `r${i}`]));
  const marks = verdictsByUrn(graph);
  const nodes = graph.nodes.map((n) => {
    // The name is already the title; show the most telling other input.
    const first = keyInputs(n.type, n.inputs).find(([k]) => k !== "name");
    const detail = first ? `${first[0]}=${formatValue(first[1])}` : undefined;
    return { id: ids.get(n.urn)!, title: n.name, type: n.type, detail, verdict: marks.get(n.urn) };
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
