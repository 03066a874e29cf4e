/**
 * `aksml local` must not leave processes behind: every replica (the /bin/sh that runs its
 * command, the model server and whatever they fork) dies with the router however the
 * router ends. All real processes: the CLI in a child process exactly as `npm run local`
 * runs it, replicas from test/router/fixtures/lifetimeReplica.mjs (which forks a grandchild
 * that only a SIGKILL stops) and the example scorer. Processes are found and checked
 * through /proc, so this file runs on Linux only; a zombie counts as gone (it is dead and
 * waits only for whichever process adopted it to reap it).
 */
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE = process.execPath;
const FIXTURE = fileURLToPath(new URL("./fixtures/lifetimeReplica.mjs", import.meta.url));
const SCORER = fileURLToPath(new URL("../../examples/local/scorer.mjs", import.meta.url));
/** How long every replica process may take to disappear; far more than it needs. */
const GONE_MS = 10_000;

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

function proc(pid: number): Proc | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
  const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pid, state: state!, ppid: Number(ppid), pgid: Number(pgid) };
}

function processes(): Proc[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => proc(Number(name)))
    .filter((p): p is Proc => p !== undefined && p.state !== "Z" && p.state !== "X");
}

function running(pid: number): boolean {
  const p = proc(pid);
  return p !== undefined && p.state !== "Z" && p.state !== "X";
}

function members(pgid: number): number[] {
  return processes()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}

/** The process groups of the router's replicas: its children that lead a group of their own. */
function replicaGroups(routerPid: number): number[] {
  const routerGroup = proc(routerPid)!.pgid;
  return processes()
    .filter((p) => p.ppid === routerPid && p.pgid !== routerGroup)
    .map((p) => p.pgid);
}

/** Every process group a test saw, so a failing test still leaves nothing running. */
const seenGroups = new Set<number>();
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) {
    for (const g of replicaGroups(child.pid!)) seenGroups.add(g);
    child.kill("SIGKILL");
  }
  child = undefined;
  for (const pgid of seenGroups) if (members(pgid).length > 0) process.kill(-pgid, "SIGKILL");
  seenGroups.clear();
});

interface Run {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startLocal(services: object[]): Run {
  const file = join(mkdtempSync(join(tmpdir(), "aksml-lifetimes-")), "local.json");
  writeFileSync(file, JSON.stringify({ services }));
  const proc = spawn(NODE, ["--import", "tsx", "cli/main.ts", "local", file, "--port", "0", "--admin-port", "0"], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH ?? ""}`, AKSML_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let out = "";
  let err = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { proc, out: () => out, err: () => err, exited };
}

async function until<T>(f: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

interface Model {
  model: number;
  parent: number;
  grandchild: number;
}

/** What each fixture replica printed about itself, by "service/replica". */
function models(err: string): Map<string, Model> {
  const found = new Map<string, Model>();
  for (const m of err.matchAll(/^\[(\S+)\] lifetimes: model (\d+) parent (\d+) grandchild (\d+)$/gm))
    found.set(m[1]!, { model: Number(m[2]), parent: Number(m[3]), grandchild: Number(m[4]) });
  return found;
}

async function modelsStarted(run: Run, n: number): Promise<Map<string, Model>> {
  const found = await until(() => models(run.err()).size >= n && models(run.err()), 30_000, `${n} replicas`);
  for (const m of found.values()) seenGroups.add(proc(m.model)!.pgid);
  return found;
}

function listening(run: Run): Promise<string> {
  return until(() => /router listening on (\S+)/.exec(run.out())?.[1], 30_000, "the router to listen");
}

function allGone(groups: number[], ms: Model[]): Promise<true> {
  return until(
    () => groups.every((g) => members(g).length === 0) && ms.every((m) => !running(m.model) && !running(m.grandchild)),
    GONE_MS,
    "every replica process to exit",
  );
}

function forker(name: string, replicas: number, env: Record<string, string> = {}): object {
  return {
    name,
    command: `"${NODE}" "${FIXTURE}" --port $PORT`,
    env,
    config: { numReplicas: replicas, auth: { mode: "none" } },
  };
}

describe.runIf(process.platform === "linux")("aksml local process lifetimes (real processes)", () => {
  it("SIGKILL of the router: every replica group dies with it", async () => {
    const scorer = {
      name: "house-prices",
      command: `"${NODE}" "${SCORER}" --port $PORT`,
      config: { numReplicas: 1, auth: { mode: "none" } },
    };
    const run = startLocal([forker("forker", 2), scorer]);
    await listening(run);
    const started = await modelsStarted(run, 2);
    const groups = replicaGroups(run.proc.pid!);
    for (const g of groups) seenGroups.add(g);
    expect(groups).toHaveLength(3);
    for (const m of started.values()) expect(groups).toContain(proc(m.model)!.pgid);

    run.proc.kill("SIGKILL");
    expect(await run.exited).toEqual({ code: null, signal: "SIGKILL" });
    await allGone(groups, [...started.values()]);
  }, 60_000);

  it("SIGHUP (terminal closed) stops gracefully: replicas get SIGTERM, then nothing is left", async () => {
    const run = startLocal([forker("forker", 2)]);
    await listening(run);
    const started = [...(await modelsStarted(run, 2)).values()];
    const groups = replicaGroups(run.proc.pid!);
    expect(groups).toHaveLength(2);

    run.proc.kill("SIGHUP");
    expect(await within(run.exited, 20_000, "the router to exit")).toEqual({ code: 0, signal: null });
    expect(run.out()).toContain("aksml local: SIGHUP: stopping the router and its replicas");
    expect(run.out()).toContain("aksml local: stopped");
    for (const m of started) expect(run.err()).toContain(`lifetimes: model ${m.model} got SIGTERM`);
    await allGone(groups, started);
  }, 60_000);

  it("a second Ctrl-C during shutdown kills every replica group at once and exits 130", async () => {
    // Models that ignore SIGTERM: the graceful stop would wait out the 10 s grace.
    const run = startLocal([forker("stubborn", 2, { LIFETIME_IGNORE_TERM: "1" })]);
    await listening(run);
    const started = [...(await modelsStarted(run, 2)).values()];
    const groups = replicaGroups(run.proc.pid!);
    expect(groups).toHaveLength(2);

    run.proc.kill("SIGINT");
    await until(
      () =>
        started.every((m) => run.err().includes(`lifetimes: model ${m.model} got SIGTERM`)) &&
        run.out().includes("Ctrl-C again to kill every replica now"),
      GONE_MS,
      "the graceful stop to reach the replicas",
    );
    run.proc.kill("SIGINT");
    expect(await run.exited).toEqual({ code: 130, signal: null });
    expect(run.out()).toContain("aksml local: SIGINT again: killed every replica");
    await allGone(groups, started);
  }, 60_000);

  it("SIGTERM while replicas are still starting cancels the 60 s health wait and kills them", async () => {
    const run = startLocal([forker("never-healthy", 2, { LIFETIME_HEALTHY: "0" })]);
    const started = [...(await modelsStarted(run, 2)).values()];
    const groups = started.map((m) => proc(m.model)!.pgid);

    run.proc.kill("SIGTERM");
    // Well before the 60 s health timeout the replicas were waiting on.
    expect(await within(run.exited, 10_000, "the router to exit")).toEqual({ code: 0, signal: null });
    expect(run.out()).not.toContain("router listening");
    for (const m of started) expect(run.err()).toContain(`lifetimes: model ${m.model} got SIGTERM`);
    await allGone(groups, started);
  }, 60_000);

  it("kill -9 of a replica's /bin/sh wrapper takes its model server and grandchild down; the router replaces it", async () => {
    const run = startLocal([forker("forker", 2)]);
    await listening(run);
    const started = await modelsStarted(run, 2);
    const first = started.get("forker/local-1")!;
    const second = started.get("forker/local-2")!;
    // The setup this case is about: the model runs under a /bin/sh that leads its process group.
    expect(readFileSync(`/proc/${first.parent}/comm`, "utf8").trim()).toBe("sh");
    expect(proc(first.model)!.pgid).toBe(first.parent);

    process.kill(first.parent, "SIGKILL");
    await allGone([first.parent], [first]);
    const replacement = (await modelsStarted(run, 3)).get("forker/local-3");
    expect(replacement).toBeDefined();
    expect(running(second.model) && running(second.grandchild)).toBe(true);

    run.proc.kill("SIGTERM");
    expect(await within(run.exited, 20_000, "the router to exit")).toEqual({ code: 0, signal: null });
    await allGone([second.parent, replacement!.parent], [second, replacement!]);
  }, 60_000);
});
