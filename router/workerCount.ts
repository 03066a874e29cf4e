/**
 * The worker count of this router process: AKSML_WORKERS, or with "auto" the whole cores
 * of the container's CPU limit (autoscaler/cpuQuota.ts, the one reader of the cgroup
 * quota). Several workers need `SO_REUSEPORT` load balancing, which node offers on Linux
 * (and a few BSDs); elsewhere (macOS for `aksml local`) "auto" is 1.
 */
import { availableParallelism } from "node:os";
import { readCgroupCpuLimit, workersForCpuLimit } from "./autoscaler/cpuQuota.js";
import { MAX_WORKERS } from "./contract/workerCount.js";

/** Platforms where node's `listen({ reusePort: true })` spreads connections over the listeners. */
const REUSE_PORT_PLATFORMS: readonly string[] = ["linux", "freebsd"];

export function reusePortSupported(platform: string = process.platform): boolean {
  return REUSE_PORT_PLATFORMS.includes(platform);
}

/** How a router process runs its data path. */
export interface WorkerPlan {
  /** Workers to start with. */
  workers: number;
  /** Workers the slot table has rows for: the most the pool may grow to. */
  capacity: number;
  /** The count follows the CPU limit while the router runs ("auto" where workers can share the port). */
  live: boolean;
}

/**
 * The plan for a setting: a number is taken as is (1..64; more than 1 needs reusePort);
 * "auto" starts with the whole cores of the CPU limit `readLimit` gives now and may grow
 * to every CPU the process may run on (an in-place resize), or is 1 without reusePort.
 */
export function workerPlan(
  setting: number | "auto",
  readLimit: () => number | undefined = () => readCgroupCpuLimit(),
  machineCores = availableParallelism(),
): WorkerPlan {
  if (setting === "auto") {
    if (!reusePortSupported()) return { workers: 1, capacity: 1, live: false };
    const workers = workersForCpuLimit(readLimit(), machineCores);
    return { workers, capacity: Math.max(workers, workersForCpuLimit(undefined, machineCores)), live: true };
  }
  if (!Number.isInteger(setting) || setting < 1 || setting > MAX_WORKERS)
    throw new Error(`workers must be an integer between 1 and ${MAX_WORKERS}, got ${setting}`);
  if (setting > 1 && !reusePortSupported())
    throw new Error(
      `workers=${setting} needs SO_REUSEPORT load balancing, which node offers on Linux and FreeBSD, not on ${process.platform}; use 1`,
    );
  return { workers: setting, capacity: setting, live: false };
}
