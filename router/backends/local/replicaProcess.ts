/**
 * One local replica: a child process started from the service's command with
 * `$PORT` set, health-checked on `GET /` before it counts as ready, stopped with
 * SIGTERM and, after a grace period, SIGKILL. The child runs in its own process
 * group so a shell wrapper and everything it starts are signalled together.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";

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
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly spec: ReplicaSpec) {
    this.url = `http://${spec.host}:${spec.port}`;
    const port = String(spec.port);
    // $PORT is substituted by the shell from the environment, so `${PORT}` and "$PORT" work too.
    this.child = spawn("/bin/sh", ["-c", spec.command], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, PORT: port },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let buf = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          spec.onOutput(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.state = "exited";
        resolve({ code, signal });
      });
      this.child.once("error", () => {
        this.state = "exited";
        resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Polls `GET /` until it answers 2xx; false if the process exits or the deadline passes first. */
  async waitHealthy(timeoutMs: number, intervalMs = 100): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.state === "starting" && performance.now() < deadline) {
      if (await probe(this.url, Math.min(1000, intervalMs * 5))) return this.state === "starting";
      await Promise.race([new Promise((r) => setTimeout(r, intervalMs)), this.exited]);
    }
    return false;
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`. Resolves once the child has exited. */
  async stop(graceMs: number): Promise<void> {
    this.stoppedOnPurpose = true;
    if (this.state === "exited") return;
    this.state = "stopping";
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
    // The shell may be gone while a grandchild lingers; make sure the group is gone too.
    this.signal("SIGKILL");
  }

  /** Synchronous last resort when the router itself is exiting. */
  killNow(): void {
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
