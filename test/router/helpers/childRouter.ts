/** Runs test/router/fixtures/routerProcess.ts in a child process and waits for its URLs. */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { StaticService } from "./staticBackend.js";

export interface ChildRouter {
  proc: ChildProcess;
  dataUrl: string;
  adminUrl: string;
  stderr(): string;
  exited: Promise<number | null>;
}

const FIXTURE = fileURLToPath(new URL("../fixtures/routerProcess.ts", import.meta.url));

export async function startChildRouter(
  services: StaticService[],
  opts: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<ChildRouter> {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--import", "tsx", FIXTURE], {
    env: { ...process.env, ROUTER_SERVICES: JSON.stringify(services), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  proc.stderr!.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const lines = createInterface({ input: proc.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    exited.then((code) => reject(new Error(`router process exited (${code}) before listening: ${err}`)));
  });
  const { dataUrl, adminUrl } = JSON.parse(first) as { dataUrl: string; adminUrl: string };
  return { proc, dataUrl, adminUrl, stderr: () => err, exited };
}
