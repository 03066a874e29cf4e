/**
 * What the Mermaid and DOT pictures share: resources grouped by the component instance
 * they belong to (one box per component, its resources inside), coloured by provider,
 * and the dependencies between groups (counted) instead of one edge per resource pair.
 */
import type { PlanGraph, PlanNode } from "../../../preview/capturedGraph.js";

export type VerdictMark = "mandatory" | "advisory";

/** The providers the picture colours, and how. */
export const PROVIDER_STYLES = {
  azure: { label: "Azure", fill: "#E5F1FB", stroke: "#0078D4" },
  kubernetes: { label: "Kubernetes", fill: "#E8EEFC", stroke: "#326CE5" },
  docker: { label: "Docker", fill: "#E3F4FD", stroke: "#1D63ED" },
  random: { label: "random", fill: "#F1F1F1", stroke: "#757575" },
  other: { label: "other", fill: "#FFFFFF", stroke: "#555555" },
} as const;
export type ProviderKey = keyof typeof PROVIDER_STYLES;

export const VERDICT_STYLES = {
  mandatory: { label: "mandatory policy violation", stroke: "#D32F2F" },
  advisory: { label: "advisory policy violation", stroke: "#F9A825" },
} as const;

export interface PictureNode {
  id: string;
  title: string;
  /** The type without its package, e.g. `containerservice:ManagedCluster`. */
  shortType: string;
  provider: ProviderKey;
  verdict?: VerdictMark;
}

export interface PictureGroup {
  id: string;
  /** The component instance's name and type. */
  title: string;
  type: string;
  verdict?: VerdictMark;
  nodes: PictureNode[];
}

/** `from` is needed by `to` (creation order); `count` resource-level dependencies behind it. */
export interface PictureEdge {
  from: string;
  to: string;
  count: number;
}

export interface Picture {
  groups: PictureGroup[];
  /** Resources that belong to no component (declared directly in the program). */
  loose: PictureNode[];
  edges: PictureEdge[];
  /** The providers present, in legend order. */
  providers: ProviderKey[];
  verdicts: VerdictMark[];
}

export function providerOf(type: string): ProviderKey {
  const [pkg, module, name] = type.split(":");
  const p = pkg === "pulumi" && module === "providers" ? name : pkg;
  if (p === "azure-native") return "azure";
  if (p === "kubernetes") return "kubernetes";
  if (p === "docker-build" || p === "docker") return "docker";
  if (p === "random") return "random";
  return "other";
}

function verdictsByUrn(graph: PlanGraph): Map<string, VerdictMark> {
  const marks = new Map<string, VerdictMark>();
  for (const v of graph.policy.verdicts) {
    if (v.urn && marks.get(v.urn) !== "mandatory") marks.set(v.urn, v.enforcementLevel);
  }
  return marks;
}

const shortType = (type: string) => type.split(":").slice(1).join(":");

export function picture(graph: PlanGraph): Picture {
  const byUrn = new Map(graph.nodes.map((n) => [n.urn, n]));
  const marks = verdictsByUrn(graph);
  // The nearest component (non-custom resource) at or above a resource.
  const componentOf = (n: PlanNode | undefined): PlanNode | undefined => {
    for (let at = n; at; at = byUrn.get(at.parent)) if (!at.custom) return at;
    return undefined;
  };
  const groups = new Map<string, PictureGroup>();
  for (const n of graph.nodes)
    if (!n.custom)
      groups.set(n.urn, {
        id: `g${groups.size}`,
        title: n.name,
        type: n.type,
        verdict: marks.get(n.urn),
        nodes: [],
      });
  const loose: PictureNode[] = [];
  const placeOf = new Map<string, string>();
  graph.nodes.forEach((n, i) => {
    const group = groups.get(componentOf(n)?.urn ?? "");
    if (!n.custom && group) {
      placeOf.set(n.urn, group.id);
      return;
    }
    const node: PictureNode = {
      id: `r${i}`,
      title: n.name,
      shortType: shortType(n.type),
      provider: providerOf(n.type),
      verdict: marks.get(n.urn),
    };
    (group ? group.nodes : loose).push(node);
    placeOf.set(n.urn, group ? group.id : node.id);
  });
  const counts = new Map<string, PictureEdge>();
  for (const n of graph.nodes) {
    const to = placeOf.get(n.urn)!;
    for (const d of [...n.dependencies, ...(n.provider ? [n.provider] : [])]) {
      const from = placeOf.get(d);
      if (!from || from === to) continue;
      const key = `${from}->${to}`;
      const edge = counts.get(key) ?? { from, to, count: 0 };
      edge.count++;
      counts.set(key, edge);
    }
  }
  const present = new Set(
    [...groups.values()]
      .flatMap((g) => g.nodes)
      .concat(loose)
      .map((n) => n.provider),
  );
  const verdicts = new Set([...marks.values()]);
  return {
    groups: [...groups.values()],
    loose,
    edges: [...counts.values()],
    providers: (Object.keys(PROVIDER_STYLES) as ProviderKey[]).filter((p) => present.has(p)),
    verdicts: (["mandatory", "advisory"] as const).filter((v) => verdicts.has(v)),
  };
}
