// Runs `aksml` as a real child process: each plan needs a fresh Pulumi runtime.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `encoding: "buffer"` keeps stdout as bytes (binary formats such as PNG). */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  encoding: "utf8" | "buffer" = "utf8",
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx/esm", "cli/main.ts", ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const bytes = Buffer.concat(chunks);
      resolve({ code, stdout: (encoding === "buffer" ? bytes : bytes.toString("utf8")) as string, stderr });
    });
  });
}
