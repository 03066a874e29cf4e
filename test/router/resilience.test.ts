/**
 * Under load: a replica killed with SIGKILL costs no request that had not reached
 * it; key rotation costs nothing; SIGTERM drains in-flight requests before exit.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startReplica, sleep } from "./helpers/upstream.js";
import { startTestRouter, KEYS } from "./helpers/router.js";
import { startChildRouter } from "./helpers/childRouter.js";
import { until } from "./helpers/poll.js";

const REPLICA = fileURLToPath(new URL("./fixtures/replicaProcess.mjs", import.meta.url));

interface ReplicaProc {
  proc: ChildProcess;
  url: string;
  arrived: Set<string>;
  answered: Set<string>;
}

async function replicaProcess(delayMs: number): Promise<ReplicaProc> {
  const proc = spawn(process.execPath, [REPLICA], {
    env: { ...process.env, REPLICA_DELAY_MS: String(delayMs) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const r: ReplicaProc = { proc, url: "", arrived: new Set(), answered: new Set() };
  const lines = createInterface({ input: proc.stdout! });
  await new Promise<void>((resolve) =>
    lines.on("line", (line) => {
      const [kind, value] = line.split(" ") as [string, string];
      if (kind === "port") {
        r.url = `http://127.0.0.1:${value}`;
        resolve();
      } else if (kind === "in") r.arrived.add(value);
      else if (kind === "out") r.answered.add(value);
    }),
  );
  return r;
}

/** `workers` loops sending requests until `stop()`; returns the ids and statuses of every request. */
function load(url: string, workers: number, authorization: () => string) {
  let running = true;
  const results: Array<{ id: string; status: number | "error" }> = [];
  let n = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const id = `w${w}-${n++}`;
      try {
        const res = await fetch(url, {
          method: "POST",
          body: '{"data":[1]}',
          headers: { authorization: authorization(), "x-request-id": id },
        });
        await res.arrayBuffer();
        results.push({ id, status: res.status });
      } catch {
        results.push({ id, status: "error" });
      }
    }
  });
  return {
    results,
    async stop() {
      running = false;
      await Promise.all(loops);
      return results;
    },
  };
}

const cleanup: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe("under load", () => {
  it("loses no request that had not reached a replica killed with SIGKILL", async () => {
    const reps = await Promise.all([replicaProcess(5), replicaProcess(5), replicaProcess(5)]);
    cleanup.push(() => reps.forEach((r) => r.proc.kill("SIGKILL")));
    const router = await startTestRouter([
      {
        name: "m",
        keys: KEYS,
        config: { maxConcurrentRequestsPerContainer: 4, maxRequestWaitTimeMs: 5000 },
        replicas: reps.map((r, i) => ({ id: `r${i}`, url: r.url })),
      },
    ]);
    cleanup.push(() => router.stop());
    const l = load(`${router.dataUrl}/api/v1/service/m/score`, 16, () => `Bearer ${KEYS.primaryKey}`);
    const victim = reps[1]!;
    // Load-driven rather than timed, so a slow shared CI machine does not thin the test out.
    while (victim.arrived.size < 20) await sleep(10);
    victim.proc.kill("SIGKILL");
    await new Promise((r) => victim.proc.once("exit", r));
    const atKill = l.results.length;
    while (l.results.length < atKill + 150) await sleep(10);
    const results = await l.stop();
    const failed = results.filter((r) => r.status !== 200);
    const reachedVictimUnanswered = [...victim.arrived].filter((id) => !victim.answered.has(id));
    for (const f of failed) expect(reachedVictimUnanswered).toContain(f.id);
    expect(failed.length).toBeLessThanOrEqual(reachedVictimUnanswered.length);
    const metrics = await (await fetch(`${router.adminUrl}/metrics`)).text();
    // Requests sent to the dead replica after it died were retried, not failed.
    expect(
      Number(metrics.match(/aksml_router_upstream_retries_total\{service="m"\} (\d+)/)?.[1] ?? 0),
    ).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it("rotates both keys under load with zero failed requests", async () => {
    const replica = await startReplica("r0");
    cleanup.push(() => replica.close());
    const router = await startTestRouter([
      { name: "m", keys: KEYS, config: { maxConcurrentRequestsPerContainer: 8 }, replicas: [replica.endpoint] },
    ]);
    cleanup.push(() => router.stop());
    // The client holds one key and switches only after the router has the new one, as
    // a caller does after `regen-key`: regenerate the secondary, move clients to it,
    // then regenerate the primary.
    let clientKey = KEYS.primaryKey;
    const l = load(`${router.dataUrl}/api/v1/service/m/score`, 8, () => `Bearer ${clientKey}`);
    // Paced by completed requests rather than time, so a slow machine does not thin the test out.
    const served = (n: number) => {
      const target = l.results.length + n;
      return until(() => l.results.length >= target, `${n} more requests answered`);
    };
    const steps = [
      { primaryKey: KEYS.primaryKey, secondaryKey: "s2-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
      {
        primaryKey: "p2-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        secondaryKey: "s2-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      },
      {
        primaryKey: "p2-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        secondaryKey: "s3-cccccccccccccccccccccccccccccccccccc",
      },
    ];
    await served(20);
    let prev = KEYS;
    for (const keys of steps) {
      router.backend.set({
        name: "m",
        keys,
        config: { maxConcurrentRequestsPerContainer: 8 },
        replicas: [replica.endpoint],
      });
      await served(20);
      // Move to the key that just changed: the other one is the next to be regenerated.
      clientKey = keys.secondaryKey !== prev.secondaryKey ? keys.secondaryKey : keys.primaryKey;
      prev = keys;
      await served(20);
    }
    const results = await l.stop();
    expect(results.length).toBeGreaterThan(30);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(
      (
        await fetch(`${router.dataUrl}/api/v1/service/m/score`, {
          method: "POST",
          headers: { authorization: `Bearer ${KEYS.primaryKey}` },
        })
      ).status,
    ).toBe(401);
  }, 30_000);

  it("drains in-flight requests on SIGTERM, refuses new ones, then exits 0", async () => {
    const replica = await startReplica("slow", async (_req, res) => {
      await sleep(600);
      res.end("done");
    });
    cleanup.push(() => replica.close());
    const router = await startChildRouter([
      {
        name: "m",
        config: { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 10 },
        replicas: [replica.endpoint],
      },
    ]);
    const inflight = Array.from({ length: 5 }, () =>
      fetch(`${router.dataUrl}/api/v1/service/m/score`, { method: "POST", body: "{}" }).then(async (r) => [
        r.status,
        await r.text(),
      ]),
    );
    while (replica.active < 5) await sleep(10);
    router.proc.kill("SIGTERM");
    await until(async () => (await fetch(`${router.adminUrl}/readyz`)).status === 503, "/readyz 503 while draining");
    await expect(fetch(`${router.dataUrl}/healthz`)).rejects.toThrow();
    expect(await Promise.all(inflight)).toEqual(Array.from({ length: 5 }, () => [200, "done"]));
    expect(await router.exited).toBe(0);
  }, 30_000);
});
