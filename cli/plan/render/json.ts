/**
 * The machine format (`--json`): a stable document for CI and tests. Keys are emitted in
 * a fixed order; resources in registration order. Version bumps on breaking changes.
 */
import { countByPackage, mandatoryCount, type PlanGraph } from "../../../preview/capturedGraph.js";

export const PLAN_JSON_VERSION = 1;

export interface PlanError {
  message: string;
  properties: { propertyPath: string; reason: string }[];
}

export function planDocument(graph: PlanGraph) {
  const advisory = graph.policy.verdicts.length - mandatoryCount(graph.policy);
  return {
    version: PLAN_JSON_VERSION,
    project: graph.project,
    stack: graph.stack,
    resources: graph.nodes.map((n) => ({
      urn: n.urn,
      type: n.type,
      name: n.name,
      parent: n.parent,
      provider: n.provider,
      dependencies: n.dependencies,
      inputs: n.inputs,
    })),
    outputs: graph.outputs,
    policy: {
      evaluated: graph.policy.evaluated,
      ...(graph.policy.note ? { note: graph.policy.note } : {}),
      mandatory: mandatoryCount(graph.policy),
      advisory,
      verdicts: graph.policy.verdicts,
    },
    summary: { resources: graph.nodes.length, byPackage: Object.fromEntries(countByPackage(graph)) },
  };
}

export function renderJson(graph: PlanGraph): string {
  return `${JSON.stringify(planDocument(graph), null, 2)}\n`;
}

/** With `--json`, a failed program still yields a document, so CI can parse every outcome. */
export function renderJsonErrors(errors: PlanError[]): string {
  return `${JSON.stringify({ version: PLAN_JSON_VERSION, errors }, null, 2)}\n`;
}
