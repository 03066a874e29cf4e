/**
 * One local replica: a child process started from the service's command with
 * `$PORT` set, health-checked on `GET /` before it counts as ready, stopped with
 * SIGTERM and, after a grace period, SIGKILL. The child runs in its own process
 * group so a shell wrapper and everything it starts are signalled together, and
 * that group dies with the router however the router ends (see WRAPPER).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import type { Socket } from "node:net";

/**
 * The /bin/sh that leads a replica's process group; `$1` is the service's command.
 *
 * Line 1, the lifeline guard: fd 3 is one end of a socket pair whose other end only the
 * router holds (close-on-exec there, so no other process inherits it), and nothing is ever
 * written to it. A subshell in the group blocks reading it; end-of-file means the router is
 * gone, however it ended (SIGKILL included), and the subshell SIGKILLs the whole group. It
 * ignores HUP/INT/TERM so that a graceful stop cannot remove the guard before the model has
 * exited (the router's SIGKILL to the group ends it), and it holds none of the output pipes.
 * Line 2: the command never sees fd 3; its stdin, stdout and stderr are as they always were.
 * Line 3: a shell waiting on its foreground command dies at once on SIGTERM, after which the
 * router would kill the group before the model finished its own graceful stop; a trapped
 * signal waits for the foreground command instead. Caught signals are reset to the default
 * in every program the shell starts, so the model's own signal handling is unchanged.
 * Line 4: runs the command in this shell, without positional parameters, as `sh -c` did.
 */
const WRAPPER = [
  "( trap '' HUP INT TERM; while read -r _; do :; done; kill -KILL 0 ) <&3 >/dev/null 2>&1 &",
  "exec 3<&-",
  "trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM",
  'eval "set --; $1"',
].join("\n");

/** Longest run of output without a newline held before it is passed on as a line. */
const MAX_PENDING_LINE_CHARS = 64 * 1024;

export interface ReplicaSpec {
  id: string;
  command: string;
  cwd?: string;
  env?: Record<string, string>;
  host: string;
  port: number;
  /** Receives the child's stdout/stderr lines. */
  onOutput: (line: string) => void;
}

export type ReplicaState = "starting" | "ready" | "stopping" | "exited";

export class ReplicaProcess {
  readonly url: string;
  state: ReplicaState = "starting";
  /** Set by stop(): an exit after it is expected, not a crash to replace. */
  stoppedOnPurpose = false;
  /** Set once the replica passed its health check (whatever its state now). */
  get becameReady(): boolean {
    return this.readySeen || this.state === "ready";
  }
  private readySeen = false;
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stop() or killNow() is called, so a health wait ends at once. */
  private readonly stopRequested: Promise<void>;
  private requestStop!: () => void;

  constructor(readonly spec: ReplicaSpec) {
    this.url = `http://${spec.host}:${spec.port}`;
    const port = String(spec.port);
    this.stopRequested = new Promise((resolve) => (this.requestStop = resolve));
    // $PORT is substituted by the shell from the environment, so `${PORT}` and "$PORT" work too.
    // $0 is "/bin/sh", as it was for `/bin/sh -c <command>`.
    this.child = spawn("/bin/sh", ["-c", WRAPPER, "/bin/sh", spec.command], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, PORT: port },
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    const lifeline = this.child.stdio[3] as Socket | null;
    // Nothing is written or read on it; a reset as the guard dies must not become an uncaught error.
    lifeline?.on("error", () => undefined);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let buf = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          spec.onOutput(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
        // Output that never ends a line must not grow without bound: pass it on in pieces.
        if (buf.length > MAX_PENDING_LINE_CHARS) {
          spec.onOutput(buf);
          buf = "";
        }
      });
    }
    this.exited = new Promise((resolve) => {
      const exited = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.state === "exited") return;
        if (this.state === "ready") this.readySeen = true;
        this.state = "exited";
        // Whatever the command left in its group (a server it forked, the lifeline guard)
        // goes with it: a replica is its whole process group, not only its shell.
        this.signal("SIGKILL");
        lifeline?.destroy();
        resolve({ code, signal });
      };
      this.child.once("exit", exited);
      this.child.once("error", () => exited(null, null));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Polls `GET /` until it answers 2xx; false if the process exits, the replica is
   * stopped (at once, not after the probe or the deadline) or the deadline passes first.
   */
  async waitHealthy(timeoutMs: number, intervalMs = 100): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    const interrupted = Promise.race([this.exited, this.stopRequested]).then(() => false);
    while (this.state === "starting" && performance.now() < deadline) {
      if (await Promise.race([probe(this.url, Math.min(1000, intervalMs * 5)), interrupted]))
        return this.state === "starting";
      await Promise.race([new Promise((r) => setTimeout(r, intervalMs)), interrupted]);
    }
    return false;
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`. Resolves once the child has exited and its group is killed. */
  async stop(graceMs: number): Promise<void> {
    this.stoppedOnPurpose = true;
    this.requestStop();
    if (this.state === "exited") return;
    this.state = "stopping";
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL to the process group, synchronously: when the router must exit now. */
  killNow(): void {
    this.stoppedOnPurpose = true;
    this.requestStop();
    this.signal("SIGKILL");
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // Already gone.
    }
  }
}

function probe(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${url}/`, { method: "GET", timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
