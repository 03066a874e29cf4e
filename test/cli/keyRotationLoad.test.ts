/**
 * Key rotation under load with zero failed requests, following the procedure in
 * docs/day2.md: clients score with the secondary key while the primary is regenerated,
 * move to the new primary once the router accepts it, then the secondary is regenerated.
 * Every client request of the whole run must succeed.
 *
 * Twice: against `aksml local` (real processes throughout), and against a cluster: a real
 * router on its Kubernetes backend watching the fake Kubernetes API (the one test double),
 * with `aksml regen-key` writing the Secret through that API as it would on AKS.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeKubeApi } from "../router/backends/fakeKubeApi.js";
import { startReplica, type TestReplica } from "../router/helpers/upstream.js";
import { startRouter, type RunningRouter } from "../../router/startRouter.js";
import { KubernetesBackend } from "../../router/backends/kubernetes/kubernetesBackend.js";
import { createLogger } from "../../router/log.js";
import {
  NS,
  addDeployment,
  addEndpointSlice,
  addKeys,
  addModelService,
  clusterGrants,
  kubeconfigFile,
} from "./helpers/day2Cluster.js";
import { cleanEnv, runCliIn, until } from "./helpers/cliProcess.js";
import { SAMPLE, scorer, startLocal, type LocalRun } from "./helpers/localRun.js";

const PRIMARY = "rotation-primary-key-0123456789ab";
const SECONDARY = "rotation-secondary-key-0123456789a";
const CLIENTS = 6;
/**
 * Room for every client at once: on a busy machine a queued request could otherwise outwait
 * maxRequestWaitTimeMs and get a 503 (load shedding, not a rotation failure), and any non-2xx
 * here must mean the rotation failed someone.
 */
const CAPACITY = { maxConcurrentRequestsPerContainer: CLIENTS + 2, maxRequestWaitTimeMs: 30_000 };

/** Clients scoring in a loop with whatever key `key()` says now; every status is counted. */
function startLoad(url: string, key: () => string) {
  const statuses = new Map<number, number>();
  let stopped = false;
  let total = 0;
  const loops = Array.from({ length: CLIENTS }, async () => {
    while (!stopped) {
      let status: number;
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${key()}`, "content-type": "application/json" },
          body: SAMPLE,
        });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = -1; // connection refused or reset: a failure too
      }
      total++;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  return {
    total: () => total,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return statuses;
    },
  };
}

async function accepted(url: string, key: string): Promise<boolean> {
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${key}` }, body: SAMPLE });
  await res.arrayBuffer();
  return res.status === 200;
}

/** The procedure of docs/day2.md, with `regen` running `aksml regen-key` and the load running throughout. */
async function rotateUnderLoad(
  url: string,
  regen: (slot: string) => Promise<{ primaryKey: string; secondaryKey: string }>,
) {
  let clientKey = SECONDARY;
  const load = startLoad(url, () => clientKey);
  await until(() => load.total() > 20 || undefined, "the load to run");

  const afterPrimary = await regen("primary");
  expect(afterPrimary.secondaryKey).toBe(SECONDARY);
  await until(
    async () => (await accepted(url, afterPrimary.primaryKey)) || undefined,
    "the new primary key to be served",
  );
  clientKey = afterPrimary.primaryKey;
  const movedAt = load.total();
  await until(() => load.total() > movedAt + 20 || undefined, "load on the new primary key");

  const afterSecondary = await regen("secondary");
  expect(afterSecondary.primaryKey).toBe(afterPrimary.primaryKey);
  await until(async () => (await accepted(url, afterSecondary.secondaryKey)) || undefined, "the new secondary key");
  const doneAt = load.total();
  await until(() => load.total() > doneAt + 20 || undefined, "load after the second rotation");

  const statuses = await load.stop();
  expect(Object.fromEntries(statuses)).toEqual({ 200: load.total() });
  expect(await accepted(url, PRIMARY)).toBe(false);
  expect(await accepted(url, SECONDARY)).toBe(false);
}

let local: LocalRun | undefined;
let api: FakeKubeApi | undefined;
let router: RunningRouter | undefined;
let replica: TestReplica | undefined;
afterAll(async () => {
  await local?.stop();
  await router?.stop();
  await replica?.close();
  await api?.stop();
});

describe("key rotation under load, zero failed requests", () => {
  it("with aksml local", async () => {
    local = await startLocal([
      scorer(
        "house-prices",
        { numReplicas: 2, ...CAPACITY },
        { keys: { primaryKey: PRIMARY, secondaryKey: SECONDARY } },
      ),
    ]);
    const run = local;
    await rotateUnderLoad(`${run.dataUrl}/api/v1/service/house-prices/score`, async (slot) => {
      const r = await runCliIn(
        ["regen-key", "house-prices", "--key", slot, "--json", "--local", run.adminUrl],
        run.env,
      );
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    });
  }, 120_000);

  it("on a cluster (router on the Kubernetes backend, the keys Secret through the API)", async () => {
    api = new FakeKubeApi(clusterGrants());
    await api.start();
    replica = await startReplica("house-prices-a");
    addModelService(api, "house-prices", { numReplicas: 1, ...CAPACITY });
    addKeys(api, "house-prices", PRIMARY, SECONDARY);
    addDeployment(api, "house-prices", 1, 1);
    addEndpointSlice(api, "house-prices", "house-prices-a", replica.endpoint.url);
    router = await startRouter({
      backend: new KubernetesBackend(
        { podName: "router-0", selfScaling: false, watchNamespaces: [NS] },
        createLogger("silent"),
        api.kubeConfig("router"),
      ),
      host: "127.0.0.1",
      dataPort: 0,
      adminPort: 0,
      processMetrics: false,
      logger: createLogger("silent"),
    });
    const env = cleanEnv({
      HOME: mkdtempSync(join(tmpdir(), "aksml-home-")),
      KUBECONFIG: kubeconfigFile(api, "operator"),
    });
    const url = `${router.dataUrl}/api/v1/service/house-prices/score`;
    await until(async () => (await accepted(url, SECONDARY)) || undefined, "the router to serve the service");
    await rotateUnderLoad(url, async (slot) => {
      const r = await runCliIn(["regen-key", "house-prices", "--key", slot, "--json"], env);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    });
  }, 120_000);
});
