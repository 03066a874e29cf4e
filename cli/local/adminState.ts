/**
 * How the day-2 commands find and authenticate to a running `aksml local`: at start it
 * writes `<state dir>/aksml/local/admin-<port>.json` (the admin URL, the data URL and a
 * random admin token), readable by this user only (file 0600 in a 0700 directory), and
 * removes it on stop. The admin API answers only requests that carry that token.
 *
 * Why a token and not only a loopback bind: binding to 127.0.0.1 keeps the network out,
 * but not other users of the same machine, nor a web page in the user's browser (a page
 * can send requests to 127.0.0.1, and DNS rebinding can let it read the answers). Keys
 * and tokens must only go to someone who can read a file in this user's home.
 *
 * The state dir is `$XDG_STATE_HOME`, else `~/.local/state` (the XDG default).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export interface LocalAdminState {
  adminUrl: string;
  dataUrl: string;
  /** Bearer token for /admin/v1/*. */
  token: string;
  pid: number;
  /** The config file the router runs. */
  config: string;
}

/** Environment variable overriding the token (e.g. when the admin API is reached through a tunnel). */
export const ADMIN_TOKEN_ENV = "AKSML_LOCAL_ADMIN_TOKEN";

export function adminStateFile(port: number, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(base, "aksml", "local", `admin-${port}.json`);
}

/** Writes the state file (0600, atomically) and returns its path. */
export function writeAdminState(port: number, state: LocalAdminState, env: NodeJS.ProcessEnv = process.env): string {
  const file = adminStateFile(port, env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return file;
}

export function readAdminState(port: number, env: NodeJS.ProcessEnv = process.env): LocalAdminState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(adminStateFile(port, env), "utf8")) as Partial<LocalAdminState>;
    return typeof parsed.token === "string" && typeof parsed.adminUrl === "string"
      ? (parsed as LocalAdminState)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the state file if it is still ours (a newer run on the same port may have replaced it). */
export function removeAdminState(port: number, token: string, env: NodeJS.ProcessEnv = process.env): void {
  if (readAdminState(port, env)?.token === token) rmSync(adminStateFile(port, env), { force: true });
}
