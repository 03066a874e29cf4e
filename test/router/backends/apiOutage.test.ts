/**
 * The Kubernetes API failing, at startup and later, against a real router (startRouter +
 * the Kubernetes backend) and test/router/backends/fakeKubeApi.ts: a FAKE Kubernetes
 * API server (real HTTP on loopback, granting exactly the Roles AzuremlFe creates). It
 * is the one test double in the router tests, because no real API server can run here.
 * The model replica is a real HTTP server on loopback.
 *
 * A router that cannot list its services must not report ready (it would answer 404 to
 * every scoring request behind the load balancer), yet stay alive (liveness 200, so the
 * kubelet does not restart it in a loop while the API is down); once it has listed,
 * an outage must not empty it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { request } from "undici";
import { startRouter, type RunningRouter } from "../../../router/startRouter.js";
import { KubernetesBackend } from "../../../router/backends/kubernetes/kubernetesBackend.js";
import { restartDelayMs } from "../../../router/backends/kubernetes/informers.js";
import { freePort } from "../../../router/backends/local/freePort.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { FakeKubeApi } from "./fakeKubeApi.js";
import { addModelService, eventually, silentLog, startReplica } from "./clusterFixtures.js";

const MODELS = "models";

let api: FakeKubeApi;
let replica: { server: Server; port: number };

beforeAll(async () => {
  api = new FakeKubeApi(routerRoleGrants("azureml", [MODELS]));
  await api.start();
  replica = await startReplica();
  addModelService(api, MODELS, "m", replica.port);
});

afterAll(async () => {
  await new Promise((r) => replica.server.close(r));
  await api.stop();
});

const status = async (url: string, init: { method?: "GET" | "POST"; body?: string } = {}) => {
  const res = await request(url, init);
  await res.body.text();
  return res.statusCode;
};

describe("Kubernetes API down at startup", () => {
  it("stays not-ready (503) but alive (200) while the API fails, retries with back-off, and serves once listed", async () => {
    api.outage(500);
    const [dataPort, adminPort] = [await freePort(), await freePort()];
    const admin = `http://127.0.0.1:${adminPort}`;
    const data = `http://127.0.0.1:${dataPort}`;
    const starting: Promise<RunningRouter> = startRouter({
      backend: new KubernetesBackend(
        { podName: "router-a", selfScaling: false, watchNamespaces: [MODELS] },
        silentLog,
        api.kubeConfig("starting"),
        { restartDelayMs: 20 },
      ),
      host: "127.0.0.1",
      dataPort,
      adminPort,
      logLevel: "silent",
      processMetrics: false,
    });
    const lists = () =>
      api.requests.filter((r) => r.client === "starting" && r.path === `/api/v1/namespaces/${MODELS}/services`).length;
    // Several failed attempts at listing: retried, not given up on and not taken as "no services".
    await eventually(() => lists() >= 3, 10_000, "the router retries its list");
    await eventually(async () => (await status(`${admin}/readyz`).catch(() => 0)) === 503, 5000, "admin /readyz 503");
    expect(await status(`${admin}/healthz`)).toBe(200);
    expect(await status(`${data}/readyz`)).toBe(503);

    api.recover();
    const router = await starting;
    try {
      expect(await status(`${admin}/readyz`)).toBe(200);
      expect(await status(`${data}/api/v1/service/m/score`, { method: "POST", body: "{}" })).toBe(200);

      // A later outage: the router keeps serving what it listed, and stays ready.
      const before = api.requests.length;
      api.outage(500);
      // The watches were cut; the router's attempts to resume them now fail.
      await eventually(
        () => api.requests.slice(before).filter((r) => r.client === "starting").length >= 4,
        10_000,
        "the router meets the outage",
      );
      for (let i = 0; i < 5; i++)
        expect(await status(`${data}/api/v1/service/m/score`, { method: "POST", body: "{}" })).toBe(200);
      expect(await status(`${admin}/readyz`)).toBe(200);
    } finally {
      api.recover();
      await router.stop();
    }
    expect(api.denied).toEqual([]);
  }, 30_000);
});

describe("restart back-off", () => {
  it.each([
    // failures, random draw -> delay (base 1000 ms, max 30000 ms): doubles per failure, capped, jittered in the upper half
    [1, 0, 500],
    [1, 1, 1000],
    [2, 0, 1000],
    [3, 1, 4000],
    [5, 0.5, 12_000],
    [6, 1, 30_000],
    [7, 0, 15_000],
    [60, 1, 30_000],
  ])("failure %i with draw %d waits %i ms", (failures, draw, expected) => {
    expect(restartDelayMs(failures, 1000, 30_000, () => draw)).toBe(expected);
  });
});
