/**
 * The worker count follows the CPU limit: the cgroup quota read from real files (a
 * directory laid out like /sys/fs/cgroup), and the watch that resizes a live worker pool
 * when an in-place resize changes the quota.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CpuQuotaWatch, readCgroupCpuLimit, workersForCpuLimit } from "../../router/autoscaler/cpuQuota.js";

const cgroup = (files: Record<string, string>) => {
  const root = mkdtempSync(join(tmpdir(), "aksml-cgroup-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(root, file, ".."), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
};

describe("the CPU limit and the workers it gives", () => {
  it.each([
    ["cgroup v2 with a quota", { "cpu.max": "300000 100000\n" }, 3],
    ["cgroup v2 with a fractional quota", { "cpu.max": "150000 100000\n" }, 1.5],
    ["cgroup v2 unlimited", { "cpu.max": "max 100000\n" }, undefined],
    ["cgroup v1 with a quota", { "cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n" }, 2],
    ["cgroup v1 unlimited", { "cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n" }, undefined],
    ["no cgroup files", {}, undefined],
    ["garbage", { "cpu.max": "lots\n" }, undefined],
  ])("%s", (_what, files, cores) => {
    expect(readCgroupCpuLimit(cgroup(files))).toBe(cores);
  });

  it("workers are the whole cores of the limit, 1 to 64, no more than the machine's cores, and those when unlimited", () => {
    expect([0.5, 1, 1.5, 2, 4, 8, 100].map((c) => workersForCpuLimit(c, 8))).toEqual([1, 1, 1, 2, 4, 8, 8]);
    expect([0.5, 2, 100].map((c) => workersForCpuLimit(c, 96))).toEqual([1, 2, 64]);
    expect(workersForCpuLimit(undefined, 8)).toBe(8);
    expect(workersForCpuLimit(undefined, 128)).toBe(64);
  });
});

describe("CpuQuotaWatch", () => {
  it("resizes the worker pool when the limit changes in place, and only then", async () => {
    const root = cgroup({ "cpu.max": "200000 100000\n" });
    const counts: number[] = [];
    const watch = new CpuQuotaWatch({
      workers: { setWorkerCount: async (n) => void counts.push(n) },
      readLimit: () => readCgroupCpuLimit(root),
      machineCores: 8,
    });
    await watch.check();
    expect(counts).toEqual([]); // the pool started at 2
    writeFileSync(join(root, "cpu.max"), "400000 100000\n"); // what the kubelet does on a resize
    await watch.check();
    await watch.check();
    writeFileSync(join(root, "cpu.max"), "100000 100000\n");
    await watch.check();
    expect(counts).toEqual([4, 1]);
  });

  it("asks for no more workers than the CPUs the process may run on", async () => {
    let limit = 1;
    const counts: number[] = [];
    const watch = new CpuQuotaWatch({
      workers: { workers: 1, setWorkerCount: async (n) => void counts.push(n) },
      readLimit: () => limit,
      machineCores: 2,
    });
    limit = 6;
    await watch.check();
    await watch.check();
    expect(counts).toEqual([2]);
  });

  it("tries again at the next read when the pool could not be resized", async () => {
    let fail = true;
    const counts: number[] = [];
    let limit = 2;
    const watch = new CpuQuotaWatch({
      workers: {
        setWorkerCount: async (n) => {
          if (fail) throw new Error("busy");
          counts.push(n);
        },
      },
      readLimit: () => limit,
      machineCores: 8,
      log: { info: () => undefined, warn: () => undefined } as never,
    });
    limit = 3;
    await watch.check();
    fail = false;
    await watch.check();
    expect(counts).toEqual([3]);
  });
});
