/**
 * "Restarts don't affect inferencing" (azureml-fe): a CPU change applied by a rolling
 * restart loses no request. Real router processes serve a real model replica on loopback
 * behind a TCP load balancer, under sustained keep-alive load; the router's own code
 * (routerPodCpu.ts) changes the size through test/router/backends/fakeKubeApi.ts, a FAKE
 * Kubernetes API server with the router's exact RBAC and no `resize` subresource (a
 * cluster older than 1.33), and routerDeploymentSim.ts stands in for the Deployment
 * controller, the kubelet and kube-proxy (none can run here): each new pod is up and
 * ready before an old one leaves the endpoints, waits out its preStop and drains.
 */
import { afterAll, describe, expect, it } from "vitest";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { Agent, request } from "undici";
import { RouterPodCpu } from "../../../router/backends/kubernetes/routerPodCpu.js";
import { startReplica } from "../helpers/upstream.js";
import { until } from "../helpers/poll.js";
import type { FakeKubeApi } from "./fakeKubeApi.js";
import { RouterDeploymentSim } from "./routerDeploymentSim.js";
import { addRouterDeployment, DEPLOYMENT, limitRangeDefaults, NS, routerApi } from "./routerSizeFixtures.js";

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

/** `workers` clients, each sending its next request as soon as the last is answered, on pooled keep-alive connections. */
function sustainedLoad(url: string, workers: number) {
  const dispatcher = new Agent({ connections: workers, keepAliveTimeout: 30_000 });
  const outcomes: string[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      try {
        const r = await request(`${url}/api/v1/service/m/score`, { method: "POST", body: "{}", dispatcher });
        const text = await r.body.text();
        outcomes.push(r.statusCode === 200 && text === "[1]" ? "200" : `${r.statusCode} ${text}`);
      } catch (e) {
        outcomes.push(`error: ${(e as Error).message}`);
      }
    }
  });
  return {
    count: () => outcomes.length,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      await dispatcher.close();
      return outcomes;
    },
  };
}

describe("a CPU change by rolling restart", () => {
  let api: FakeKubeApi;

  it("loses no request: every new pod is ready before an old one drains, and all end at the new size", async () => {
    api = await routerApi({ inPlaceResize: false });
    cleanup.push(() => api.stop());
    addRouterDeployment(api, 2, 2);
    const replica = await startReplica("m", (_req, res) => void res.end("[1]"));
    cleanup.push(() => replica.close());
    const sim = new RouterDeploymentSim(api, {
      services: [{ name: "m", config: { auth: { mode: "none" } }, replicas: [replica.endpoint] }],
      preStopMs: 300,
      shutdownGraceMs: 10_000,
    });
    await sim.start();
    cleanup.push(() => sim.stop());
    const first = sim.podNames();
    expect([...sim.pods.values()].map((p) => p.cores)).toEqual([2, 2]);

    const load = sustainedLoad(sim.url, 6);
    await until(() => load.count() >= 200, "load flowing through both router pods", 20_000);

    const kc = api.kubeConfig("router");
    const cpu = new RouterPodCpu(kc.makeApiClient(CoreV1Api), kc.makeApiClient(AppsV1Api), {
      namespace: NS,
      deployment: DEPLOYMENT,
      pods: () => sim.podNames(),
    });
    // The leader asks for in place (it could change its workers live); this cluster cannot: a restart.
    await cpu.set(3, { inPlace: true });
    expect(limitRangeDefaults(api).default.cpu).toBe("3");
    await until(async () => (await cpu.get()).settled, "every router pod at 3 cores", 60_000);
    expect(await cpu.get()).toEqual({ cores: 3, settled: true });
    await until(() => first.every((n) => sim.exits.has(n)), "both old pods terminated", 10_000);
    const codes = await Promise.all(first.map((n) => sim.exits.get(n)!));
    const during = load.count();
    await until(() => load.count() >= during + 200, "load flowing through the new pods", 20_000);
    const outcomes = await load.stop();

    expect(outcomes.filter((o) => o !== "200")).toEqual([]);
    expect(codes).toEqual([0, 0]); // each old router drained and exited cleanly
    const now = [...sim.pods.values()];
    expect(now.map((p) => [p.cores, p.terminating])).toEqual([
      [3, false],
      [3, false],
    ]);
    for (const p of now) expect(p.connections).toBeGreaterThan(0);
    expect(api.denied).toEqual([]);
  }, 120_000);
});
