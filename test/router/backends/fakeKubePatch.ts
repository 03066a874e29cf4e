/**
 * The fake Kubernetes API's writes by PATCH (fakeKubeApi.ts): JSON Patch and JSON merge
 * patch as the real server applies them, the rule of the Pod `resize` subresource (only
 * container resources may change), and the default kubelet's answer to a resize.
 */
import type { Obj } from "./fakeKubeApi.js";

/** The patched object: RFC 6902 JSON Patch (add, remove, replace, test) or RFC 7386 merge patch; 415 otherwise. */
export function applyPatch(target: Obj, patch: unknown, contentType: string | undefined): Obj {
  const type = contentType?.split(";")[0]?.trim();
  const out = structuredClone(target) as unknown as Record<string, unknown>;
  if (type === "application/merge-patch+json") return mergePatch(out, patch) as Obj;
  if (type !== "application/json-patch+json" || !Array.isArray(patch))
    throw Object.assign(new Error(`unsupported patch content type ${type}`), { code: 415 });
  for (const op of patch as { op: string; path: string; value?: unknown }[]) {
    const keys = op.path
      .split("/")
      .slice(1)
      .map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = keys.pop()!;
    let parent: Record<string, unknown> = out;
    for (const k of keys) {
      const next = parent[k];
      if (typeof next !== "object" || next === null) throw new Error(`path ${op.path} does not exist`);
      parent = next as Record<string, unknown>;
    }
    if (op.op === "test") {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
    } else if (op.op === "add" || op.op === "replace") {
      if (op.op === "replace" && !(last in parent)) throw new Error(`replace: no value at ${op.path}`);
      parent[last] = op.value;
    } else if (op.op === "remove") delete parent[last];
    else throw new Error(`unsupported op ${op.op}`);
  }
  return out as unknown as Obj;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Why the API server refuses a resize: anything but container CPU and memory changed. */
export function resizeProblem(before: Obj, after: Obj): string | undefined {
  const strip = (o: Obj) => {
    const copy = structuredClone(o) as { spec?: { containers?: { resources?: unknown }[] } };
    for (const c of copy.spec?.containers ?? []) delete c.resources;
    return JSON.stringify(copy);
  };
  if (strip(before) !== strip(after))
    return "spec: Forbidden: only cpu and memory resources for sidecar containers and containers are mutable";
  return undefined;
}

/** The default kubelet: the container statuses report the resized resources at once. */
export function reportResizedResources(pod: Obj): Obj {
  const spec = pod.spec as { containers?: { name: string; resources?: unknown }[] };
  const status = (pod.status ?? {}) as { containerStatuses?: { name: string; resources?: unknown }[] };
  return {
    ...pod,
    status: {
      ...status,
      containerStatuses: (spec.containers ?? []).map((c) => ({
        ...status.containerStatuses?.find((s) => s.name === c.name),
        name: c.name,
        resources: structuredClone(c.resources),
      })),
    },
  };
}
