/**
 * The worker count of this router process: AKSML_WORKERS, or with "auto" one per whole CPU
 * of the container's cgroup quota (else every CPU the process may use), by the shared rule
 * (contract/workerCount.ts). Several workers need `SO_REUSEPORT` load balancing, which
 * node offers on Linux (and a few BSDs); elsewhere (macOS for `aksml local`) "auto" is 1.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { cgroupCpuCores, workersForCpu } from "./contract/workerCount.js";

/** Platforms where node's `listen({ reusePort: true })` spreads connections over the listeners. */
const REUSE_PORT_PLATFORMS: readonly string[] = ["linux", "freebsd"];

export function reusePortSupported(platform: string = process.platform): boolean {
  return REUSE_PORT_PLATFORMS.includes(platform);
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The container's CPU limit in cores from the cgroup filesystem; undefined when unlimited or unknown. */
export function containerCpuCores(root = "/sys/fs/cgroup"): number | undefined {
  const cpuMax = readOptional(`${root}/cpu.max`);
  if (cpuMax !== undefined) return cgroupCpuCores({ cpuMax });
  return cgroupCpuCores({
    cfsQuotaUs: readOptional(`${root}/cpu/cpu.cfs_quota_us`) ?? readOptional(`${root}/cpu.cfs_quota_us`),
    cfsPeriodUs: readOptional(`${root}/cpu/cpu.cfs_period_us`) ?? readOptional(`${root}/cpu.cfs_period_us`),
  });
}

/** Workers for a setting: a number is taken as is; "auto" follows the CPU allotment (1 without reusePort). */
export function resolveWorkerCount(setting: number | "auto"): number {
  if (setting !== "auto") return setting;
  if (!reusePortSupported()) return 1;
  return workersForCpu(containerCpuCores(), availableParallelism());
}
