/**
 * `aksml` as a real child process that a test can watch while it runs (output so far,
 * signals, exit), plus a clean environment: no Azure or Kubernetes credentials of the
 * machine leak into a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../runCli.js";

/** node's arguments to run `aksml` from its TypeScript sources (tsx, in the repository). */
export const SOURCE_CLI = ["--import", "tsx/esm", "cli/main.ts"];

/** What tsconfig.build.json compiles into dist/ (the compiled CLI's whole import graph). */
const BUILT_FROM = ["index.ts", "components", "preview", "policy", "cli", "router"];

/**
 * node's arguments to run the compiled `aksml` (dist/cli/main.js, what the package's bin
 * runs; `npm ci` builds it through `prepare`) when it is current, else SOURCE_CLI.
 * Current: every source file tsconfig.build.json compiles has its .js in dist/, written
 * after the source last changed, so the compiled CLI is the sources' CLI; an edit since
 * the last `npm run build` falls back to tsx (slower, never stale). Why: a spawn through
 * tsx costs ~1.4 s of CPU against ~0.6 s compiled, and a file of day-2 tests starts ~40.
 */
export function currentCli(): string[] {
  const stale = staleSource();
  if (stale === undefined) return ["dist/cli/main.js"];
  console.warn(`dist/ is older than ${stale} (npm run build refreshes it): aksml runs through tsx`);
  return SOURCE_CLI;
}

/**
 * The first source file (under `roots`, files or folders relative to the repository) whose
 * compiled output in dist/ is missing or older than it, if any.
 */
export function staleSource(roots: readonly string[] = BUILT_FROM): string | undefined {
  const pending = [...roots];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const src = statSync(join(REPO_ROOT, rel), { throwIfNoEntry: false });
    if (!src) continue;
    if (src.isDirectory()) {
      for (const entry of readdirSync(join(REPO_ROOT, rel)))
        if (entry !== "node_modules" && entry !== "dist") pending.push(join(rel, entry));
    } else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) {
      const out = statSync(join(REPO_ROOT, "dist", rel.replace(/\.ts$/, ".js")), { throwIfNoEntry: false });
      if (!out || out.mtimeMs < src.mtimeMs) return rel;
    }
  }
  return undefined;
}

export interface CliProcess {
  proc: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

/** The test process's environment minus AZURE_*, IDENTITY_*, MSI_* and KUBECONFIG, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(AZURE_|IDENTITY_|MSI_|IMDS_|KUBECONFIG$|AKSML_LOCAL_ADMIN_TOKEN$)/.test(k)) env[k] = v;
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ""}`;
  return { ...env, ...extra };
}

/** `cli`: node's arguments that run `aksml` (SOURCE_CLI unless given, e.g. currentCli()). */
export function startCli(args: string[], env: Record<string, string>, cli = SOURCE_CLI): CliProcess {
  const proc = spawn(process.execPath, [...cli, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, out: () => out, err: () => err, exited };
}

export async function runCliIn(
  args: string[],
  env: Record<string, string>,
  cli = SOURCE_CLI,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startCli(args, env, cli);
  const code = await p.exited;
  // 'exit' can come before the pipes are drained.
  await new Promise((r) => setImmediate(r));
  return { code, stdout: p.out(), stderr: p.err() };
}

export async function until<T>(
  f: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
