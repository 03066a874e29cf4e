/**
 * The per-service queue length limit, maxQueuedRequests (issue 15 item 3: 1,500 queued
 * 64 KiB requests took the router from 134 to 301 MB): past it a request is answered 503
 * with Retry-After at once, before its body is read, and reaches no replica.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { openRaw, parseResponses, requestText } from "./helpers/rawClient.js";
import { until } from "./helpers/poll.js";

const OPEN = { auth: { mode: "none" } };

let router: TestRouter;
let gated: TestReplica;
const gates: Array<() => void> = [];

beforeAll(async () => {
  gated = await startReplica("gated", async (_req, res, body) => {
    await new Promise<void>((r) => gates.push(r));
    res.end(`ok ${body.length}`);
  });
  router = await startTestRouter([
    {
      name: "capped",
      config: { ...OPEN, maxQueuedRequests: 3, maxRequestWaitTimeMs: 30_000 },
      replicas: [gated.endpoint],
    },
    { name: "noqueue", config: { ...OPEN, maxQueuedRequests: 0 }, replicas: [gated.endpoint] },
  ]);
});

afterAll(async () => {
  for (const g of gates.splice(0)) g();
  await router.stop();
  await gated.close();
});

const post = (svc: string, body: string | Buffer = "{}") =>
  fetch(`${router.dataUrl}/api/v1/service/${svc}/score`, { method: "POST", body }).then(async (r) => ({
    status: r.status,
    retryAfter: r.headers.get("retry-after"),
    connection: r.headers.get("connection"),
    text: await r.text(),
  }));

async function releaseOneByOne(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await until(() => gates.length > 0, "a request at the replica");
    gates.shift()!();
  }
}

describe("maxQueuedRequests", () => {
  it("answers 503 with Retry-After at once past the limit, and serves the queue in order after", async () => {
    const svc = router.registry.get("capped")!;
    const first = post("capped");
    await until(() => gates.length === 1, "the first request at the replica");
    const queued = [1, 2, 3].map(() => post("capped"));
    await until(() => svc.queued === 3, "three requests queued");
    const hits = gated.hits;

    // A small body and a large (streamed) one: both refused before their bodies are read.
    for (const body of ["{}", Buffer.alloc(256 * 1024, 97)]) {
      const r = await post("capped", body);
      expect(r.status).toBe(503);
      expect(r.retryAfter).toBe("1");
      expect(r.connection).toBe("close");
      expect(JSON.parse(r.text).error.message).toContain("maxQueuedRequests");
    }
    expect(gated.hits).toBe(hits);
    expect(svc.queued).toBe(3);

    await releaseOneByOne(4);
    expect((await Promise.all([first, ...queued])).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await until(() => svc.queued === 0 && svc.inFlight === 0, "an idle service");
  });

  it("also refuses a request that found room but the queue filled while its body arrived", async () => {
    const svc = router.registry.get("capped")!;
    const first = post("capped");
    await until(() => gates.length === 1, "the first request at the replica");
    const queued = [post("capped"), post("capped")];
    await until(() => svc.queued === 2, "two requests queued");
    // Room for one more: this client declares a body and sends half of it.
    const c = await openRaw(router.dataUrl);
    const full = requestText("POST", "/api/v1/service/capped/score", {}, "0123456789");
    c.socket.write(full.subarray(0, full.length - 5));
    await until(() => router.activeRequests() === 4, "the router reading its body");
    queued.push(post("capped"));
    await until(() => svc.queued === 3, "the queue full");
    c.socket.write(full.subarray(full.length - 5));
    await until(() => parseResponses(c.received()).length === 1, "an answer");
    const [answer] = parseResponses(c.received());
    expect(answer!.status).toBe(503);
    expect(answer!.headers["retry-after"]).toBe("1");
    c.socket.destroy();

    await releaseOneByOne(4);
    expect((await Promise.all([first, ...queued])).map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it("0 never queues: a busy service answers 503 at once", async () => {
    const first = post("noqueue");
    await until(() => gates.length === 1, "the first request at the replica");
    const r = await post("noqueue");
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe("1");
    await releaseOneByOne(1);
    expect((await first).status).toBe(200);
  });
});
