/**
 * The local-process backend with REAL child processes (examples/local/scorer.mjs)
 * on loopback: health-checked start, scale up/down, replacement of a replica that
 * dies, SIGTERM-then-SIGKILL stop, and no child left behind.
 */
import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type {
  EndpointCatalog,
  EndpointSnapshot,
  ServiceCatalog,
  ServiceSnapshot,
} from "../../router/contract/backend.js";
import { parseServiceConfig, type ServiceConfig } from "../../router/contract/serviceConfig.js";
import { LocalProcessBackend, type LocalServiceSpec } from "../../router/backends/local/localBackend.js";

const SCORER = fileURLToPath(new URL("../../examples/local/scorer.mjs", import.meta.url));

/** An in-memory catalog that keeps the latest snapshot per service (and endpoint). */
class RecordingCatalog implements ServiceCatalog, EndpointCatalog {
  readonly latest = new Map<string, ServiceSnapshot>();
  readonly endpoints = new Map<string, EndpointSnapshot>();
  upsertEndpoint(s: EndpointSnapshot): void {
    this.endpoints.set(s.name, s);
  }
  removeEndpoint(name: string): void {
    this.endpoints.delete(name);
  }
  rejectEndpoint(name: string, reason: string): void {
    this.rejected.push(`${name}: ${reason}`);
  }
  withdrawEndpoint(name: string, reason: string): void {
    this.rejected.push(`${name}: ${reason}`);
  }
  readonly rejected: string[] = [];
  upsert(s: ServiceSnapshot): void {
    this.latest.set(s.name, s);
  }
  remove(name: string): void {
    this.latest.delete(name);
  }
  reject(name: string, reason: string): void {
    this.rejected.push(`${name}: ${reason}`);
  }
  withdraw(name: string, reason: string): void {
    this.latest.delete(name);
    this.rejected.push(`${name}: ${reason}`);
  }
}

function config(raw: object): ServiceConfig {
  const r = parseServiceConfig("m", raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A zombie is dead; it only waits for whichever process adopted it to reap it. */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}

let backend: LocalProcessBackend | undefined;
afterEach(async () => {
  await backend?.stop();
  backend = undefined;
});

function spec(over: Partial<LocalServiceSpec> = {}): LocalServiceSpec {
  return {
    name: "m",
    command: `exec "${process.execPath}" "${SCORER}" --port $PORT`,
    config: config({ autoscale: { minReplicas: 1, maxReplicas: 4 } }),
    keys: { primaryKey: "p", secondaryKey: "s" },
    ...over,
  };
}

describe("LocalProcessBackend", () => {
  it("starts min replicas, announces them only once healthy, and they score", async () => {
    const catalog = new RecordingCatalog();
    backend = new LocalProcessBackend([spec()], { onOutput: () => undefined });
    await backend.start(catalog);
    const snap = catalog.latest.get("m")!;
    expect(snap.currentReplicas).toBe(1);
    expect(snap.replicas).toHaveLength(1);
    expect(snap.keys).toEqual({ primaryKey: "p", secondaryKey: "s" });
    const res = await fetch(`${snap.replicas[0]!.url}/score`, {
      method: "POST",
      body: JSON.stringify({ data: [[3, 80, 10]] }),
    });
    expect(await res.json()).toEqual([232.5]);
  });

  it("scales up and down; stopped replicas leave the catalog before they are signalled", async () => {
    const catalog = new RecordingCatalog();
    backend = new LocalProcessBackend([spec()], { onOutput: () => undefined });
    await backend.start(catalog);
    await backend.scale("m", 3);
    expect(catalog.latest.get("m")!.currentReplicas).toBe(3);
    await until(() => catalog.latest.get("m")!.replicas.length === 3);
    const pids = backend.processes("m").map((p) => p.pid);
    expect(new Set(backend.processes("m").map((p) => p.url)).size).toBe(3);

    await backend.scale("m", 1);
    await until(() => catalog.latest.get("m")!.replicas.length === 1 && backend!.processes("m").length === 1);
    await until(() => pids.filter(alive).length === 1);
    // The oldest replica is kept.
    expect(catalog.latest.get("m")!.replicas[0]!.id).toBe("local-1");
  });

  it("replaces a replica that dies", async () => {
    const catalog = new RecordingCatalog();
    backend = new LocalProcessBackend([spec()], { onOutput: () => undefined });
    await backend.start(catalog);
    const [first] = backend.processes("m");
    process.kill(first!.pid!, "SIGKILL");
    await until(() => catalog.latest.get("m")!.replicas.some((r) => r.id !== first!.id));
    expect(catalog.latest.get("m")!.replicas).toHaveLength(1);
    expect(catalog.latest.get("m")!.currentReplicas).toBe(1);
  });

  it("stops a replica that ignores SIGTERM with SIGKILL after the grace period", async () => {
    const catalog = new RecordingCatalog();
    const stubborn = `exec "${process.execPath}" -e "process.on('SIGTERM',()=>{}); require('http').createServer((q,s)=>s.end('Healthy')).listen(process.env.PORT,'127.0.0.1')"`;
    backend = new LocalProcessBackend([spec({ command: stubborn })], { onOutput: () => undefined, stopGraceMs: 300 });
    await backend.start(catalog);
    const pid = backend.processes("m")[0]!.pid;
    const t0 = performance.now();
    await backend.stop();
    const took = performance.now() - t0;
    backend = undefined;
    expect(alive(pid)).toBe(false);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
  });

  it("a graceful stop waits for the model, not for the /bin/sh that runs its command", async () => {
    // No `exec`: the shell stays the model's parent. A shell dies on SIGTERM at once; the
    // model must still get its grace period instead of a SIGKILL to the group right after.
    const lines: string[] = [];
    const draining = `"${process.execPath}" -e "process.on('SIGTERM',()=>setTimeout(()=>{console.log('drained');process.exit(0)},300)); require('http').createServer((q,s)=>s.end('Healthy')).listen(process.env.PORT,'127.0.0.1')"`;
    backend = new LocalProcessBackend([spec({ command: draining })], { onOutput: (_s, _r, line) => lines.push(line) });
    await backend.start(new RecordingCatalog());
    await backend.stop();
    backend = undefined;
    expect(lines).toContain("drained");
  });

  it("a replica is its whole process group: what its command started dies when the command exits", async () => {
    const lines: string[] = [];
    const forking = `sleep 1000 & echo "background $!"; exec "${process.execPath}" "${SCORER}" --port $PORT`;
    backend = new LocalProcessBackend([spec({ command: forking })], { onOutput: (_s, _r, line) => lines.push(line) });
    await backend.start(new RecordingCatalog());
    const background = Number(/^background (\d+)$/m.exec(lines.join("\n"))?.[1]);
    expect(alive(background)).toBe(true);
    try {
      process.kill(backend.processes("m")[0]!.pid!, "SIGKILL");
      await until(() => !alive(background) || zombie(background));
    } finally {
      if (alive(background)) process.kill(background, "SIGKILL");
    }
  });

  it.runIf(process.platform === "linux")(
    "runs the command with stdin /dev/null, no positional parameters and without the router's lifeline fd",
    async () => {
      const lines: string[] = [];
      // (Not inside a $(...): the shell reads a command substitution through a pipe of its own.)
      const probe = `if [ -e /proc/$$/fd/3 ]; then echo "fd3 open"; else echo "fd3 closed"; fi; echo "stdin $(readlink /proc/$$/fd/0) args $# $0"; exec "${process.execPath}" "${SCORER}" --port $PORT`;
      backend = new LocalProcessBackend([spec({ command: probe })], { onOutput: (_s, _r, line) => lines.push(line) });
      await backend.start(new RecordingCatalog());
      expect(lines.slice(0, 2)).toEqual(["fd3 closed", "stdin /dev/null args 0 /bin/sh"]);
    },
  );

  it("gives up on a replica that never becomes healthy, and retries with backoff", async () => {
    const catalog = new RecordingCatalog();
    backend = new LocalProcessBackend([spec({ command: `exec "${process.execPath}" -e "setTimeout(()=>{}, 1e6)"` })], {
      onOutput: () => undefined,
      healthTimeoutMs: 300,
      stopGraceMs: 200,
    });
    await backend.start(catalog);
    expect(catalog.latest.get("m")!.replicas).toHaveLength(0);
    expect(catalog.latest.get("m")!.currentReplicas).toBe(1);
    // A fresh attempt follows after the backoff, and it is never announced either.
    await until(() => backend!.processes("m").some((p) => p.id === "local-2"), 3000);
    expect(catalog.latest.get("m")!.replicas).toHaveLength(0);
  });

  it("passes cwd and env, and substitutes $PORT", async () => {
    const catalog = new RecordingCatalog();
    const cmd = `exec "${process.execPath}" -e "require('http').createServer((q,s)=>s.end(process.cwd()+'|'+process.env.GREETING+'|'+process.argv[1])).listen(Number(process.argv[1]),'127.0.0.1')" $PORT`;
    backend = new LocalProcessBackend([spec({ command: cmd, cwd: "/tmp", env: { GREETING: "hi" } })], {
      onOutput: () => undefined,
    });
    await backend.start(catalog);
    const url = catalog.latest.get("m")!.replicas[0]!.url;
    expect(await (await fetch(url)).text()).toBe(`/tmp|hi|${new URL(url).port}`);
  });

  it("starts numReplicas when autoscale is off, and rejects unknown services", async () => {
    const catalog = new RecordingCatalog();
    backend = new LocalProcessBackend([spec({ config: config({ numReplicas: 2 }) })], { onOutput: () => undefined });
    await backend.start(catalog);
    expect(catalog.latest.get("m")!.replicas).toHaveLength(2);
    await expect(backend.scale("nope", 2)).rejects.toThrow(/unknown local service/);
  });
});
