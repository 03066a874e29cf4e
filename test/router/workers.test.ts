/**
 * A router with several data-path worker threads (real threads sharing the data port with
 * SO_REUSEPORT, real sockets, every request on a connection of its own so the kernel
 * spreads them): the limits and the order hold for the pod whichever worker took a
 * request, the catalog reaches every worker, metrics and the autoscaler see every worker's
 * traffic, and a worker that dies gives back what it held and is restarted while the
 * others' requests complete.
 *
 * Every test checks that the load did reach more than one worker (the per-worker request
 * counter or each worker's active requests), so none can pass on one worker by luck.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Agent, fetch as undiciFetch } from "undici";
import { replicasClosedAfterEach, sleep } from "./helpers/upstream.js";
import { KEYS, startTestRouter, type TestRouter } from "./helpers/router.js";
import { StaticBackend } from "./helpers/staticBackend.js";
import { until } from "./helpers/poll.js";
import { concurrencyRecorder, metricValue, requestsByWorker, sendFresh } from "./helpers/workerLoad.js";
import { startRouter, type RunningRouter } from "../../router/startRouter.js";
import { createLogger } from "../../router/log.js";
import { PEER_LOAD_PATH, type PeerLoadReport } from "../../router/contract/backend.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const AUTH = { authorization: `Bearer ${KEYS.primaryKey}` };
const SCORE = (name: string) => `/api/v1/service/${name}/score`;

const replica = replicasClosedAfterEach();
let router: TestRouter | undefined;
afterEach(async () => {
  await router?.stop();
  router = undefined;
});

/** Workers that answered at least one request since `before`. */
async function workersUsed(adminUrl: string, before = new Map<string, number>()): Promise<number> {
  const now = await requestsByWorker(adminUrl);
  return [...now].filter(([w, n]) => n > (before.get(w) ?? 0)).length;
}

/** `clients` loops each sending `perClient` requests one after another, each on a fresh connection. */
async function load(url: string, path: string, clients: number, perClient: number): Promise<number[]> {
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) statuses.push((await sendFresh(url, path, AUTH)).status);
    }),
  );
  return statuses;
}

describe("per-replica concurrency over 4 workers", () => {
  it.each([1, 3])("a replica with maxConcurrentRequestsPerContainer %i never sees more at once", async (limit) => {
    const recorder = concurrencyRecorder(3);
    const r = await replica("r", recorder.behaviour);
    router = await startTestRouter(
      [
        {
          name: "c",
          keys: KEYS,
          config: { maxConcurrentRequestsPerContainer: limit, maxRequestWaitTimeMs: 60_000, maxQueuedRequests: 1000 },
          replicas: [r.endpoint],
        },
      ],
      { workers: 4 },
    );
    const statuses = await load(router.dataUrl, SCORE("c"), 24, 10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(r.hits).toBe(240);
    expect(recorder.maxSeen()).toBe(limit);
    expect(await workersUsed(router.adminUrl)).toBeGreaterThan(1);
    // One scrape shows the whole pod: the counters sum to what was sent.
    expect(await metricValue(router.adminUrl, "aksml_router_requests_total", 'service="c",code="200"')).toBe(240);
    expect([...(await requestsByWorker(router.adminUrl)).values()].reduce((a, b) => a + b, 0)).toBe(240);
    expect(await metricValue(router.adminUrl, "aksml_router_request_duration_seconds_count", 'service="c"')).toBe(240);
    expect(router.registry.get("c")!.inFlight).toBe(0);
    expect(router.registry.get("c")!.queued).toBe(0);
  });
});

describe("queue bounds and timeouts over 2 workers", () => {
  it("maxRequestWaitTimeMs answers 503 and scoringTimeoutMs 504 to each request, whichever worker took it", async () => {
    const held: Array<() => void> = [];
    const blocking = await replica("blocking", (_req, res) => {
      held.push(() => res.end("late"));
    });
    const silent = await replica("silent", () => undefined); // never answers
    router = await startTestRouter(
      [
        {
          name: "wait",
          keys: KEYS,
          config: { maxConcurrentRequestsPerContainer: 1, maxRequestWaitTimeMs: 200 },
          replicas: [blocking.endpoint],
        },
        {
          name: "slow",
          keys: KEYS,
          config: { scoringTimeoutMs: 300, maxConcurrentRequestsPerContainer: 100 },
          replicas: [silent.endpoint],
        },
      ],
      { workers: 2 },
    );
    const first = sendFresh(router.dataUrl, SCORE("wait"), AUTH).catch((e: Error) => ({ status: 0, body: e.message }));
    await until(() => blocking.hits === 1, "the first request holding the only slot");
    const before = await requestsByWorker(router.adminUrl);
    const waited = await Promise.all(Array.from({ length: 12 }, () => sendFresh(router!.dataUrl, SCORE("wait"), AUTH)));
    expect(waited.map((a) => a.status)).toEqual(Array(12).fill(503));
    for (const a of waited) expect(a.body).toContain("maxRequestWaitTimeMs");
    const timedOut = await Promise.all(
      Array.from({ length: 12 }, () => sendFresh(router!.dataUrl, SCORE("slow"), AUTH)),
    );
    expect(timedOut.map((a) => a.status)).toEqual(Array(12).fill(504));
    expect(await workersUsed(router.adminUrl, before)).toBe(2);
    for (const release of held) release();
    expect((await first).status).toBe(200);
  });

  it("maxQueuedRequests bounds the queue of the pod, not of each worker", async () => {
    const held: Array<() => void> = [];
    const blocking = await replica("blocking", (_req, res) => {
      held.push(() => res.end("ok"));
    });
    router = await startTestRouter(
      [
        {
          name: "capped",
          keys: KEYS,
          config: { maxConcurrentRequestsPerContainer: 1, maxRequestWaitTimeMs: 30_000, maxQueuedRequests: 4 },
          replicas: [blocking.endpoint],
        },
      ],
      { workers: 2 },
    );
    const first = sendFresh(router.dataUrl, SCORE("capped"), AUTH).catch((e: Error) => ({
      status: 0,
      body: e.message,
    }));
    await until(() => blocking.hits === 1, "the only slot taken");
    const before = await requestsByWorker(router.adminUrl);
    const queued = Array.from({ length: 4 }, () => sendFresh(router!.dataUrl, SCORE("capped"), AUTH));
    await until(() => router!.registry.get("capped")!.queued === 4, "four requests queued");
    const refused = await Promise.all(
      Array.from({ length: 12 }, () => sendFresh(router!.dataUrl, SCORE("capped"), AUTH)),
    );
    expect(refused.map((a) => a.status)).toEqual(Array(12).fill(503));
    for (const a of refused) expect(a.body).toContain("maxQueuedRequests");
    expect(await workersUsed(router.adminUrl, before)).toBe(2);
    expect(router.registry.get("capped")!.queued).toBe(4);
    // Release one at a time: each queued request gets the slot in turn.
    await until(() => {
      for (const release of held.splice(0)) release();
      return blocking.hits === 5;
    }, "every queued request served");
    for (const release of held.splice(0)) release();
    expect((await first).status).toBe(200);
    expect((await Promise.all(queued)).map((a) => a.status)).toEqual([200, 200, 200, 200]);
  });
});

describe("FIFO across 4 workers", () => {
  it("serves requests that joined the queue one after another in exactly that order", async () => {
    const order: string[] = [];
    let releaseBlocker: (() => void) | undefined;
    const r = await replica("r", (req, res) => {
      const id = String(req.headers["x-request-id"]);
      if (id === "blocker") {
        releaseBlocker = () => res.end("ok");
        return;
      }
      order.push(id);
      res.end("ok");
    });
    router = await startTestRouter(
      [
        {
          name: "fifo",
          keys: KEYS,
          config: { maxConcurrentRequestsPerContainer: 1, maxRequestWaitTimeMs: 60_000 },
          replicas: [r.endpoint],
        },
      ],
      { workers: 4 },
    );
    const svc = router.registry.get("fifo")!;
    const blocker = sendFresh(router.dataUrl, SCORE("fifo"), { ...AUTH, "x-request-id": "blocker" });
    await until(() => releaseBlocker !== undefined, "the blocker at the replica");
    const before = await requestsByWorker(router.adminUrl);
    const waiting: Array<Promise<unknown>> = [];
    const ids = Array.from({ length: 16 }, (_, i) => `q-${String(i).padStart(2, "0")}`);
    for (const [i, id] of ids.entries()) {
      waiting.push(sendFresh(router.dataUrl, SCORE("fifo"), { ...AUTH, "x-request-id": id }));
      await until(() => svc.queued === i + 1, `${id} queued`);
    }
    releaseBlocker!();
    await Promise.all([blocker, ...waiting]);
    // Tolerance 0: each joined after the one before was queued (on whichever worker).
    expect(order).toEqual(ids);
    expect(await workersUsed(router.adminUrl, before)).toBeGreaterThan(1);
  });
});

describe("the catalog reaches every worker", () => {
  it("a key rotation is in force on every worker once applied: the replaced key fails everywhere, the new and the kept key work everywhere", async () => {
    const r = await replica("r");
    router = await startTestRouter([{ name: "k", keys: KEYS, replicas: [r.endpoint] }], { workers: 2 });
    const rotated = { primaryKey: "pk-rotated-0123456789abcdef0123456789", secondaryKey: KEYS.secondaryKey };
    router.backend.set({ name: "k", keys: rotated, replicas: [r.endpoint] }); // one watch event
    const check = async (key: string, want: number) => {
      const before = await requestsByWorker(router!.adminUrl);
      const answers = await Promise.all(
        Array.from({ length: 24 }, () => sendFresh(router!.dataUrl, SCORE("k"), { authorization: `Bearer ${key}` })),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(24).fill(want));
      expect(await workersUsed(router!.adminUrl, before)).toBe(2);
    };
    await check(KEYS.primaryKey, 401);
    await check(rotated.primaryKey, 200);
    await check(KEYS.secondaryKey, 200);
  });

  it("a replica removed from the service gets no request from any worker", async () => {
    const a = await replica("a");
    const b = await replica("b");
    router = await startTestRouter([{ name: "rm", keys: KEYS, replicas: [a.endpoint, b.endpoint] }], { workers: 2 });
    await load(router.dataUrl, SCORE("rm"), 8, 2);
    expect(a.hits).toBeGreaterThan(0);
    router.backend.set({ name: "rm", keys: KEYS, replicas: [b.endpoint] });
    const hitsBefore = a.hits;
    const before = await requestsByWorker(router.adminUrl);
    const statuses = await load(router.dataUrl, SCORE("rm"), 12, 2);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(a.hits).toBe(hitsBefore);
    expect(await workersUsed(router.adminUrl, before)).toBe(2);
  });

  it("a removed service is 404 on every worker", async () => {
    const r = await replica("r");
    router = await startTestRouter([{ name: "gone", keys: KEYS, replicas: [r.endpoint] }], { workers: 2 });
    router.backend.remove("gone");
    const before = await requestsByWorker(router.adminUrl);
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => sendFresh(router!.dataUrl, SCORE("gone"), AUTH)),
    );
    expect(answers.map((x) => x.status)).toEqual(Array(16).fill(404));
    expect(await workersUsed(router.adminUrl, before)).toBe(2);
  });
});

describe("the connection limit over 2 workers", () => {
  it("holds for the pod: past AKSML_MAX_CONNECTIONS every worker answers 503", async () => {
    const r = await replica("r");
    router = await startTestRouter([{ name: "m", keys: KEYS, replicas: [r.endpoint] }], {
      workers: 2,
      maxConnections: 4,
    });
    // Four kept-alive connections, one request each, held open afterwards.
    const keep = new Agent({ connections: 4, pipelining: 1 });
    try {
      const held = await Promise.all(
        Array.from({ length: 4 }, () =>
          undiciFetch(`${router!.dataUrl}${SCORE("m")}`, {
            method: "POST",
            headers: AUTH,
            body: "{}",
            dispatcher: keep,
          }).then((res) => res.text().then(() => res.status)),
        ),
      );
      expect(held).toEqual([200, 200, 200, 200]);
      await until(async () => (await metricValue(router!.adminUrl, "aksml_router_open_connections")) === 4, "4 open");
      const over = await Promise.all(Array.from({ length: 12 }, () => sendFresh(router!.dataUrl, SCORE("m"), AUTH)));
      expect(over.map((a) => a.status)).toEqual(Array(12).fill(503));
      expect(await metricValue(router.adminUrl, "aksml_router_rejected_connections_total")).toBe(12);
    } finally {
      await keep.close();
    }
  });
});

describe("the autoscaler over 2 workers", () => {
  it("decides from the demand of every worker", async () => {
    class ScaleRecorder extends StaticBackend {
      readonly asked: number[] = [];
      async scale(_service: string, replicas: number): Promise<void> {
        this.asked.push(replicas);
      }
    }
    const r = await replica("r", async (_req, res) => {
      await sleep(40);
      res.end("ok");
    });
    const backend = new ScaleRecorder([
      {
        name: "auto",
        keys: KEYS,
        config: {
          autoscale: { enabled: true, minReplicas: 1, maxReplicas: 50, targetUtilization: 70, refreshSeconds: 1 },
          maxConcurrentRequestsPerContainer: 1,
          maxRequestWaitTimeMs: 60_000,
        },
        replicas: [r.endpoint],
      },
    ]);
    const running: RunningRouter = await startRouter({
      backend,
      host: "127.0.0.1",
      dataPort: 0,
      adminPort: 0,
      processMetrics: false,
      logger: createLogger("silent"),
      workers: 2,
    });
    try {
      const before = await requestsByWorker(running.adminUrl);
      let seenTotal = 0;
      const stop = { now: false };
      // 8 clients, each one request at a time: 1 in flight and 7 queued, over both workers.
      const clients = Array.from({ length: 8 }, async () => {
        while (!stop.now) await sendFresh(running.dataUrl, SCORE("auto"), AUTH);
      });
      await until(() => {
        const l = running.registry.localLoad()[0]!;
        seenTotal = Math.max(seenTotal, l.inFlight + l.queued);
        return seenTotal === 8;
      }, "the load source seeing all 8 requests of both workers");
      // ceil(8 / (1 x 0.7)) = 12; either worker's share alone would give at most 6 or so.
      await until(() => backend.asked.some((n) => n >= 12), "a scale-up from the demand of both workers", 20_000);
      stop.now = true;
      await Promise.all(clients);
      expect(await workersUsed(running.adminUrl, before)).toBe(2);
    } finally {
      await running.stop();
    }
  });
});

describe("the peer load report over 2 workers", () => {
  it("a follower reports the demand of every worker to the leader", async () => {
    // The leader is a plain HTTP server recording what reaches the peer load path.
    const reports: PeerLoadReport[] = [];
    const leader = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (req.url === PEER_LOAD_PATH && req.headers.authorization === "Bearer peer-secret")
          reports.push(JSON.parse(Buffer.concat(chunks).toString()) as PeerLoadReport);
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => leader.listen(0, "127.0.0.1", resolve));
    const leaderUrl = `http://127.0.0.1:${(leader.address() as AddressInfo).port}`;
    class Follower extends StaticBackend {
      readonly leadership = {
        election: {
          isLeader: () => false,
          leaderUrl: () => leaderUrl,
          start: async () => undefined,
          stop: async () => undefined,
        },
        peerName: "router-follower",
        peerSecret: () => "peer-secret",
      };
      async scale(): Promise<void> {
        throw new Error("a follower never scales");
      }
    }
    const held: Array<() => void> = [];
    const r = await replica("r", (_req, res) => {
      held.push(() => res.end("ok"));
    });
    const backend = new Follower([
      {
        name: "peer",
        keys: KEYS,
        config: {
          autoscale: { enabled: true, minReplicas: 1, maxReplicas: 50, refreshSeconds: 1 },
          maxConcurrentRequestsPerContainer: 100,
        },
        replicas: [r.endpoint],
      },
    ]);
    const running: RunningRouter = await startRouter({
      backend,
      host: "127.0.0.1",
      dataPort: 0,
      adminPort: 0,
      processMetrics: false,
      logger: createLogger("silent"),
      workers: 2,
    });
    try {
      const inFlight = Array.from({ length: 16 }, () => sendFresh(running.dataUrl, SCORE("peer"), AUTH));
      await until(() => held.length === 16, "16 requests held at the replica");
      const byWorker = running.workerPool!.activeRequestsByWorker();
      expect(byWorker.filter((n) => n > 0)).toHaveLength(2);
      await until(
        () => reports.some((rep) => rep.loads.some((l) => l.service === "peer" && l.inFlight === 16)),
        "a report carrying both workers' 16 in-flight requests",
        20_000,
      );
      expect(reports.every((rep) => rep.peer === "router-follower")).toBe(true);
      for (const release of held.splice(0)) release();
      expect((await Promise.all(inFlight)).map((a) => a.status)).toEqual(Array(16).fill(200));
    } finally {
      await running.stop();
      await new Promise<void>((resolve) => leader.close(() => resolve()));
    }
  });
});

describe("a worker that dies", () => {
  it("is restarted; what it held is given back; the other workers' in-flight requests complete", async () => {
    let hold = false;
    const held: Array<() => void> = [];
    const r = await replica("r", (_req, res) => {
      if (hold) held.push(() => res.end("ok"));
      else res.end("ok");
    });
    router = await startTestRouter(
      [{ name: "k", keys: KEYS, config: { maxConcurrentRequestsPerContainer: 100 }, replicas: [r.endpoint] }],
      { workers: 2 },
    );
    const pool = router.workerPool!;
    expect((await load(router.dataUrl, SCORE("k"), 8, 2)).filter((s) => s !== 200)).toEqual([]);
    // A scrape now: the pod keeps this reading of a worker that exits later.
    const countedBefore = await metricValue(router.adminUrl, "aksml_router_requests_total", 'service="k",code="200"');
    expect(countedBefore).toBe(16);
    hold = true;
    const inFlight = Array.from({ length: 20 }, () =>
      sendFresh(router!.dataUrl, SCORE("k"), AUTH).then(
        (a) => a.status,
        () => "connection error" as const,
      ),
    );
    await until(() => held.length === 20, "20 requests held at the replica");
    const byWorker = pool.activeRequestsByWorker();
    expect(byWorker[0]).toBeGreaterThan(0);
    expect(byWorker[1]).toBeGreaterThan(0);
    const threadBefore = pool.threadIds()[0];
    await pool.killWorker(0);
    // Its slots are given back at once, not when its requests would have finished.
    await until(() => router!.registry.get("k")!.inFlight === byWorker[1], "worker 0's slots given back");
    for (const release of held.splice(0)) release();
    const outcomes = await Promise.all(inFlight);
    expect(outcomes.filter((o) => o === 200)).toHaveLength(byWorker[1]!);
    expect(outcomes.filter((o) => o === "connection error")).toHaveLength(byWorker[0]!);
    await until(
      () => pool.threadIds()[0] !== undefined && pool.threadIds()[0] !== threadBefore,
      "worker 0 restarted",
      30_000,
    );
    expect(router.logText()).toContain("data-path worker exited");
    // The restarted worker serves the catalog it was given; the pod's counters did not go down.
    hold = false;
    const before = await requestsByWorker(router.adminUrl);
    const after = await load(router.dataUrl, SCORE("k"), 12, 2);
    expect(after.filter((s) => s !== 200)).toEqual([]);
    expect(await workersUsed(router.adminUrl, before)).toBe(2);
    expect(
      await metricValue(router.adminUrl, "aksml_router_requests_total", 'service="k",code="200"'),
    ).toBeGreaterThanOrEqual(countedBefore + byWorker[1]! + 24);
    expect(router.registry.get("k")!.inFlight).toBe(0);
  });
});
