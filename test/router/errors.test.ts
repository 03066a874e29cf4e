/** Status semantics on real sockets: 404/405, 413 (declared and chunked), 503 queue wait, 504 scoring timeout, 502 replica failure. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request as httpRequest } from "node:http";
import { startReplica, sleep, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, KEYS, type TestRouter } from "./helpers/router.js";
import { until } from "./helpers/poll.js";

const AUTH = `Bearer ${KEYS.primaryKey}`;
const LIMIT = 1024 * 1024; // the router under test runs with a 1 MiB limit, so the cases stay fast

let fast: TestReplica;
let slow: TestReplica;
let dying: TestReplica;
let gated: TestReplica;
/** Releases the request the gated replica holds. */
const gates: Array<() => void> = [];
let router: TestRouter;

beforeAll(async () => {
  fast = await startReplica("fast");
  slow = await startReplica("slow", async (_req, res) => {
    await sleep(400);
    res.end("late");
  });
  gated = await startReplica("gated", async (_req, res) => {
    await new Promise<void>((r) => gates.push(r));
    res.end("released");
  });
  dying = await startReplica("dying", (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "100000" });
    res.write("partial");
    setTimeout(() => res.socket?.destroy(), 20);
  });
  router = await startTestRouter(
    [
      { name: "fast", keys: KEYS, replicas: [fast.endpoint] },
      {
        name: "slow",
        keys: KEYS,
        config: { scoringTimeoutMs: 150, maxRequestWaitTimeMs: 100 },
        replicas: [slow.endpoint],
      },
      {
        name: "gated",
        keys: KEYS,
        config: { scoringTimeoutMs: 30_000, maxRequestWaitTimeMs: 1500 },
        replicas: [gated.endpoint],
      },
      { name: "dying", keys: KEYS, replicas: [dying.endpoint] },
      { name: "refusing", keys: KEYS, replicas: [{ id: "gone", url: "http://127.0.0.1:1" }] },
    ],
    { maxRequestBytes: LIMIT },
  );
});

afterAll(async () => {
  await router.stop();
  await Promise.all([fast.close(), slow.close(), dying.close(), gated.close()]);
});

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${router.dataUrl}${path}`, { ...init, headers: { authorization: AUTH, ...init.headers } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Sends a chunked body of `total` bytes in 64 KiB pieces; resolves with the status (or "reset"). */
function chunkedUpload(total: number): Promise<{ status: number | "reset"; sent: number }> {
  return new Promise((resolve) => {
    const url = new URL(`${router.dataUrl}/api/v1/service/fast/score`);
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: { authorization: AUTH, "transfer-encoding": "chunked" },
    });
    let sent = 0;
    let done = false;
    const finish = (status: number | "reset") => {
      if (done) return;
      done = true;
      resolve({ status, sent });
    };
    req.on("response", (res) => {
      res.resume();
      finish(res.statusCode!);
    });
    req.on("error", () => finish("reset"));
    const piece = Buffer.alloc(64 * 1024, 120);
    const pump = () => {
      while (!done && sent < total) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once("drain", pump);
      }
      if (!done) req.end();
    };
    pump();
  });
}

describe("routing", () => {
  it("404s an unknown service (without echoing its name) and an unknown route, 405s other methods", async () => {
    const unknown = await call("/api/v1/service/%3Cscript%3Ealert(1)%3C%2Fscript%3E/score", {
      method: "POST",
      body: "{}",
    });
    expect(unknown.status).toBe(404);
    expect(unknown.text).not.toContain("script");
    expect(JSON.parse(unknown.text).error.message).toBe("no such service");
    expect((await call("/api/v1/service/fast/other")).status).toBe(404);
    const put = await call("/api/v1/service/fast/score", { method: "PUT", body: "{}" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST");
  });

  it("proxies GET score and swagger.json with the query string, and passes the request id through", async () => {
    const r = await call("/api/v1/service/fast/swagger.json?version=3", { headers: { "x-ms-request-id": "req-123" } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).path).toBe("/swagger.json?version=3");
    expect(r.headers.get("x-ms-request-id")).toBe("req-123");
    const g = await call("/api/v1/service/fast/score?x=1");
    expect(JSON.parse(g.text)).toMatchObject({ path: "/score?x=1", method: "GET" });
    expect(g.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("strips hop-by-hop headers, including those named in Connection", async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const url = new URL(`${router.dataUrl}/api/v1/service/fast/score`);
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          authorization: AUTH,
          connection: "keep-alive, x-secret-hop",
          "x-secret-hop": "1",
          "x-keep": "2",
          "content-length": "2",
        },
      });
      req.on("response", (res) => {
        let body = "";
        res
          .setEncoding("utf8")
          .on("data", (c: string) => (body += c))
          .on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end("{}");
    });
    const seen = JSON.parse(text).headers as Record<string, string>;
    expect(seen["x-secret-hop"]).toBeUndefined();
    expect(seen["x-keep"]).toBe("2");
  });
});

describe("Expect: 100-continue", () => {
  it("answers 100 Continue itself and streams the body on", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${router.dataUrl}/api/v1/service/fast/score`);
      const body = Buffer.alloc(200 * 1024, 97);
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { authorization: AUTH, expect: "100-continue", "content-length": String(body.length) },
      });
      req.on("continue", () => req.end(body));
      req.on("response", (res) => {
        let text = "";
        res
          .setEncoding("utf8")
          .on("data", (c: string) => (text += c))
          .on("end", () => {
            expect(JSON.parse(text).bytes).toBe(body.length);
            resolve(res.statusCode!);
          });
      });
      req.on("error", reject);
    });
    expect(status).toBe(200);
  });
});

describe("413", () => {
  it("rejects a declared Content-Length over the limit before reading it", async () => {
    const before = fast.hits;
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${router.dataUrl}/api/v1/service/fast/score`);
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { authorization: AUTH, "content-length": String(LIMIT + 1) },
      });
      req.on("response", (res) => resolve(res.statusCode!));
      req.on("error", reject);
      req.write("only a few bytes; the rest never comes");
    });
    expect(status).toBe(413);
    expect(fast.hits).toBe(before);
  });

  it("cuts off a chunked body once it passes the limit", async () => {
    const r = await chunkedUpload(LIMIT * 8);
    expect(r.status === 413 || r.status === "reset").toBe(true);
    // The router stopped reading long before the client finished.
    expect(r.sent).toBeLessThan(LIMIT * 8);
    const ok = await chunkedUpload(LIMIT - 64 * 1024);
    expect(ok.status).toBe(200);
  });
});

describe("503 / 504 / 502", () => {
  it("504s a replica slower than scoringTimeoutMs", async () => {
    const r = await call("/api/v1/service/slow/score", { method: "POST", body: "{}" });
    expect(r.status).toBe(504);
  });

  it("503s requests still queued after maxRequestWaitTimeMs, with Retry-After", async () => {
    // The first request holds the only slot until released; the two behind it wait in the queue.
    const first = call("/api/v1/service/gated/score", { method: "POST", body: "{}" });
    await until(() => gates.length === 1, "the first request at the replica");
    const queued = [1, 2].map(() => call("/api/v1/service/gated/score", { method: "POST", body: "{}" }));
    const svc = router.registry.get("gated")!;
    await until(() => svc.queued === 2, "two requests queued");
    const results = await Promise.all(queued);
    expect(results.map((r) => r.status)).toEqual([503, 503]);
    expect(results.map((r) => r.headers.get("retry-after"))).toEqual(["1", "1"]);
    expect(JSON.parse(results[0]!.text).error.message).toContain("maxRequestWaitTimeMs");
    for (const g of gates.splice(0)) g();
    expect((await first).status).toBe(200);
  });

  it("aborts the connection when a replica dies after sending headers", async () => {
    await expect(call("/api/v1/service/dying/score", { method: "POST", body: "{}" })).rejects.toThrow();
  });

  it("retries a streamed (unreplayable-once-read) body on another replica when the first refuses the connection", async () => {
    router.backend.set({
      name: "mixed",
      keys: KEYS,
      replicas: [{ id: "gone", url: "http://127.0.0.1:1" }, fast.endpoint],
    });
    const body = Buffer.alloc(1024 * 512, 98); // over the 64 KiB replay limit: streamed, not held
    for (let i = 0; i < 4; i++) {
      const r = await call("/api/v1/service/mixed/score", { method: "POST", body });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text).bytes).toBe(body.length);
    }
    const text = await (await fetch(`${router.adminUrl}/metrics`)).text();
    expect(text).toMatch(/aksml_router_upstream_retries_total\{service="mixed"\} [1-9]/);
  });

  it("502s when no replica can be reached", async () => {
    const r = await call("/api/v1/service/refusing/score", { method: "POST", body: "{}" });
    expect(r.status).toBe(502);
  });

  it("counts requests by service and status in /metrics", async () => {
    const metrics = async () => (await fetch(`${router.adminUrl}/metrics`)).text();
    const count = (text: string, service: string, code: number) => {
      const prefix = `aksml_router_requests_total{service="${service}",code="${code}"} `;
      const line = text.split("\n").find((l) => l.startsWith(prefix));
      return line === undefined ? 0 : Number(line.slice(prefix.length));
    };
    // Its own refusing service: the other one's replica may still be ejected by an earlier test.
    router.backend.set({ name: "refusing-m", keys: KEYS, replicas: [{ id: "gone-m", url: "http://127.0.0.1:1" }] });
    const before = await metrics();
    expect((await call("/api/v1/service/fast/score", { method: "POST", body: "{}" })).status).toBe(200);
    expect((await call("/api/v1/service/refusing-m/score", { method: "POST", body: "{}" })).status).toBe(502);
    expect((await call("/api/v1/service/nope/score", { method: "POST", body: "{}" })).status).toBe(404);
    const after = await metrics();
    expect(count(after, "fast", 200) - count(before, "fast", 200)).toBe(1);
    expect(count(after, "refusing-m", 502) - count(before, "refusing-m", 502)).toBe(1);
    // An unknown service is counted without its name: a client cannot mint label values.
    expect(count(after, "(unknown)", 404) - count(before, "(unknown)", 404)).toBe(1);
    expect(after).not.toContain('service="nope"');
    expect(after).toContain("aksml_router_routing_overhead_seconds_bucket");
  });
});
