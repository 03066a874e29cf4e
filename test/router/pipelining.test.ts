/**
 * Pipelined requests (several requests written on one connection before the first answer):
 * answered in order, one at a time per connection, and a client that pipelines and leaves
 * holds no replica slot and no active request afterwards (issue 15 item 1).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { openRaw, parseResponses, requestText } from "./helpers/rawClient.js";
import { until } from "./helpers/poll.js";

const OPEN = { auth: { mode: "none" } };
const BIG = 256 * 1024; // well over a socket's 16 KiB high-water mark

let router: TestRouter;
let big: TestReplica;
let small: TestReplica;
let concurrent = 0;
let maxConcurrent = 0;

beforeAll(async () => {
  // Answers `BIG` bytes after 300 ms, so a client can leave while both requests are in flight.
  big = await startReplica("big", async (_req, res) => {
    await new Promise((r) => setTimeout(r, 300));
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(BIG) });
    res.end(Buffer.alloc(BIG, 120));
  });
  // Echoes the body after 50 ms and records how many requests it held at once.
  small = await startReplica("small", async (_req, res, body) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await new Promise((r) => setTimeout(r, 50));
    concurrent--;
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(body.length) });
    res.end(body);
  });
  router = await startTestRouter([
    // Two slots: without per-connection ordering both pipelined requests would be dispatched at once.
    { name: "big", config: { ...OPEN, maxConcurrentRequestsPerContainer: 2 }, replicas: [big.endpoint] },
    { name: "small", config: { ...OPEN, maxConcurrentRequestsPerContainer: 4 }, replicas: [small.endpoint] },
  ]);
});

afterAll(async () => {
  await router.stop();
  await Promise.all([big.close(), small.close()]);
});

const score = (svc: string) => `/api/v1/service/${svc}/score`;

describe("pipelined requests", () => {
  it("are answered in order, one at a time per connection", async () => {
    maxConcurrent = 0;
    const c = await openRaw(router.dataUrl);
    c.socket.write(Buffer.concat(["one", "two", "three"].map((b) => requestText("POST", score("small"), {}, b))));
    await until(() => parseResponses(c.received()).length === 3, "three answers");
    const answers = parseResponses(c.received());
    expect(answers.map((r) => [r.status, r.body.toString()])).toEqual([
      [200, "one"],
      [200, "two"],
      [200, "three"],
    ]);
    // The second request was not started before the first was answered.
    expect(maxConcurrent).toBe(1);
    c.socket.destroy();
    await until(() => router.activeRequests() === 0, "no active request");
  });

  it("a client that pipelines two requests for large answers and leaves holds no replica slot", async () => {
    const c = await openRaw(router.dataUrl);
    c.socket.write(Buffer.concat([requestText("GET", score("big")), requestText("GET", score("big"))]));
    await until(() => big.hits >= 1, "the first request reached the replica");
    await new Promise((r) => setTimeout(r, 100)); // the client leaves while its answers are on their way
    c.socket.destroy();
    const svc = router.registry.get("big")!;
    await until(() => svc.inFlight === 0 && svc.queued === 0, "the slots given back");
    await until(() => router.activeRequests() === 0, "no active request");
    // And the service still answers.
    const r = await fetch(`${router.dataUrl}${score("big")}`);
    expect(r.status).toBe(200);
    expect((await r.arrayBuffer()).byteLength).toBe(BIG);
  });

  it("a client that pipelines small requests and leaves leaves no active request behind", async () => {
    const c = await openRaw(router.dataUrl, { paused: true });
    c.socket.write(Buffer.concat(["a", "b"].map((b) => requestText("POST", score("small"), {}, b))));
    await until(() => small.hits >= 1, "the first request reached the replica");
    c.socket.destroy();
    await until(() => router.activeRequests() === 0, "no active request");
    // With worker threads the slot is given back on the worker's next tick, concurrently with this check.
    await until(() => router.registry.get("small")!.inFlight === 0, "the slot given back");
  });

  it("closes a connection that pipelines more requests than it may have waiting", async () => {
    const c = await openRaw(router.dataUrl, { paused: true });
    const many = Array.from({ length: 200 }, () => requestText("GET", score("small")));
    c.socket.write(Buffer.concat(many));
    await c.closed;
    await until(() => router.activeRequests() === 0, "no active request");
    expect(small.hits).toBeLessThan(200);
  });
});
