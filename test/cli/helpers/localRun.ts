/**
 * A real `aksml local` child process for the day-2 tests: a config in a temp dir (the
 * example scorer copied next to it), a private state dir for the admin token file, and
 * the data and admin URLs it printed.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../runCli.js";
import { cleanEnv, startCli, until, type CliProcess } from "./cliProcess.js";

export interface LocalRun {
  dir: string;
  configFile: string;
  env: Record<string, string>;
  proc: CliProcess;
  dataUrl: string;
  adminUrl: string;
  stop(): Promise<number | null>;
}

/** Starts `aksml local` on free ports with `services` (scorer.mjs and model.json are in its cwd). */
export async function startLocal(services: unknown[], extraEnv: Record<string, string> = {}): Promise<LocalRun> {
  const dir = mkdtempSync(join(tmpdir(), "aksml-day2-local-"));
  for (const f of ["scorer.mjs", "model.json"]) copyFileSync(join(REPO_ROOT, "examples/local", f), join(dir, f));
  const configFile = join(dir, "aksml-local.json");
  writeFileSync(configFile, `${JSON.stringify({ port: 0, adminPort: 0, services }, null, 2)}\n`);
  const env = cleanEnv({ XDG_STATE_HOME: join(dir, "state"), AKSML_LOG_LEVEL: "warn", ...extraEnv });
  const proc = startCli(["local", configFile], env);
  const [dataUrl, adminUrl] = await until(() => {
    const data = /router listening on (http:\/\/\S+)/.exec(proc.out())?.[1];
    const admin = /admin API for the day-2 commands \(--local\): (http:\/\/\S+)/.exec(proc.out())?.[1];
    return data && admin ? [data, admin] : undefined;
  }, "aksml local to start");
  return {
    dir,
    configFile,
    env,
    proc,
    dataUrl,
    adminUrl,
    async stop() {
      if (proc.proc.exitCode === null) proc.proc.kill("SIGTERM");
      return proc.exited;
    },
  };
}

export const SAMPLE = '{"data":[[3,80,10],[1,30,50]]}';

export function scorer(name: string, config: object, extra: object = {}): object {
  return { name, command: "node scorer.mjs --port $PORT", cwd: ".", config, ...extra };
}
