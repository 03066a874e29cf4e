/**
 * Clients that hold a connection without finishing their part (issue 15 item 2 and the
 * listener's bounds): a reader that stops reading gives its replica slot back within
 * scoringTimeoutMs of dispatch and its connection is closed; a response that makes no
 * write progress is aborted after writeStallMs; headers sent one byte at a time, a
 * connection that sends nothing, oversized headers and a stalled streamed upload are cut
 * off, each within its bound.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerResponse } from "node:http";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { openRaw, parseResponses, requestText } from "./helpers/rawClient.js";
import { until } from "./helpers/poll.js";

const OPEN = { auth: { mode: "none" } };
const CHUNK = Buffer.alloc(64 * 1024, 121);

/** Writes up to 256 MiB with backpressure until the connection goes away: far more than socket buffers hold. */
async function endless(res: ServerResponse): Promise<void> {
  res.writeHead(200, { "content-type": "application/octet-stream" });
  for (let i = 0; i < 4096 && !res.destroyed; i++) {
    if (!res.write(CHUNK)) await new Promise((r) => res.once("drain", r).once("close", r));
  }
  res.end();
}

let huge: TestReplica;
let echo: TestReplica;
let bodyWaiter: TestReplica;

beforeAll(async () => {
  huge = await startReplica("huge", (_req, res) => endless(res));
  echo = await startReplica("echo");
  // Answers only once the whole body arrived (the helper reads it first).
  bodyWaiter = await startReplica("body-waiter", (_req, res, body) => void res.end(String(body.length)));
});

afterAll(async () => {
  await Promise.all([huge.close(), echo.close(), bodyWaiter.close()]);
});

function serviceOf(router: TestRouter, name: string) {
  return router.registry.get(name)!;
}

describe("a client that stops reading", () => {
  let router: TestRouter;
  beforeAll(async () => {
    // A write-stall bound far above the scoring timeout: only the exchange deadline can act here.
    router = await startTestRouter(
      [
        {
          name: "huge",
          config: { ...OPEN, scoringTimeoutMs: 1500, maxRequestWaitTimeMs: 100 },
          replicas: [huge.endpoint],
        },
      ],
      { clientTimeouts: { writeStallMs: 600_000 } },
    );
  });
  afterAll(() => router.stop());

  it("gives its replica slot back within scoringTimeoutMs of dispatch, and its connection is closed", async () => {
    const c = await openRaw(router.dataUrl, { paused: true });
    c.socket.write(requestText("GET", "/api/v1/service/huge/score", { "x-request-id": "reads-nothing" }));
    const svc = serviceOf(router, "huge");
    await until(() => svc.inFlight === 1, "the request holds the only slot");
    // The one slot is taken: another client is turned away meanwhile.
    expect((await fetch(`${router.dataUrl}/api/v1/service/huge/score`)).status).toBe(503);
    await until(() => svc.inFlight === 0, "the slot given back");
    // Reading again, the client finds the connection closed after what was buffered.
    c.socket.resume();
    await c.closed;
    await until(() => router.logText().includes('"reqId":"reads-nothing"'), "the access line");
    const line = router
      .logText()
      .split("\n")
      .find((l) => l.includes('"reqId":"reads-nothing"') && l.includes('"msg":"request"'));
    expect(line).toContain('"status":504');
    await until(() => router.activeRequests() === 0, "no active request");
  });
});

describe("a response that makes no write progress", () => {
  let router: TestRouter;
  beforeAll(async () => {
    // A scoring timeout far above the write-stall bound: only the stall watch can act here.
    router = await startTestRouter(
      [{ name: "huge", config: { ...OPEN, scoringTimeoutMs: 600_000 }, replicas: [huge.endpoint] }],
      { clientTimeouts: { writeStallMs: 500 } },
    );
  });
  afterAll(() => router.stop());

  it("is aborted after writeStallMs: the connection closed, the slot given back", async () => {
    const c = await openRaw(router.dataUrl, { paused: true });
    c.socket.write(requestText("GET", "/api/v1/service/huge/score"));
    const svc = serviceOf(router, "huge");
    await until(() => svc.inFlight === 1, "the request holds the slot");
    await until(() => svc.inFlight === 0 && router.activeRequests() === 0, "the slot given back");
    c.socket.resume();
    await c.closed;
  });

  it("a client that reads, however slowly, is not cut off", async () => {
    router.backend.set({
      name: "echo",
      config: { ...OPEN, scoringTimeoutMs: 600_000 },
      replicas: [echo.endpoint],
    });
    const r = await fetch(`${router.dataUrl}/api/v1/service/echo/score`, { method: "POST", body: "{}" });
    expect(r.status).toBe(200);
  });
});

describe("the listener's bounds", () => {
  let router: TestRouter;
  beforeAll(async () => {
    router = await startTestRouter(
      [
        { name: "echo", config: OPEN, replicas: [echo.endpoint] },
        { name: "upload", config: { ...OPEN, scoringTimeoutMs: 1000 }, replicas: [bodyWaiter.endpoint] },
      ],
      { clientTimeouts: { headersTimeoutMs: 1000, keepAliveTimeoutMs: 1000 } },
    );
  });
  afterAll(() => router.stop());

  it("headers sent one byte at a time get 408 and the connection closed after headersTimeoutMs", async () => {
    const hits = echo.hits;
    const c = await openRaw(router.dataUrl);
    const text = requestText("GET", "/api/v1/service/echo/score", { "x-padding": "p".repeat(200) });
    let i = 0;
    const drip = setInterval(() => {
      if (i < text.length) c.socket.write(text.subarray(i, ++i));
    }, 50);
    try {
      await c.closed;
    } finally {
      clearInterval(drip);
    }
    expect(i).toBeLessThan(text.length); // cut off before the headers were complete
    expect(c.received().toString("latin1")).toMatch(/^HTTP\/1\.1 408 /);
    expect(echo.hits).toBe(hits);
  });

  it("a connection that sends nothing is closed after headersTimeoutMs", async () => {
    const c = await openRaw(router.dataUrl);
    await c.closed;
    expect(c.received().toString("latin1")).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("an idle keep-alive connection is closed after keepAliveTimeoutMs", async () => {
    const c = await openRaw(router.dataUrl);
    c.socket.write(requestText("GET", "/api/v1/service/echo/score"));
    await until(() => parseResponses(c.received()).length === 1, "the answer");
    expect(parseResponses(c.received())[0]!.status).toBe(200);
    await c.closed;
  });

  it("headers over 16 KiB get 431 and the connection closed", async () => {
    const c = await openRaw(router.dataUrl);
    c.socket.write(requestText("GET", "/api/v1/service/echo/score", { "x-big": "b".repeat(17 * 1024) }));
    await c.closed;
    expect(c.received().toString("latin1")).toMatch(/^HTTP\/1\.1 431 /);
  });

  it("a streamed upload that stalls after dispatch gets 504 within scoringTimeoutMs and frees its slot", async () => {
    const c = await openRaw(router.dataUrl);
    c.socket.write(
      Buffer.concat([
        requestText("POST", "/api/v1/service/upload/score", { "transfer-encoding": "chunked" }),
        Buffer.from('4\r\n{"a"\r\n'), // then nothing
      ]),
    );
    const svc = serviceOf(router, "upload");
    await until(() => svc.inFlight === 1, "the upload dispatched");
    await until(() => parseResponses(c.received()).length === 1, "an answer");
    const [answer] = parseResponses(c.received());
    expect(answer!.status).toBe(504);
    expect(answer!.headers.connection).toBe("close");
    await c.closed;
    await until(() => svc.inFlight === 0, "the slot given back");
  });
});
