/**
 * The capture writer thread's lower priority (router/capture/threadPriority.ts) stays its
 * own: libuv's threadpool, created by the first thread that uses it with that thread's
 * nice value, must not be left at the writer's. Only a fresh process without a TypeScript
 * loader (tsx uses the pool before any test code runs) shows who created the pool, so this
 * runs the compiled module (dist/, built by `npm ci`'s prepare) in a plain node process,
 * and is skipped, saying so, when dist/ is older than the source (run `npm run build`).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { staleSource } from "../cli/helpers/cliProcess.js";
import { REPO_ROOT } from "../cli/runCli.js";

const compiled = join(REPO_ROOT, "dist/router/capture/threadPriority.js");
// The compiled module imports only node's own: its own source is all that can be newer.
const stale = staleSource(["router/capture/threadPriority.ts"]);
const current = process.platform === "linux" && stale === undefined;
if (stale) console.warn(`${compiled} is missing or older than its source: npm run build`);

// In a fresh process: a worker thread lowers its priority, then uses the threadpool (as the
// writer's file appends do); every thread's nice value is reported by name.
const SCRIPT = `
import { Worker } from "node:worker_threads";
import { readdirSync, readFileSync } from "node:fs";
const threads = () => readdirSync("/proc/self/task").map((t) => {
  const stat = readFileSync("/proc/self/task/" + t + "/stat", "utf8");
  return { name: readFileSync("/proc/self/task/" + t + "/comm", "utf8").trim(), nice: Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]) };
});
const before = threads().filter((t) => t.name.startsWith("libuv")).length;
const w = new Worker(\`
  import { lowerThreadPriority } from \${JSON.stringify(process.argv[1])};
  import { stat } from "node:fs";
  import { parentPort } from "node:worker_threads";
  const lowered = lowerThreadPriority(10);
  stat(".", () => parentPort.postMessage(lowered));
\`, { eval: true, type: "module" });
w.once("message", (lowered) => {
  console.log(JSON.stringify({ before, lowered, threads: threads() }));
  process.exit(0);
});
`;

describe("the capture writer thread's lower priority", () => {
  it.skipIf(!current)("is its own: the threadpool it uses first stays at the process's priority", () => {
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", SCRIPT, compiled], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const { before, lowered, threads } = JSON.parse(run.stdout) as {
      before: number;
      lowered: boolean;
      threads: { name: string; nice: number }[];
    };
    // The pool did not exist yet: the worker's use would have created it.
    expect(before).toBe(0);
    expect(lowered).toBe(true);
    const pool = threads.filter((t) => t.name.startsWith("libuv"));
    expect(pool.length).toBeGreaterThan(0);
    expect(pool.map((t) => t.nice)).toEqual(pool.map(() => 0));
    expect(threads.filter((t) => t.nice === 10)).toHaveLength(1);
  });
});
