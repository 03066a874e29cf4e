/**
 * Pods steering scaling through the peer load endpoint, against a real leader router
 * (startRouter + the Kubernetes backend) and test/router/backends/fakeKubeApi.ts: a
 * FAKE Kubernetes API server (real HTTP on loopback, granting exactly the Roles
 * AzuremlFe creates). It is the one test double in the router tests, because no real
 * API server can run here.
 *
 * The attack: any pod (a model pod runs user code) posts fake load reports to the
 * admin port and scales a model to its maximum within a second. Reports must carry
 * the peers' shared secret; a real peer's reports still count.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { request } from "undici";
import { startRouter, type RunningRouter } from "../../../router/startRouter.js";
import { KubernetesBackend } from "../../../router/backends/kubernetes/kubernetesBackend.js";
import { PEER_LOAD_PATH } from "../../../router/contract/backend.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { FakeKubeApi } from "./fakeKubeApi.js";
import { addModelService, eventually, silentLog, startReplica } from "./clusterFixtures.js";
import { PEER_SECRET, peerSecretFile } from "./peerSecretFile.js";

const MODELS = "models";
const ROUTERS = "azureml";

let api: FakeKubeApi;
let replica: { server: Server; port: number };
let leader: RunningRouter;

beforeAll(async () => {
  api = new FakeKubeApi(routerRoleGrants(ROUTERS, [MODELS]));
  await api.start();
  replica = await startReplica();
  addModelService(api, MODELS, "m", replica.port, {
    auth: { mode: "none" },
    autoscale: { minReplicas: 1, maxReplicas: 10 },
  });
  leader = await startRouter({
    backend: new KubernetesBackend(
      {
        podName: "router-a",
        podNamespace: ROUTERS,
        peersService: "azureml-fe-peers",
        leaseName: "azureml-fe-leader",
        selfScaling: false,
        watchNamespaces: [MODELS],
        peerSecretFile: peerSecretFile(),
      },
      silentLog,
      api.kubeConfig("router-a"),
      { leaseDurationSeconds: 2, renewSeconds: 0.4, restartDelayMs: 100 },
    ),
    host: "127.0.0.1",
    dataPort: 0,
    adminPort: 0,
    logLevel: "silent",
    processMetrics: false,
  });
});

afterAll(async () => {
  await leader.stop();
  await new Promise((r) => replica.server.close(r));
  await api.stop();
});

const replicas = () => (api.get("deployments", MODELS, "m")!.spec as { replicas: number }).replicas;
const scaleWrites = () => api.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/deployments/m/scale"));

async function postReport(inFlight: number, peer: string, authorization?: string): Promise<number> {
  const res = await request(`${leader.adminUrl}${PEER_LOAD_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ peer, sentAt: Date.now(), loads: [{ service: "m", inFlight, queued: 0 }] }),
  });
  await res.body.text();
  return res.statusCode;
}

describe("the peer load endpoint", () => {
  it("refuses reports without the peers' secret: a pod's fake load never scales anything, a real peer's does", async () => {
    expect(leader.leaderElection!.isLeader()).toBe(true);
    // The rogue pod floods fake reports (demand 100: 10 replicas) without, then with a wrong, secret.
    let flooding = true;
    const refused: number[] = [];
    const flood = (async () => {
      for (let i = 0; flooding; i++) {
        refused.push(await postReport(100, `rogue-${i % 5}`, i % 2 ? "Bearer guessed-secret" : undefined));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await eventually(() => refused.length >= 10, 5000, "the flood is under way");
    // A real follower reports demand 2 with the secret: ceil(2 / 0.7) = 3 replicas.
    const sendReal = setInterval(() => void postReport(2, "router-b", `Bearer ${PEER_SECRET}`), 200);
    try {
      await eventually(() => scaleWrites().length > 0 && replicas() !== 1, 10_000, "the leader scales");
    } finally {
      clearInterval(sendReal);
      flooding = false;
      await flood;
    }
    // Had one fake report counted, the first (and only) scale-up would have gone to 10.
    expect(replicas()).toBe(3);
    expect(new Set(refused)).toEqual(new Set([401]));
    expect(await postReport(2, "router-b", `Bearer ${PEER_SECRET}`)).toBe(204);
    expect(api.denied).toEqual([]);
  }, 20_000);
});
