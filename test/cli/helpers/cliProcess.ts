/**
 * `aksml` as a real child process that a test can watch while it runs (output so far,
 * signals, exit), plus a clean environment: no Azure or Kubernetes credentials of the
 * machine leak into a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname } from "node:path";
import { REPO_ROOT } from "../runCli.js";

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

export function startCli(args: string[], env: Record<string, string>): CliProcess {
  const proc = spawn(process.execPath, ["--import", "tsx/esm", "cli/main.ts", ...args], {
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
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startCli(args, env);
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
