/** Regressions from the data-path review: queued requests that are withdrawn (client gone, scoring timeout), clients gone before dispatch. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, request as httpRequest, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { startIssuer, type TestIssuer } from "./helpers/jwks.js";
import { Agent, request as undiciRequest } from "undici";
import { startReplica, sleep, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, KEYS, type TestRouter } from "./helpers/router.js";
import { until } from "./helpers/poll.js";

const AUTH = `Bearer ${KEYS.primaryKey}`;

let router: TestRouter;
let slowHead: TestReplica;
let slowBody: TestReplica;

beforeAll(async () => {
  // Answers after 600 ms.
  slowHead = await startReplica("slow-head", async (_req, res) => {
    await sleep(600);
    res.end("done");
  });
  // Sends its head at once, then trickles the body for ~1.2 s.
  slowBody = await startReplica("slow-body", async (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    for (let i = 0; i < 12; i++) {
      res.write(".");
      await sleep(100);
    }
    res.end();
  });
  router = await startTestRouter([]);
});

afterAll(async () => {
  await router.stop();
  await Promise.all([slowHead.close(), slowBody.close()]);
});

function call(path: string, init: RequestInit = {}) {
  return fetch(`${router.dataUrl}${path}`, { ...init, headers: { authorization: AUTH, ...init.headers } });
}

/** The access line of request `reqId`, once written. */
async function accessLine(reqId: string): Promise<string> {
  const find = () =>
    router
      .logText()
      .split("\n")
      .find((l) => l.includes(`"reqId":"${reqId}"`) && l.includes('"msg":"request"'));
  await until(() => find() !== undefined, `the access line of ${reqId}`);
  return find()!;
}

describe("withdrawn queue entries", () => {
  it("a client that leaves while queued is logged as 499 and leaves no entry behind in the queue", async () => {
    router.backend.set({
      name: "q1",
      keys: KEYS,
      config: { maxRequestWaitTimeMs: 5000 },
      replicas: [slowHead.endpoint],
    });
    const first = call("/api/v1/service/q1/score", { method: "POST", body: "{}" });
    const svc = router.registry.get("q1")!;
    await until(() => svc.inFlight === 1, "the first request at the replica");
    const url = new URL(`${router.dataUrl}/api/v1/service/q1/score`);
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: { authorization: AUTH, "x-request-id": "leaves-while-queued", "content-length": "2" },
    });
    req.on("error", () => undefined);
    req.end("{}");
    await until(() => svc.queued === 1, "the second request queued");
    req.destroy();
    expect(await accessLine("leaves-while-queued")).toContain('"status":499');
    expect((await first).status).toBe(200);
    await until(() => svc.inFlight === 0, "the first request finished");
    expect(svc.queued).toBe(0);
    // The worker's own queue array holds nothing either (inspectable with one worker, in this thread).
    if (router.workers === 1) expect(router.dataRegistry!.get("q1")!.queue.length).toBe(0);
  });

  it("a retry still queued when the scoring timeout passes gets 504 instead of hanging", async () => {
    // The first request has the default scoring timeout (its deadline is set at dispatch),
    // so it holds slow-body for its whole ~1.2 s answer.
    router.backend.set({
      name: "q2",
      keys: KEYS,
      config: { maxRequestWaitTimeMs: 5000 },
      replicas: [slowBody.endpoint],
    });
    const first = call("/api/v1/service/q2/score", { method: "POST", body: "{}" });
    const svc = router.registry.get("q2")!;
    await until(() => slowBody.hits === 1, "the first request at slow-body");
    // A refusing replica joins and the timeout drops to 300 ms: the next request tries the
    // refusing replica first (it is idle), is refused, and queues for slow-body as a retry.
    router.backend.set({
      name: "q2",
      keys: KEYS,
      config: { scoringTimeoutMs: 300, maxRequestWaitTimeMs: 5000 },
      replicas: [{ id: "refusing", url: "http://127.0.0.1:1" }, slowBody.endpoint],
    });
    // 504 (the scoring timeout), not 503 (the 5 s queue wait) and not a hang.
    const second = await call("/api/v1/service/q2/score", {
      method: "POST",
      body: "{}",
      signal: AbortSignal.timeout(4000),
    }).then(
      (r) => r.status,
      () => "no answer",
    );
    expect(second).toBe(504);
    const firstRes = await first;
    expect(firstRes.status).toBe(200);
    expect(await firstRes.text()).toBe("............");
    await until(() => svc.inFlight === 0, "slow-body free");
    expect(svc.queued).toBe(0);
  });
});

describe("a client that leaves before its request is dispatched", () => {
  let issuer: TestIssuer;
  let slowJwks: Server;
  let counted: TestReplica;
  let jwksHits = 0;

  beforeAll(async () => {
    issuer = await startIssuer();
    // The issuer's keys, 300 ms late: token verification of the first request takes that long.
    slowJwks = createServer(async (_req, res) => {
      jwksHits++;
      await sleep(300);
      const body = await (await fetch(issuer.jwksUri)).text();
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    });
    slowJwks.listen(0, "127.0.0.1");
    await once(slowJwks, "listening");
    counted = await startReplica("counted");
  });
  afterAll(async () => {
    slowJwks.closeAllConnections();
    await new Promise((r) => slowJwks.close(r));
    await Promise.all([issuer.close(), counted.close()]);
  });

  it("is not sent to a replica (and holds no replica slot) when it left during token verification", async () => {
    const jwksUri = `http://127.0.0.1:${(slowJwks.address() as AddressInfo).port}/keys`;
    router.backend.set({
      name: "tok",
      config: { auth: { mode: "token", issuer: issuer.issuer, audience: issuer.audience, jwksUri } },
      replicas: [counted.endpoint],
    });
    const token = await issuer.sign();
    const jwksRequests = () => jwksHits;
    const url = new URL(`${router.dataUrl}/api/v1/service/tok/score`);
    // A chunked (streamed) body: the router reads it only once a replica asks for it.
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "transfer-encoding": "chunked", "x-request-id": "left-during-auth" },
    });
    req.on("error", () => undefined);
    req.write("{");
    await until(() => jwksRequests() === 1, "token verification under way");
    req.destroy();
    // Logged once verification finished and the exchange saw its client gone.
    expect(await accessLine("left-during-auth")).toContain('"status":499');
    expect(counted.hits).toBe(0);
    expect(router.registry.get("tok")!.inFlight).toBe(0);
  });
});

describe("a small body that stalls", () => {
  it("gets 408 and the connection closed after scoringTimeoutMs, instead of holding it forever", async () => {
    router.backend.set({ name: "stall", keys: KEYS, config: { scoringTimeoutMs: 300 }, replicas: [slowHead.endpoint] });
    const hitsBefore = slowHead.hits;
    const url = new URL(`${router.dataUrl}/api/v1/service/stall/score`);
    const status = await new Promise<number | string>((resolve) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { authorization: AUTH, "content-length": "100" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", (e) => resolve(`error ${e.message}`));
      req.write("only ten b"); // 10 of the 100 bytes declared, then nothing
      setTimeout(() => {
        resolve("no answer");
        req.destroy();
      }, 3000);
    });
    expect(status).toBe(408);
    expect(slowHead.hits).toBe(hitsBefore);
  });
});

describe("ejection", () => {
  it("a request queued only because the replica is ejected is served when the ejection ends", async () => {
    // A port that refuses now and accepts later (a replica restarting).
    const probe = createNetServer();
    probe.listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    router.backend.set({
      name: "restarting",
      keys: KEYS,
      config: { maxRequestWaitTimeMs: 60_000 },
      replicas: [{ id: "only", url: `http://127.0.0.1:${port}` }],
    });
    // Refused: 502, and the replica is ejected for 2 s.
    expect((await call("/api/v1/service/restarting/score")).status).toBe(502);
    const back = createServer((_req, res) => res.end("back"));
    back.listen(port, "127.0.0.1");
    await once(back, "listening");
    try {
      // Served when the 2 s ejection ended; waiting for the 60 s queue wait would hit the abort (and 503 after).
      const r = await call("/api/v1/service/restarting/score", { signal: AbortSignal.timeout(20_000) });
      expect(r.status).toBe(200);
    } finally {
      back.closeAllConnections();
      await new Promise((r) => back.close(r));
    }
  });
});

describe("a replica that answers before reading the whole body", () => {
  it("does not leave the client's connection stuck on the unread rest of its body", async () => {
    const early = await startReplica("early");
    // Answers at once, before the body has arrived (the helper reads the body first, so use the raw server).
    early.server.removeAllListeners("request");
    early.server.on("request", (_req, res) =>
      res.writeHead(400, { "content-type": "text/plain" }).end("rejected early"),
    );
    router.backend.set({ name: "early", keys: KEYS, replicas: [early.endpoint] });
    const client = new Agent({ connections: 1 });
    try {
      for (let i = 0; i < 2; i++) {
        const r = await Promise.race([
          undiciRequest(`${router.dataUrl}/api/v1/service/early/score`, {
            method: "POST",
            body: Buffer.alloc(4 * 1024 * 1024, 97),
            dispatcher: client,
            headers: { authorization: AUTH },
          }).then(
            async (x) => {
              await x.body.text();
              return x.statusCode;
            },
            (e: Error) => `error ${e.message}`,
          ),
          sleep(3000).then(() => "stuck"),
        ]);
        expect(r).toBe(400);
      }
    } finally {
      await client.destroy();
      await early.close();
    }
  });
});
