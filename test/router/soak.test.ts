/**
 * Soak: a mix of hostile clients against a router in its own process (so its RSS and its
 * SIGTERM are real), in front of a 1-replica x 1-slot service: pipelined requests closed
 * early, readers that stop reading, slowloris headers, oversized bodies, forged keys, and a
 * flood of 64 KiB bodies at a second service. Throughout, a well-behaved client still gets
 * 200 within the service's timeouts; the router's RSS stays bounded; SIGTERM, with hostile
 * connections still open, ends the process within the grace period.
 *
 * Bounds are generous (a loaded 2-core machine): the assertions are about what must never
 * happen (a 503 or no answer for the well-behaved client, RSS growing without bound, a
 * process that does not exit), not about speed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerResponse } from "node:http";
import { Agent, fetch } from "undici";
import { startReplica, sleep, type TestReplica } from "./helpers/upstream.js";
import { startChildRouter, type ChildRouter } from "./helpers/childRouter.js";
import { KEYS } from "./helpers/router.js";
import { openRaw, requestText } from "./helpers/rawClient.js";

const SOAK_MS = 12_000;
const GRACE_MS = 4_000;
const SCORING_TIMEOUT_MS = 2_000;
const WAIT_MS = 15_000;
const AUTH = `Bearer ${KEYS.primaryKey}`;
const ANSWER = Buffer.alloc(64 * 1024, 97);
const CHUNK = Buffer.alloc(64 * 1024, 121);
/** What the hostile clients ask for: an answer that never ends, more than any socket buffer holds. */
const ENDLESS = { authorization: AUTH, "x-want": "endless" };

/** Resolves on the next `drain` or `close`, leaving no listener behind (the loop above waits many times). */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.once("drain", done).once("close", done);
  });
}

let replica: TestReplica;
let bulk: TestReplica;
let router: ChildRouter;

beforeAll(async () => {
  replica = await startReplica("r", async (req, res: ServerResponse) => {
    if (req.headers["x-want"] === "endless") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      while (!res.destroyed) if (!res.write(CHUNK)) await drainOrClose(res);
      return;
    }
    await sleep(20);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(ANSWER.length) });
    res.end(ANSWER);
  });
  bulk = await startReplica("bulk", async (_req, res) => {
    await sleep(200);
    res.end("ok");
  });
  router = await startChildRouter(
    [
      {
        name: "m",
        keys: KEYS,
        config: {
          maxConcurrentRequestsPerContainer: 1,
          scoringTimeoutMs: SCORING_TIMEOUT_MS,
          maxRequestWaitTimeMs: WAIT_MS,
        },
        replicas: [replica.endpoint],
      },
      { name: "bulk", keys: KEYS, config: { maxRequestWaitTimeMs: 1000 }, replicas: [bulk.endpoint] },
    ],
    { env: { ROUTER_GRACE_MS: String(GRACE_MS) } },
  );
});

afterAll(async () => {
  router?.proc.kill("SIGKILL");
  await Promise.all([replica.close(), bulk.close()]);
});

const M = "/api/v1/service/m/score";

/** Runs `step` again and again until `stop` is set; errors are part of being hostile. */
function loop(state: { stop: boolean }, step: () => Promise<unknown>): Promise<void> {
  return (async () => {
    while (!state.stop) await step().catch(() => undefined);
  })();
}

const hostile = {
  /** Two pipelined requests for endless answers, then gone after 0.1 s (issue 15 item 1). */
  async pipelineAndLeave(url: string) {
    const c = await openRaw(url, { paused: true });
    c.socket.write(Buffer.concat([requestText("GET", M, ENDLESS), requestText("GET", M, ENDLESS)]));
    await sleep(100);
    c.socket.destroy();
  },
  /** Reads nothing of an endless answer, for longer than the scoring timeout (item 2). */
  async readNothing(url: string) {
    const c = await openRaw(url, { paused: true });
    c.socket.write(requestText("GET", M, ENDLESS));
    await sleep(SCORING_TIMEOUT_MS * 1.5);
    c.socket.destroy();
  },
  /** Headers one byte every 200 ms, until the router closes the connection. */
  async slowloris(url: string) {
    const c = await openRaw(url);
    const text = requestText("GET", M, { authorization: AUTH, "x-pad": "p".repeat(500) });
    for (let i = 0; i < text.length && !c.socket.destroyed && !c.socket.readableEnded; i++) {
      c.socket.write(text.subarray(i, i + 1));
      await Promise.race([sleep(200), c.closed]);
    }
    c.socket.destroy();
  },
  /** Declares 200 MB, sends 64 KiB. */
  async oversized(url: string) {
    const c = await openRaw(url);
    c.socket.write(requestText("POST", M, { authorization: AUTH, "content-length": String(200 * 1024 * 1024) }));
    c.socket.write(Buffer.alloc(64 * 1024, 98));
    await Promise.race([c.closed, sleep(2000)]);
    c.socket.destroy();
  },
  /** Wrong, malformed and huge credentials. */
  async forgedKey(url: string, i: number) {
    const keys = [
      `Bearer ${KEYS.primaryKey}x`,
      "Bearer \u0000\u0001",
      `Bearer ${"a".repeat(9000)}`,
      `Basic ${KEYS.primaryKey}`,
    ];
    const r = await fetch(`${url}${M}`, {
      method: "POST",
      body: "{}",
      headers: { authorization: keys[i % keys.length]! },
    });
    await r.arrayBuffer();
    if (r.status !== 401) throw new Error(`forged key got ${r.status}`);
  },
};

describe("soak: hostile clients against a 1-replica x 1-slot service", () => {
  it("a well-behaved client keeps getting 200, RSS stays bounded, SIGTERM ends the process within the grace period", async () => {
    const url = router.dataUrl;
    const state = { stop: false };
    const loops: Promise<void>[] = [];
    loops.push(loop(state, () => hostile.pipelineAndLeave(url)));
    for (let i = 0; i < 2; i++) loops.push(loop(state, () => hostile.readNothing(url)));
    for (let i = 0; i < 20; i++) loops.push(loop(state, () => hostile.slowloris(url)));
    loops.push(loop(state, () => hostile.oversized(url)));
    let forged = 0;
    loops.push(loop(state, () => hostile.forgedKey(url, forged++)));
    // Bursts of 300 concurrent 64 KiB bodies at the other service: its queue (100) overflows.
    const flood = new Agent({ connections: 300 });
    const floodStatuses = new Map<number, number>();
    loops.push(
      loop(state, async () => {
        const body = Buffer.alloc(64 * 1024, 99);
        await Promise.all(
          Array.from({ length: 300 }, async () => {
            const r = await fetch(`${url}/api/v1/service/bulk/score`, {
              method: "POST",
              body,
              headers: { authorization: AUTH },
              dispatcher: flood,
            });
            await r.arrayBuffer();
            floodStatuses.set(r.status, (floodStatuses.get(r.status) ?? 0) + 1);
          }),
        );
      }),
    );

    // The well-behaved client: one request after another, each bounded by the service's timeouts.
    const good: Array<number | string> = [];
    const end = Date.now() + SOAK_MS;
    while (Date.now() < end) {
      const status = await fetch(`${url}${M}`, {
        method: "POST",
        body: '{"data":[1]}',
        headers: { authorization: AUTH },
        signal: AbortSignal.timeout(WAIT_MS + SCORING_TIMEOUT_MS + 5_000),
      }).then(
        async (r) => ((await r.arrayBuffer()).byteLength === ANSWER.length ? r.status : `short body (${r.status})`),
        (e: Error) => `no answer: ${e.message}`,
      );
      good.push(status);
    }
    state.stop = true;

    expect(good.length).toBeGreaterThan(0);
    expect(good.filter((s) => s !== 200)).toEqual([]);
    expect(forged).toBeGreaterThan(0);
    expect(floodStatuses.get(503) ?? 0).toBeGreaterThan(0); // the bulk queue overflowed...
    expect(floodStatuses.get(200) ?? 0).toBeGreaterThan(0); // ...and still served

    const rss = (await (await fetch(`${router.adminUrl}/test/rss`)).json()) as { baselineRss: number; peakRss: number };
    const grownMb = (rss.peakRss - rss.baselineRss) / 2 ** 20;
    expect(grownMb).toBeLessThan(250);

    // SIGTERM with hostile connections still open: a reader holding the slot, slowloris headers.
    const held = await openRaw(url, { paused: true });
    held.socket.write(requestText("GET", M, ENDLESS));
    const loris = await openRaw(url);
    loris.socket.write("GET /api/v1/service/m/score HTTP/1.1\r\nhost: x\r\n");
    const pipelined = await openRaw(url, { paused: true });
    pipelined.socket.write(Buffer.concat([requestText("GET", M, ENDLESS), requestText("GET", M, ENDLESS)]));
    await sleep(100);
    pipelined.socket.destroy();
    const termAt = Date.now();
    router.proc.kill("SIGTERM");
    const code = await Promise.race([router.exited, sleep(GRACE_MS + 10_000).then(() => "still running")]);
    const exitMs = Date.now() - termAt;
    held.socket.destroy();
    loris.socket.destroy();
    await Promise.all(loops);
    await flood.destroy();
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(GRACE_MS + 10_000);
    console.log(
      `soak: ${good.length} good requests all 200; RSS +${grownMb.toFixed(0)} MB; flood ${JSON.stringify(Object.fromEntries(floodStatuses))}; exit ${exitMs} ms after SIGTERM`,
    );
  }, 60_000);
});
