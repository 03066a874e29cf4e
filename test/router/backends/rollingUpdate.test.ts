/**
 * A rolling update under sustained load with zero failed requests, on a real router with
 * the Kubernetes backend, against test/router/backends/fakeKubeApi.ts: a FAKE Kubernetes
 * API server (real HTTP on loopback, exactly the router's RBAC). It is the one test
 * double here, because no API server can run here; the test drives the EndpointSlice
 * transitions a Deployment rollout with maxSurge 1 / maxUnavailable 0 and a preStop
 * delay produces, in the order the cluster produces them:
 *
 * 1. the new pod is created (endpoint not ready), then passes its readiness probe (ready);
 * 2. an old pod is deleted: its endpoint turns `ready: false, serving: true, terminating: true`
 *    while its preStop sleep runs (the delay is modelled as "until the router has seen it",
 *    which is what the delay is for);
 * 3. SIGTERM: the old replica stops accepting and finishes what it has in flight;
 * 4. the endpoint leaves the slice.
 *
 * The replicas are real HTTP servers on loopback, each answering after a few ms so that
 * requests are in flight at every transition.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import { startRouter, type RunningRouter } from "../../../router/startRouter.js";
import { KubernetesBackend } from "../../../router/backends/kubernetes/kubernetesBackend.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { CONFIG_ANNOTATION, WEBSERVICE_LABEL } from "../../../router/contract/serviceConfig.js";
import { FakeKubeApi } from "./fakeKubeApi.js";
import { eventually, silentLog } from "./clusterFixtures.js";

const NS = "models";
const SERVICE = "iris";

interface Pod {
  name: string;
  server: Server;
  port: number;
  served: number;
  /** SIGTERM received: answers close their connection (a finished keep-alive one would hold the exit). */
  stopping: boolean;
  conditions: { ready: boolean; serving?: boolean; terminating?: boolean };
}

let api: FakeKubeApi;
let router: RunningRouter;
const pods: Pod[] = [];
let seq = 0;

async function startPod(): Promise<Pod> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      pod.served++;
      setTimeout(() => {
        if (pod.stopping) res.setHeader("connection", "close");
        res.end("[1]");
      }, 5);
    });
  });
  // The inference server's keep-alive: longer than the router's idle timeout.
  server.keepAliveTimeout = 65_000;
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const pod: Pod = {
    name: `${SERVICE}-${++seq}`,
    server,
    port: (server.address() as AddressInfo).port,
    served: 0,
    stopping: false,
    conditions: { ready: false },
  };
  return pod;
}

/** One EndpointSlice per pod (its own port on loopback); the slices show the pods' conditions. */
function publishSlices(): void {
  for (const p of pods)
    api.apply("endpointslices", {
      metadata: { name: p.name, namespace: NS, labels: { "kubernetes.io/service-name": SERVICE } },
      addressType: "IPv4",
      ports: [{ name: "http", port: p.port }],
      endpoints: [{ addresses: ["127.0.0.1"], conditions: p.conditions, targetRef: { kind: "Pod", name: p.name } }],
    });
}

const routed = () => router.registry.get(SERVICE)?.snapshot.replicas.map((r) => r.id) ?? [];

/** Replaces `old` as a Deployment rollout does (surge first, then drain the old one). */
async function replace(old: Pod): Promise<void> {
  const fresh = await startPod();
  pods.push(fresh);
  publishSlices();
  fresh.conditions = { ready: true, serving: true, terminating: false };
  publishSlices();
  await eventually(() => routed().includes(fresh.name), 5000, `${fresh.name} routed`);
  // The old pod is deleted: terminating, still serving during its preStop sleep.
  old.conditions = { ready: false, serving: true, terminating: true };
  publishSlices();
  await eventually(() => !routed().includes(old.name), 5000, `${old.name} no longer routed`);
  // SIGTERM after preStop: stop accepting, finish in-flight requests, close idle connections.
  old.stopping = true;
  await new Promise<void>((resolve) => {
    old.server.close(() => resolve());
    old.server.closeIdleConnections();
  });
  pods.splice(pods.indexOf(old), 1);
  api.delete("endpointslices", NS, old.name);
}

beforeAll(async () => {
  api = new FakeKubeApi(routerRoleGrants("azureml", [NS]));
  await api.start();
  api.apply("services", {
    metadata: {
      name: SERVICE,
      namespace: NS,
      labels: { [WEBSERVICE_LABEL]: SERVICE },
      annotations: {
        [CONFIG_ANNOTATION]: JSON.stringify({
          auth: { mode: "none" },
          numReplicas: 2,
          maxConcurrentRequestsPerContainer: 4,
        }),
      },
    },
    spec: {},
  });
  api.apply("deployments", {
    metadata: { name: SERVICE, namespace: NS, labels: { [WEBSERVICE_LABEL]: SERVICE } },
    spec: { replicas: 2 },
  });
  for (let i = 0; i < 2; i++) {
    const p = await startPod();
    p.conditions = { ready: true };
    pods.push(p);
  }
  publishSlices();
  router = await startRouter({
    backend: new KubernetesBackend(
      { podName: "router-a", selfScaling: false, watchNamespaces: [NS] },
      silentLog,
      api.kubeConfig("router"),
      { restartDelayMs: 50 },
    ),
    host: "127.0.0.1",
    dataPort: 0,
    adminPort: 0,
    logLevel: "silent",
    processMetrics: false,
  });
  await eventually(() => routed().length === 2, 5000, "both replicas routed");
});

afterAll(async () => {
  await router.stop();
  for (const p of pods) p.server.closeAllConnections();
  await Promise.all(pods.map((p) => new Promise((r) => p.server.close(r))));
  await api.stop();
});

describe("a rolling update under sustained load", () => {
  it("replaces every replica, one by one, three times over, with zero failed requests", async () => {
    const client = new Agent({ connections: 16 });
    const statuses = new Map<number | string, number>();
    let running = true;
    const clients = Array.from({ length: 6 }, async () => {
      while (running) {
        try {
          const res = await request(`${router.dataUrl}/api/v1/service/${SERVICE}/score`, {
            method: "POST",
            body: '{"data":[[1,2]]}',
            dispatcher: client,
          });
          await res.body.text();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        } catch (e) {
          const code = (e as { code?: string }).code ?? String(e);
          statuses.set(code, (statuses.get(code) ?? 0) + 1);
        }
      }
    });
    const original = pods.map((p) => p.name);
    const replaced: Pod[] = [];
    for (let round = 0; round < 3; round++)
      for (const old of [...pods]) {
        const servedBefore = old.served;
        await eventually(() => old.served > servedBefore + 50, 10_000, `${old.name} takes load`);
        replaced.push(old);
        await replace(old);
      }
    await eventually(() => pods.every((p) => p.served > 5), 5000, "the last replicas take load");
    running = false;
    await Promise.all(clients);
    await client.close();
    expect(replaced).toHaveLength(6);
    expect(pods.map((p) => p.name).some((n) => original.includes(n))).toBe(false);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(300);
    expect(statuses).toEqual(new Map([[200, total]]));
    expect(api.denied).toEqual([]);
  });

  it("keeps serving through a replica that is terminating but still serving when no other is ready (as kube-proxy does)", async () => {
    const [only, ...rest] = pods;
    for (const p of rest) {
      p.conditions = { ready: false, serving: false, terminating: true };
    }
    only!.conditions = { ready: false, serving: true, terminating: true };
    publishSlices();
    await eventually(() => routed().length === 1 && routed()[0] === only!.name, 5000, "only the serving one routed");
    const res = await request(`${router.dataUrl}/api/v1/service/${SERVICE}/score`, { method: "POST", body: "{}" });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    // Once a replica is ready again, the terminating one gets nothing new.
    const fresh = await startPod();
    fresh.conditions = { ready: true };
    pods.push(fresh);
    publishSlices();
    await eventually(() => routed().join() === fresh.name, 5000, "only the ready one routed");
  });
});
