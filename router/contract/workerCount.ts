/**
 * How many data-path workers one router pod runs: one per whole CPU the container is
 * allotted. Shared with the components (and router vertical self-scaling), so the pod's
 * CPU limit, the worker count the router picks and what the platform expects of it follow
 * one rule. Pure: the router reads the cgroup files and hands their text in
 * (router/workerCount.ts).
 */

/** Most workers a router pod runs, whatever its CPU allotment (AKSML_WORKERS accepts 1..this). */
export const MAX_WORKERS = 64;

/** The value of AKSML_WORKERS that derives the count from the CPU allotment (the default). */
export const WORKERS_AUTO = "auto";

/**
 * Workers for a CPU allotment: `floor(cpuCores)` when the container has a CPU limit (a
 * fractional core serves no second worker: two workers on 1.5 cores contend for the
 * quota and add a thread hop for nothing), else every CPU the process may run on; at
 * least 1, at most {@link MAX_WORKERS}.
 * @param cpuCores the container's CPU limit in cores (cgroup quota / period), undefined when unlimited
 * @param availableParallelism what `os.availableParallelism()` says (CPUs this process may run on)
 */
export function workersForCpu(cpuCores: number | undefined, availableParallelism: number): number {
  const cores =
    cpuCores !== undefined && Number.isFinite(cpuCores) && cpuCores > 0
      ? Math.min(cpuCores, availableParallelism)
      : availableParallelism;
  return Math.max(1, Math.min(MAX_WORKERS, Math.floor(cores)));
}

/**
 * The CPU limit in cores from cgroup files' text: cgroup v2 `cpu.max` ("<quota> <period>"
 * or "max <period>"), else cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` (quota -1:
 * unlimited). Undefined when unlimited, absent or unreadable.
 */
export function cgroupCpuCores(files: {
  cpuMax?: string;
  cfsQuotaUs?: string;
  cfsPeriodUs?: string;
}): number | undefined {
  const ratio = (quota: string | undefined, period: string | undefined): number | undefined => {
    const q = Number(quota);
    const p = Number(period);
    return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : undefined;
  };
  if (files.cpuMax !== undefined) {
    const [quota, period] = files.cpuMax.trim().split(/\s+/);
    return quota === "max" ? undefined : ratio(quota, period);
  }
  return ratio(files.cfsQuotaUs?.trim(), files.cfsPeriodUs?.trim());
}

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
