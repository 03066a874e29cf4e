/**
 * `workers: "auto"` (AKSML_WORKERS=auto or unset): the worker count follows the container's
 * CPU limit while the router runs, as an in-place pod resize changes it. The router here is
 * real (real worker threads on loopback, real sockets, kept-alive clients); only the CPU
 * limit is the test's own reading instead of the cgroup file the kubelet rewrites (this
 * machine's quota cannot be changed from a test). A fixed count never follows it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { availableParallelism } from "node:os";
import { Agent, request } from "undici";
import { replicasClosedAfterEach, sleep } from "./helpers/upstream.js";
import { KEYS, startTestRouter, type TestRouter } from "./helpers/router.js";
import { until } from "./helpers/poll.js";
import { metricValue, requestsByWorker, sendFresh } from "./helpers/workerLoad.js";
import { workerPlan } from "../../router/workerCount.js";

const AUTH = { authorization: `Bearer ${KEYS.primaryKey}` };
const SCORE = "/api/v1/service/r/score";

let router: TestRouter | undefined;
const replica = replicasClosedAfterEach();
afterEach(async () => {
  await router?.stop();
  router = undefined;
});

async function used(adminUrl: string, before: Map<string, number>): Promise<number> {
  const now = await requestsByWorker(adminUrl);
  return [...now].filter(([w, n]) => n > (before.get(w) ?? 0)).length;
}

async function fresh(url: string, n: number): Promise<number[]> {
  return (await Promise.all(Array.from({ length: n }, () => sendFresh(url, SCORE, AUTH)))).map((a) => a.status);
}

describe("the worker plan", () => {
  it("auto starts at the whole cores of the limit and may grow to the machine's; a number is fixed", () => {
    expect(workerPlan("auto", () => 3, 8)).toEqual({ workers: 3, capacity: 8, live: true });
    expect(workerPlan("auto", () => 1.5, 8)).toEqual({ workers: 1, capacity: 8, live: true });
    expect(workerPlan("auto", () => 100, 8)).toEqual({ workers: 8, capacity: 8, live: true });
    expect(workerPlan("auto", () => undefined, 4)).toEqual({ workers: 4, capacity: 4, live: true });
    expect(workerPlan(2, () => 8, 8)).toEqual({ workers: 2, capacity: 2, live: false });
    expect(() => workerPlan(0)).toThrow(/between 1 and 64/);
  });
});

describe.runIf(availableParallelism() >= 2)("an in-place CPU resize with workers: auto", () => {
  it("adds a worker that serves, then retires it without failing a kept-alive or in-flight request", async () => {
    let hold = false;
    const held: Array<() => void> = [];
    const r = await replica("r", async (_req, res) => {
      if (hold) held.push(() => res.end("ok"));
      else {
        await sleep(2);
        res.end("ok");
      }
    });
    let limit = 1;
    let reads = 0;
    router = await startTestRouter(
      [{ name: "r", keys: KEYS, config: { maxConcurrentRequestsPerContainer: 100 }, replicas: [r.endpoint] }],
      {
        workers: "auto",
        cpuLimit: {
          read: () => {
            reads++;
            return limit;
          },
          pollMs: 50,
        },
      },
    );
    const pool = router.workerPool!;
    expect(router.workers).toBe(1);
    let before = await requestsByWorker(router.adminUrl);
    expect(await fresh(router.dataUrl, 12)).toEqual(Array(12).fill(200));
    expect(await used(router.adminUrl, before)).toBe(1);

    // The kubelet gives the pod a second core: a second worker starts and takes connections.
    limit = 2;
    await until(() => pool.workers === 2 && pool.threadIds().every((t) => t !== undefined), "a second worker");
    before = await requestsByWorker(router.adminUrl);
    expect(await fresh(router.dataUrl, 24)).toEqual(Array(24).fill(200));
    expect(await used(router.adminUrl, before)).toBe(2);

    // Requests held at the replica on both workers, and kept-alive clients sending all along.
    hold = true;
    const inFlight = Array.from({ length: 16 }, () => sendFresh(router!.dataUrl, SCORE, AUTH).then((a) => a.status));
    await until(() => held.length === 16, "16 requests held at the replica");
    expect(pool.activeRequestsByWorker().filter((n) => n > 0)).toHaveLength(2);
    hold = false;
    const keepAlive = new Agent({ connections: 8, pipelining: 1, keepAliveTimeout: 60_000 });
    const stop = { now: false };
    const outcomes: Array<number | string> = [];
    const clients = Array.from({ length: 8 }, async () => {
      while (!stop.now) {
        const res = await request(`${router!.dataUrl}${SCORE}`, {
          method: "POST",
          headers: AUTH,
          body: "{}",
          dispatcher: keepAlive,
        }).catch((e: Error) => e);
        if (res instanceof Error) outcomes.push(res.message);
        else {
          await res.body.text();
          outcomes.push(res.statusCode);
        }
      }
    });
    try {
      await until(() => outcomes.length >= 50, "kept-alive load running");

      // Back to one core: worker 1 stops accepting and finishes what it has before it ends.
      limit = 1;
      await until(
        () => /"from":2,"to":1,.*"CPU limit changed: resizing the worker pool"/.test(router!.logText()),
        "resize begun",
      );
      for (const release of held.splice(0)) release();
      expect(await Promise.all(inFlight)).toEqual(Array(16).fill(200));
      await until(() => /"from":2,"to":1,.*"data-path workers resized"/.test(router!.logText()), "one worker");
      expect(pool.workers).toBe(1);
      const afterResize = outcomes.length;
      await until(() => outcomes.length >= afterResize + 50, "kept-alive load after the resize");
    } finally {
      stop.now = true;
      await Promise.all(clients);
      await keepAlive.close();
    }
    expect(outcomes.filter((o) => o !== 200)).toEqual([]);
    expect(router.logText()).not.toContain("data-path worker exited");

    before = await requestsByWorker(router.adminUrl);
    expect(await fresh(router.dataUrl, 12)).toEqual(Array(12).fill(200));
    expect(await used(router.adminUrl, before)).toBe(1);
    // The retired worker's counts stay in the pod's: every answer is counted once.
    const sent = 12 + 24 + 16 + outcomes.length + 12;
    expect(await metricValue(router.adminUrl, "aksml_router_requests_total", 'service="r",code="200"')).toBe(sent);
    expect(router.registry.get("r")!.inFlight).toBe(0);
    expect(reads).toBeGreaterThan(1);
  });

  it("a fixed worker count never reads the CPU limit", async () => {
    const r = await replica("r");
    let reads = 0;
    router = await startTestRouter([{ name: "r", keys: KEYS, replicas: [r.endpoint] }], {
      workers: 2,
      cpuLimit: { read: () => ++reads, pollMs: 10 },
    });
    expect(await fresh(router.dataUrl, 24)).toEqual(Array(24).fill(200));
    expect(router.workerPool!.workers).toBe(2);
    expect(reads).toBe(0);
  });
});
