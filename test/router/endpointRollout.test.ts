/**
 * Canary analysis end to end on real sockets: a real router (its rollout loop as the
 * only, hence leading, process) in front of real replicas on loopback under sustained
 * load, with the rollout state kept by the test backend's store (fed back to the router
 * on every write, as the Kubernetes backend feeds back its ConfigMap). A new version
 * that fails is rolled back at the first step; a healthy one is promoted; re-applying an
 * unchanged plan neither resets nor restarts a rollout, a changed plan restarts it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echo, startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { until } from "./helpers/poll.js";
import type { RolloutState } from "../../router/contract/rolloutState.js";
import type { EndpointStatus } from "../../router/endpoints/endpointStatus.js";
import { RolloutController } from "../../router/endpoints/rolloutController.js";

let blue: TestReplica;
let green: TestReplica;
let router: TestRouter;
let greenFails = false;
let greenDelayMs = 0;

const OPEN = { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 8 };
const endpoint = (name: string, rollout: Record<string, unknown>) => ({
  name,
  config: {
    auth: { mode: "none" },
    versions: [
      { version: "blue", service: "svc-blue", isDefault: true, isControlVersion: true },
      { version: "green", service: "svc-green" },
    ],
    rollout: { version: "green", steps: [10, 50, 100], intervalSeconds: 1, minRequests: 10, ...rollout },
  },
});

async function score(name: string): Promise<{ status: number; version: string | null }> {
  const res = await fetch(`${router.dataUrl}/api/v1/service/${name}/score`, { method: "POST", body: "{}" });
  await res.arrayBuffer();
  return { status: res.status, version: res.headers.get("azureml-model-deployment") };
}

/** Sustained load on `name` (4 clients) until the returned stop is called; resolves to the versions seen. */
function load(name: string): () => Promise<Map<string, number>> {
  let running = true;
  const seen = new Map<string, number>();
  const clients = Array.from({ length: 4 }, async () => {
    while (running) {
      const r = await score(name);
      const key = `${r.version}:${r.status}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
  });
  return async () => {
    running = false;
    await Promise.all(clients);
    return seen;
  };
}

const state = (name: string): RolloutState | undefined => router.backend.rollouts!.states.get(name);
const events = (name: string) =>
  router.backend.rollouts!.events.filter((e) => e.endpoint === name).map((e) => `${e.event.type} ${e.event.reason}`);

beforeAll(async () => {
  blue = await startReplica("blue-0");
  green = await startReplica("green-0", (req, res, body) => {
    if (greenFails) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end('{"error":"broken model"}');
    } else if (greenDelayMs > 0) setTimeout(() => echo(req, res, body), greenDelayMs);
    else echo(req, res, body);
  });
  router = await startTestRouter(
    [
      { name: "svc-blue", config: OPEN, replicas: [blue.endpoint] },
      { name: "svc-green", config: OPEN, replicas: [green.endpoint] },
    ],
    { rolloutCheckIntervalMs: 50 },
    [],
    { rollouts: true },
  );
});

afterAll(async () => {
  await router.stop();
  await Promise.all([blue.close(), green.close()]);
});

describe("canary analysis", () => {
  it("rolls a new version that returns 500s back at the first step, with a Warning event and a status", async () => {
    greenFails = true;
    router.backend.setEndpoint(endpoint("broken", {}));
    await until(() => state("broken")?.phase === "progressing", "the rollout started");
    expect(state("broken")!.weights).toEqual({ blue: 90, green: 10 });
    const stop = load("broken");
    await until(() => state("broken")?.phase === "rolledBack", "the rollout was rolled back");
    await stop();
    const s = state("broken")!;
    expect([s.step, s.weights]).toEqual([0, { blue: 100, green: 0 }]);
    expect(s.history.map((h) => h.action)).toEqual(["start", "rollback"]);
    expect(s.history[1]!.reason).toMatch(/error rate of green 100\.0 %/);
    expect(events("broken")).toEqual(["Normal RolloutStarted", "Warning RolloutRolledBack"]);
    // The live split follows at once: every request is blue's now.
    for (let i = 0; i < 50; i++) expect(await score("broken")).toEqual({ status: 200, version: "blue" });
    const status = (await (await fetch(`${router.adminUrl}/endpoints`)).json()) as { endpoints: EndpointStatus[] };
    const r = status.endpoints.find((e) => e.name === "broken")!.rollout!;
    expect([r.phase, r.percent, r.history.length]).toEqual(["rolledBack", 0, 2]);
    greenFails = false;
  });

  it("promotes a healthy new version to 100 % step by step, with an event per decision", async () => {
    // Loopback latencies on a busy test machine jump by tens of ms; the latency rule is
    // table-tested (rolloutDecision.test.ts) and proven below with a really slow version.
    router.backend.setEndpoint(endpoint("healthy", { maxP99LatencyIncreasePercent: 1000 }));
    const stop = load("healthy");
    const percents = new Set<number>();
    await until(() => {
      const s = state("healthy");
      if (s) percents.add(s.weights.green!);
      return s?.phase === "promoted";
    }, "the rollout was promoted");
    const seen = await stop();
    expect([...percents]).toEqual([10, 50, 100]);
    expect(state("healthy")!.weights).toEqual({ blue: 0, green: 100 });
    expect(state("healthy")!.history.map((h) => `${h.action} ${h.percent}`)).toEqual([
      "start 10",
      "advance 50",
      "promote 100",
    ]);
    expect(events("healthy")).toEqual(["Normal RolloutStarted", "Normal RolloutAdvanced", "Normal RolloutPromoted"]);
    expect([...seen.keys()].every((k) => k.endsWith(":200"))).toBe(true);
  });

  it("rolls back a new version far slower than the control at the end of the step", async () => {
    greenDelayMs = 300;
    router.backend.setEndpoint(endpoint("slow", { intervalSeconds: 2 }));
    const stop = load("slow");
    await until(() => state("slow")?.phase === "rolledBack", "the slow version was rolled back", 20_000);
    await stop();
    greenDelayMs = 0;
    expect(state("slow")!.history.at(-1)!.reason).toMatch(
      /^p99 latency of green [\d.]+ ms against the control's [\d.]+ ms/,
    );
    expect(events("slow")).toEqual(["Normal RolloutStarted", "Warning RolloutRolledBack"]);
  });

  it("continues a rollout when the same plan is applied again (pulumi up), and restarts it for a changed plan", async () => {
    router.backend.setEndpoint(endpoint("steady", { intervalSeconds: 3600 }));
    await until(() => state("steady")?.phase === "progressing", "the rollout started");
    const started = state("steady")!;
    // `pulumi up` writes the same annotation again: the rollout carries on, untouched.
    router.backend.setEndpoint(endpoint("steady", { intervalSeconds: 3600 }));
    const seenAfterReapply = load("steady");
    await until(async () => {
      await router.versionStats.refresh?.();
      return router.versionStats.versionCounters("steady", "blue").requests > 20;
    }, "traffic");
    await seenAfterReapply();
    expect(state("steady")).toEqual(started);
    expect(events("steady")).toEqual(["Normal RolloutStarted"]);
    // A changed plan has another hash: the rollout starts again from its first step.
    router.backend.setEndpoint(endpoint("steady", { intervalSeconds: 3600, steps: [25, 100] }));
    await until(() => state("steady")!.revision > started.revision, "the changed plan restarted the rollout");
    expect(state("steady")!.weights).toEqual({ blue: 75, green: 25 });
    expect(events("steady")).toEqual(["Normal RolloutStarted", "Normal RolloutStarted"]);
  });

  it("takes no decision, and writes nothing, when it does not lead; a failed write is tried again", async () => {
    const store = router.backend.rollouts!;
    const writesBefore = store.events.length;
    const follower = new RolloutController({ endpoints: router.registry.endpoints, store, isLeader: () => false });
    router.backend.setEndpoint(endpoint("followed", {}));
    follower.tick();
    await follower.stop();
    // Only the real router (the leader) started it: one event, not two.
    await until(() => state("followed") !== undefined, "the leader started it");
    expect(store.events.length - writesBefore).toBe(1);

    store.failWrites = new Error("API down");
    router.backend.setEndpoint(endpoint("outage", {}));
    const probe = new RolloutController({ endpoints: router.registry.endpoints, store });
    probe.tick();
    await probe.stop();
    expect(state("outage")).toBeUndefined();
    store.failWrites = undefined;
    await until(() => state("outage")?.phase === "progressing", "the write succeeded once the API was back");
    expect(events("outage")).toEqual(["Normal RolloutStarted"]);
  });
});
