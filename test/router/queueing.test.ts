/** Queueing and replica choice: concurrency limit, FIFO, draining to new replicas, least busy, removal, rejected settings. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica, sleep, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";

const OPEN = { auth: { mode: "none" } };

/** A replica that holds each request until released, recording the order of arrival. */
async function gatedReplica(id: string) {
  const order: string[] = [];
  const gates: Array<() => void> = [];
  const replica = await startReplica(id, async (_req, res, body) => {
    order.push(body.toString());
    await new Promise<void>((r) => gates.push(r));
    res.end(`${id}:${body.toString()}`);
  });
  return { replica, order, releaseAll: () => gates.splice(0).forEach((g) => g()), waiting: () => gates.length };
}

let router: TestRouter;
const closers: TestReplica[] = [];

beforeAll(async () => {
  router = await startTestRouter([]);
});

afterAll(async () => {
  await router.stop();
  await Promise.all(closers.map((r) => r.close()));
});

const post = (svc: string, body: string) =>
  fetch(`${router.dataUrl}/api/v1/service/${svc}/score`, { method: "POST", body }).then(async (r) => ({
    status: r.status,
    text: await r.text(),
  }));

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await sleep(5);
  }
}

describe("dispatch", () => {
  it("holds a replica to maxConcurrentRequestsPerContainer and serves the queue in FIFO order", async () => {
    const g = await gatedReplica("a");
    closers.push(g.replica);
    router.backend.set({
      name: "fifo",
      config: { ...OPEN, maxRequestWaitTimeMs: 5000 },
      replicas: [g.replica.endpoint],
    });
    const first = post("fifo", "0");
    await until(() => g.waiting() === 1);
    const rest: Promise<{ status: number; text: string }>[] = [];
    for (let i = 1; i <= 4; i++) {
      rest.push(post("fifo", String(i)));
      await until(() => router.registry.get("fifo")!.queued === i);
    }
    expect(g.replica.active).toBe(1);
    for (let i = 0; i < 5; i++) {
      await until(() => g.waiting() === 1);
      g.releaseAll();
    }
    const results = await Promise.all([first, ...rest]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(g.order).toEqual(["0", "1", "2", "3", "4"]);
  });

  it("drains queued requests to replicas added while they wait", async () => {
    const a = await gatedReplica("a");
    const b = await gatedReplica("b");
    closers.push(a.replica, b.replica);
    router.backend.set({
      name: "grow",
      config: { ...OPEN, maxRequestWaitTimeMs: 5000 },
      replicas: [a.replica.endpoint],
    });
    const p1 = post("grow", "1");
    await until(() => a.waiting() === 1);
    const p2 = post("grow", "2");
    await until(() => router.registry.get("grow")!.queued === 1);
    router.backend.set({
      name: "grow",
      config: { ...OPEN, maxRequestWaitTimeMs: 5000 },
      replicas: [a.replica.endpoint, b.replica.endpoint],
    });
    await until(() => b.waiting() === 1);
    expect(router.registry.get("grow")!.inFlight).toBe(2); // the replacement kept a's in-flight count
    a.releaseAll();
    b.releaseAll();
    expect((await p1).text).toBe("a:1");
    expect((await p2).text).toBe("b:2");
  });

  it("sends to the least busy replica when concurrency allows several", async () => {
    const a = await gatedReplica("a");
    const b = await gatedReplica("b");
    closers.push(a.replica, b.replica);
    router.backend.set({
      name: "spread",
      config: { ...OPEN, maxConcurrentRequestsPerContainer: 4 },
      replicas: [a.replica.endpoint, b.replica.endpoint],
    });
    const all = Array.from({ length: 6 }, (_, i) => post("spread", String(i)));
    await until(() => a.waiting() + b.waiting() === 6);
    expect([a.waiting(), b.waiting()]).toEqual([3, 3]);
    a.releaseAll();
    b.releaseAll();
    expect((await Promise.all(all)).every((r) => r.status === 200)).toBe(true);
  });

  it("fails the queue with 503 when a service is removed", async () => {
    const g = await gatedReplica("a");
    closers.push(g.replica);
    router.backend.set({
      name: "doomed",
      config: { ...OPEN, maxRequestWaitTimeMs: 5000 },
      replicas: [g.replica.endpoint],
    });
    const running = post("doomed", "1");
    await until(() => g.waiting() === 1);
    const queued = post("doomed", "2");
    await until(() => router.registry.get("doomed")?.queued === 1);
    router.backend.remove("doomed");
    expect((await queued).status).toBe(503);
    g.releaseAll();
    expect((await running).status).toBe(200); // in flight when removed: finishes normally
    expect((await post("doomed", "3")).status).toBe(404);
  });

  it("keeps serving the last good settings of a rejected service and reports it on /readyz", async () => {
    const r = await startReplica("ok");
    closers.push(r);
    router.backend.set({ name: "kept", config: OPEN, replicas: [r.endpoint] });
    router.backend.reject("kept", "autoscale.minReplicas: must be >= 1, got 0");
    expect((await post("kept", "{}")).status).toBe(200);
    const ready = await fetch(`${router.adminUrl}/readyz`);
    const body = (await ready.json()) as { problems: Array<{ service: string; servingLastGood: boolean }> };
    expect(body.problems).toContainEqual(expect.objectContaining({ service: "kept", servingLastGood: true }));
    router.backend.set({ name: "kept", config: OPEN, replicas: [r.endpoint] });
    const after = (await (await fetch(`${router.adminUrl}/readyz`)).json()) as { problems: unknown[] };
    expect(after.problems).toEqual([]);
  });

  it("the public data port's /readyz names no service and no problem (the admin port does)", async () => {
    router.backend.reject("secret-svc", 'auth.issuer: must be an http(s) URL, got "internal-idp"');
    const admin = await (await fetch(`${router.adminUrl}/readyz`)).text();
    expect(admin).toContain("secret-svc");
    const res = await fetch(`${router.dataUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true, draining: false });
    router.backend.remove("secret-svc");
  });

  it("503s after the queue wait when a service has no ready replica, and serves once one appears", async () => {
    router.backend.set({ name: "empty", config: { ...OPEN, maxRequestWaitTimeMs: 50 }, replicas: [] });
    expect((await post("empty", "{}")).status).toBe(503);
    const r = await startReplica("late");
    closers.push(r);
    router.backend.set({ name: "empty", config: { ...OPEN, maxRequestWaitTimeMs: 2000 }, replicas: [] });
    const waiting = post("empty", "{}");
    await until(() => router.registry.get("empty")!.queued === 1);
    router.backend.set({ name: "empty", config: { ...OPEN, maxRequestWaitTimeMs: 2000 }, replicas: [r.endpoint] });
    expect((await waiting).status).toBe(200);
  });
});
