/**
 * Two real routers (startRouter + the Kubernetes backend) against
 * test/router/backends/fakeKubeApi.ts: a FAKE Kubernetes API server (real HTTP on
 * loopback, list/watch/get/put with resourceVersion semantics, granting exactly the
 * Roles AzuremlFe creates). It is the one test double in the router tests, because no
 * real API server can run here. The model replica is a real HTTP server on loopback.
 *
 * Traffic goes only to the follower; the leader must see it through the follower's
 * load reports and scale the Deployment. Then the leader dies and the follower takes
 * over scaling.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { startRouter, type RunningRouter } from "../../../router/startRouter.js";
import { CONFIG_ANNOTATION, WEBSERVICE_LABEL } from "../../../router/contract/serviceConfig.js";
import { KubernetesBackend } from "../../../router/backends/kubernetes/kubernetesBackend.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { FakeKubeApi } from "./fakeKubeApi.js";
import { peerSecretFile } from "./peerSecretFile.js";

const MODELS = "models";
const ROUTERS = "azureml";
const settings = (podName: string) => ({
  podName,
  podNamespace: ROUTERS,
  peersService: "azureml-fe-peers",
  leaseName: "azureml-fe-leader",
  routerDeployment: "azureml-fe",
  selfScaling: false,
  watchNamespaces: [MODELS],
  peerSecretFile: peerSecretFile(),
});

let api: FakeKubeApi;
let replica: Server;
const routers = new Map<string, RunningRouter>();
const agent = new Agent({ connections: 16 });

async function startPod(pod: string): Promise<RunningRouter> {
  const r = await startRouter({
    backend: new KubernetesBackend(
      settings(pod),
      { info: () => undefined, warn: () => undefined },
      api.kubeConfig(pod),
      { leaseDurationSeconds: 2, renewSeconds: 0.4, restartDelayMs: 100 },
    ),
    host: "127.0.0.1",
    dataPort: 0,
    adminPort: 0,
    logLevel: "silent",
    processMetrics: false,
  });
  routers.set(pod, r);
  // The headless peers Service's EndpointSlice for this pod (the admin port differs per test process).
  api.apply("endpointslices", {
    metadata: {
      name: `azureml-fe-peers-${pod}`,
      namespace: ROUTERS,
      labels: { "kubernetes.io/service-name": "azureml-fe-peers" },
    },
    addressType: "IPv4",
    ports: [{ name: "admin", port: Number(new URL(r.adminUrl).port) }],
    endpoints: [
      {
        addresses: ["127.0.0.1"],
        conditions: { ready: true },
        targetRef: { kind: "Pod", name: pod, namespace: ROUTERS },
      },
    ],
  });
  return r;
}

function replicas(): number {
  return (api.get("deployments", MODELS, "m")!.spec as { replicas: number }).replicas;
}

function load(router: RunningRouter, clients: number): { stop: () => Promise<number> } {
  let running = true;
  let failed = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const res = await request(`${router.dataUrl}/api/v1/service/m/score`, {
        method: "POST",
        body: "{}",
        dispatcher: agent,
      });
      await res.body.text();
      if (res.statusCode !== 200) failed++;
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return failed;
    },
  };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

beforeAll(async () => {
  api = new FakeKubeApi(routerRoleGrants(ROUTERS, [MODELS]));
  await api.start();
  replica = createServer((req, res) => {
    req.resume();
    req.on("end", () => setTimeout(() => res.end("[1]"), 100));
  });
  replica.listen(0, "127.0.0.1");
  await new Promise((r) => replica.once("listening", r));
  const port = (replica.address() as AddressInfo).port;
  api.apply("services", {
    metadata: {
      name: "m",
      namespace: MODELS,
      labels: { [WEBSERVICE_LABEL]: "m" },
      annotations: {
        [CONFIG_ANNOTATION]: JSON.stringify({
          autoscale: { minReplicas: 1, maxReplicas: 5 },
          auth: { mode: "none" },
          maxRequestWaitTimeMs: 30_000,
        }),
      },
    },
    spec: {},
  });
  api.apply("deployments", {
    metadata: { name: "m", namespace: MODELS, labels: { [WEBSERVICE_LABEL]: "m" } },
    spec: { replicas: 1 },
  });
  api.apply("endpointslices", {
    metadata: { name: "m-1", namespace: MODELS, labels: { "kubernetes.io/service-name": "m" } },
    addressType: "IPv4",
    ports: [{ name: "http", port }],
    endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true }, targetRef: { kind: "Pod", name: "m-0" } }],
  });
});

afterAll(async () => {
  for (const r of routers.values()) await r.stop();
  await agent.close();
  await new Promise((r) => replica.close(r));
  await api.stop();
});

describe("scaling across router pods", () => {
  it("the leader scales on the follower's traffic; after the leader dies the follower takes over", async () => {
    const a = await startPod("router-a");
    const b = await startPod("router-b");
    expect(a.leaderElection!.isLeader()).toBe(true);
    expect(b.leaderElection!.isLeader()).toBe(false);

    const traffic = load(b, 3); // demand 3 at 70% -> 5 replicas, seen only by router-b
    const tookMs = await until(() => replicas() === 5, 5000);
    console.log(`leader scaled 1 -> 5 on the follower's load ${tookMs.toFixed(0)} ms after the step`);
    const scaleWrites = api.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/deployments/m/scale"));
    expect(new Set(scaleWrites.map((w) => w.client))).toEqual(new Set(["router-a"]));
    expect(await traffic.stop()).toBe(0);

    // The leader is cut off (crash); the follower takes the lease and scales on its own traffic.
    api.partition("router-a");
    await until(() => b.leaderElection!.isLeader(), 5000);
    api.apply("deployments", {
      metadata: { name: "m", namespace: MODELS, labels: { [WEBSERVICE_LABEL]: "m" } },
      spec: { replicas: 1 },
    });
    const again = load(b, 2); // ceil(2 / 0.7) = 3
    await until(() => replicas() === 3, 5000);
    expect(await again.stop()).toBe(0);
    expect(
      api.requests.some(
        (r) => r.client === "router-b" && r.method === "PUT" && r.path.endsWith("/deployments/m/scale"),
      ),
    ).toBe(true);
    api.heal("router-a");
    expect(api.denied).toEqual([]);
  }, 30_000);
});
