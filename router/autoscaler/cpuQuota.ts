/**
 * The router's worker count follows its CPU limit (`AKSML_WORKERS=auto`): the whole cores
 * of its cgroup CPU quota, at least 1. A pod restarted at a new size starts with the new
 * count; a pod resized in place keeps running, so {@link CpuQuotaWatch} reads the quota
 * again every few seconds (a file read, no API call) and asks the worker pool for the new
 * count. Without a pool that can change its size live the router does not resize in
 * place: more quota for the same workers would buy little.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { MAX_ROUTER_CPU_PER_POD } from "../contract/routerSize.js";
import type { Log } from "../log.js";

/** A worker pool whose size can change while it serves (the router's, with `AKSML_WORKERS=auto`). */
export interface LiveWorkers {
  /** How many workers run now (what the watch starts from; else the rule applied to the limit read at start). */
  readonly workers?: number;
  /** Starts or retires workers until `n` run; retiring ones finish their requests first. */
  setWorkerCount(n: number): Promise<void>;
}

/**
 * The CPU quota of this process's cgroup in cores (cgroup v2 `cpu.max`, else v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`), or undefined when unlimited or unreadable.
 */
export function readCgroupCpuLimit(root = "/sys/fs/cgroup"): number | undefined {
  const read = (file: string) => {
    try {
      return readFileSync(join(root, file), "utf8").trim();
    } catch {
      return undefined;
    }
  };
  const ratio = (quota: number, period: number) =>
    Number.isFinite(quota) && quota > 0 && Number.isFinite(period) && period > 0 ? quota / period : undefined;
  const v2 = read("cpu.max");
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    return quota === "max" ? undefined : ratio(Number(quota), Number(period));
  }
  const quota = read("cpu/cpu.cfs_quota_us");
  const period = read("cpu/cpu.cfs_period_us");
  return quota === undefined || period === undefined ? undefined : ratio(Number(quota), Number(period));
}

/**
 * Workers for a CPU limit in cores: its whole cores (a fractional core serves no second
 * worker: two workers on 1.5 cores contend for the quota), but no more than the CPUs the
 * process may run on (`os.availableParallelism()`: a quota above them cannot be used);
 * the machine's cores when unlimited; at least 1, at most 64.
 */
export function workersForCpuLimit(cores: number | undefined, machineCores = availableParallelism()): number {
  return Math.min(MAX_ROUTER_CPU_PER_POD, Math.max(1, Math.floor(Math.min(cores ?? machineCores, machineCores))));
}

export interface CpuQuotaWatchOptions {
  workers: LiveWorkers;
  /** Reads the current limit in cores. @default the cgroup's ({@link readCgroupCpuLimit}) */
  readLimit?: () => number | undefined;
  /** CPUs the process may run on (the most workers). @default os.availableParallelism() */
  machineCores?: number;
  /** @default 5000 (the self-scaler's sampling interval) */
  intervalMs?: number;
  log?: Log;
}

/** Keeps the worker count at {@link workersForCpuLimit} of the current CPU limit. */
export class CpuQuotaWatch {
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private current: number;
  private readonly readLimit: () => number | undefined;

  constructor(private readonly o: CpuQuotaWatchOptions) {
    this.readLimit = o.readLimit ?? (() => readCgroupCpuLimit());
    // The pool started at this count (the same rule at startup).
    this.current = o.workers.workers ?? workersForCpuLimit(this.readLimit(), o.machineCores);
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.busy) this.busy = this.check().finally(() => (this.busy = undefined));
    }, this.o.intervalMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.busy;
  }

  /** One read and, when the count changed, one resize of the pool. Public for tests. */
  async check(): Promise<void> {
    const wanted = workersForCpuLimit(this.readLimit(), this.o.machineCores);
    if (wanted === this.current) return;
    this.o.log?.info({ from: this.current, to: wanted }, "CPU limit changed: resizing the worker pool");
    try {
      await this.o.workers.setWorkerCount(wanted);
      this.current = wanted;
    } catch (e) {
      this.o.log?.warn({ to: wanted, err: (e as Error).message }, "could not resize the worker pool");
    }
  }
}
