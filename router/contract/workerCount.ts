/**
 * AKSML_WORKERS: how many data-path workers one router pod runs. "auto" follows the
 * container's CPU limit (the rule and the cgroup reader are autoscaler/cpuQuota.ts), so a
 * pod given more cores runs more workers.
 */
import { MAX_ROUTER_CPU_PER_POD } from "./routerSize.js";

/** Most workers a router pod runs, whatever its CPU allotment (AKSML_WORKERS accepts 1..this): one per core of the largest pod. */
export const MAX_WORKERS = MAX_ROUTER_CPU_PER_POD;

/** The value of AKSML_WORKERS that derives the count from the CPU allotment (the default). */
export const WORKERS_AUTO = "auto";

/** AKSML_WORKERS's value: "auto" (or unset), or an integer 1..{@link MAX_WORKERS}; otherwise the problem. */
export function parseWorkersSetting(raw: string | undefined): { workers: number | "auto" } | { problem: string } {
  const v = raw?.trim();
  if (v === undefined || v === "" || v === WORKERS_AUTO) return { workers: WORKERS_AUTO };
  const n = Number(v);
  if (/^\d+$/.test(v) && n >= 1 && n <= MAX_WORKERS) return { workers: n };
  return {
    problem: `must be "${WORKERS_AUTO}" (one worker per CPU the container is allotted) or an integer between 1 and ${MAX_WORKERS}, got ${JSON.stringify(raw)}`,
  };
}
