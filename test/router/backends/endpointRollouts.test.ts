/**
 * Endpoints and their rollouts with a real router on the Kubernetes backend, against
 * test/router/backends/fakeKubeApi.ts: a FAKE Kubernetes API server (real HTTP on
 * loopback, granting exactly the Roles AzuremlFe creates, and refusing anything else).
 * It is the one test double in the router tests, because no real API server can run
 * here. The model replicas are real HTTP servers on loopback.
 *
 * The endpoint is a selector-less Service labelled `aksml/endpoint` with its
 * `aksml/endpoint-config` annotation and a `<name>-keys` Secret; the router keeps a
 * rollout's live state in `<name>-rollout` (a ConfigMap no stack declares) and records
 * each decision as an Event about the endpoint's Service.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { startRouter, type RunningRouter } from "../../../router/startRouter.js";
import { KubernetesBackend } from "../../../router/backends/kubernetes/kubernetesBackend.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import {
  ENDPOINT_CONFIG_ANNOTATION,
  ENDPOINT_LABEL,
  ROLLOUT_LABEL,
  ROLLOUT_STATE_KEY,
} from "../../../router/contract/endpointConfig.js";
import type { RolloutState } from "../../../router/contract/rolloutState.js";
import { FakeKubeApi } from "./fakeKubeApi.js";
import { addModelService, eventually, silentLog } from "./clusterFixtures.js";

const NS = "models";
const OTHER = "other-team";
const KEY = "endpoint-key-0123456789abcdef";
const b64 = (s: string) => Buffer.from(s).toString("base64");

let api: FakeKubeApi;
let router: RunningRouter;
const replicas: Server[] = [];
let greenFails = false;

async function replica(fails: () => boolean): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (fails()) {
        res.writeHead(500);
        res.end("broken");
      } else res.end("[1]");
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  replicas.push(server);
  return (server.address() as AddressInfo).port;
}

function applyEndpoint(name: string, config: object, namespace = NS): void {
  api.apply("services", {
    metadata: {
      name,
      namespace,
      labels: { [ENDPOINT_LABEL]: name },
      annotations: { [ENDPOINT_CONFIG_ANNOTATION]: JSON.stringify(config) },
    },
    spec: { clusterIP: "None" },
  });
  api.apply("secrets", {
    metadata: { name: `${name}-keys`, namespace, labels: { [ENDPOINT_LABEL]: name } },
    data: { primaryKey: b64(KEY), secondaryKey: b64(`${KEY}-2`) },
  });
}

const endpointConfig = (blue: string, green: string, rollout?: object, greenPercent = 0) => ({
  versions: [
    { version: "blue", service: blue, isDefault: true, isControlVersion: true },
    { version: "green", service: green, trafficPercentile: greenPercent },
  ],
  ...(rollout
    ? {
        rollout: {
          version: "green",
          steps: [10, 50, 100],
          intervalSeconds: 1,
          minRequests: 10,
          maxP99LatencyIncreasePercent: 1000,
          ...rollout,
        },
      }
    : {}),
});

async function score(
  name: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; version?: string; body: string }> {
  const res = await request(`${router.dataUrl}/api/v1/service/${name}/score`, {
    method: "POST",
    body: "{}",
    headers: { authorization: `Bearer ${KEY}`, ...headers },
  });
  return {
    status: res.statusCode,
    version: res.headers["azureml-model-deployment"] as string | undefined,
    body: await res.body.text(),
  };
}

function load(name: string): () => Promise<Map<string, number>> {
  let running = true;
  const seen = new Map<string, number>();
  const clients = Array.from({ length: 3 }, async () => {
    while (running) {
      const r = await score(name);
      const k = `${r.version}:${r.status}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  });
  return async () => {
    running = false;
    await Promise.all(clients);
    return seen;
  };
}

const rolloutState = (name: string): RolloutState | undefined => {
  const cm = api.get("configmaps", NS, `${name}-rollout`);
  const text = (cm?.data as Record<string, string> | undefined)?.[ROLLOUT_STATE_KEY];
  return text ? (JSON.parse(text) as RolloutState) : undefined;
};
const events = (name: string) =>
  api
    .all("events", NS)
    .filter((e) => (e.involvedObject as { name: string }).name === name)
    .map((e) => `${e.type} ${e.reason}`);

beforeAll(async () => {
  api = new FakeKubeApi(routerRoleGrants("azureml", [NS, OTHER]));
  await api.start();
  const bluePort = await replica(() => false);
  const greenPort = await replica(() => greenFails);
  for (const [name, port] of [
    ["svc-blue", bluePort],
    ["svc-green", greenPort],
  ] as const)
    addModelService(api, NS, name, port, { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 8 });
  applyEndpoint("fraud", endpointConfig("svc-blue", "svc-green", undefined, 20));
  router = await startRouter({
    backend: new KubernetesBackend(
      { podName: "router-a", selfScaling: false, watchNamespaces: [NS, OTHER] },
      silentLog,
      api.kubeConfig("router"),
      { restartDelayMs: 50 },
    ),
    host: "127.0.0.1",
    dataPort: 0,
    adminPort: 0,
    logLevel: "silent",
    processMetrics: false,
    rolloutCheckIntervalMs: 50,
  });
});

afterAll(async () => {
  await router.stop();
  for (const s of replicas) s.closeAllConnections();
  await Promise.all(replicas.map((s) => new Promise((r) => s.close(r))));
  await api.stop();
});

describe("endpoints on the Kubernetes backend", () => {
  it("serves an endpoint Service with its keys Secret, 80/20, naming the version", async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const r = await score("fraud");
      expect(r.status).toBe(200);
      seen.set(r.version!, (seen.get(r.version!) ?? 0) + 1);
    }
    expect(seen).toEqual(
      new Map([
        ["blue", 80],
        ["green", 20],
      ]),
    );
    expect((await score("fraud", { authorization: "Bearer wrong" })).status).toBe(401);
    expect(api.denied).toEqual([]);
  });

  it("rolls a failing new version back at the first step: ConfigMap status and Events, within the router's RBAC", async () => {
    greenFails = true;
    applyEndpoint("broken", endpointConfig("svc-blue", "svc-green", {}));
    await eventually(() => rolloutState("broken")?.phase === "progressing", 5000, "the rollout started");
    const stop = load("broken");
    await eventually(() => rolloutState("broken")?.phase === "rolledBack", 10_000, "rolled back");
    await stop();
    greenFails = false;
    const cm = api.get("configmaps", NS, "broken-rollout")!;
    expect(cm.metadata.labels).toMatchObject({ [ROLLOUT_LABEL]: "broken" });
    expect(rolloutState("broken")).toMatchObject({ step: 0, weights: { blue: 100, green: 0 } });
    // The leader writes the state first, then records the Event: wait for it.
    await eventually(() => events("broken").length === 2, 5000, "the rollback's Event");
    expect(events("broken")).toEqual(["Normal RolloutStarted", "Warning RolloutRolledBack"]);
    const rollback = api.all("events", NS).find((e) => e.reason === "RolloutRolledBack")!;
    expect(rollback.involvedObject).toMatchObject({ kind: "Service", name: "broken", namespace: NS });
    expect(String(rollback.message)).toMatch(
      /green rolled back to 0 %; blue serves its traffic again: error rate of green/,
    );
    // Every router follows the ConfigMap: blue serves everything now.
    await eventually(async () => (await score("broken")).version === "blue", 5000, "the router follows the state");
    for (let i = 0; i < 20; i++) expect((await score("broken")).version).toBe("blue");
    expect(api.denied).toEqual([]);
  });

  it("promotes a healthy new version, and `pulumi up` with the same plan neither resets it nor drifts", async () => {
    applyEndpoint("loans", endpointConfig("svc-blue", "svc-green", {}));
    const stop = load("loans");
    await eventually(() => rolloutState("loans")?.phase === "promoted", 15_000, "promoted");
    await stop();
    expect(rolloutState("loans")!.weights).toEqual({ blue: 0, green: 100 });
    await eventually(() => events("loans").length === 3, 5000, "the promotion's Event");
    expect(events("loans")).toEqual(["Normal RolloutStarted", "Normal RolloutAdvanced", "Normal RolloutPromoted"]);
    const before = api.get("configmaps", NS, "loans-rollout")!.metadata.resourceVersion;
    // What `pulumi up` does with an unchanged program: the same annotation again.
    applyEndpoint("loans", endpointConfig("svc-blue", "svc-green", {}));
    for (let i = 0; i < 20; i++) expect((await score("loans")).version).toBe("green");
    expect(api.get("configmaps", NS, "loans-rollout")!.metadata.resourceVersion).toBe(before);
    expect(events("loans")).toHaveLength(3);
  });

  it("never writes over a ConfigMap of that name that is not the router's", async () => {
    api.apply("configmaps", { metadata: { name: "theirs-rollout", namespace: NS }, data: { note: "mine" } });
    applyEndpoint("theirs", endpointConfig("svc-blue", "svc-green", {}));
    await eventually(
      () => api.requests.some((r) => r.method === "POST" && r.path.endsWith("/configmaps")),
      5000,
      "the router tried to create its state",
    );
    const cm = api.get("configmaps", NS, "theirs-rollout")!;
    expect(cm.data).toEqual({ note: "mine" });
    expect(events("theirs")).toEqual([]);
    // Until then the static split applies.
    expect((await score("theirs")).version).toBe("blue");
  });

  it("ignores a hand-edited state that does not belong to the plan", async () => {
    api.apply("configmaps", {
      metadata: { name: "fraud-rollout", namespace: NS, labels: { [ROLLOUT_LABEL]: "fraud" } },
      data: {
        [ROLLOUT_STATE_KEY]: JSON.stringify({
          planHash: "0000000000000000",
          version: "green",
          control: "blue",
          phase: "promoted",
          step: 0,
          weights: { blue: 0, green: 100 },
          stepStartedAt: new Date().toISOString(),
          revision: 1,
          history: [],
        }),
      },
    });
    const seen = new Map<string, number>();
    for (let i = 0; i < 50; i++) {
      const v = (await score("fraud")).version!;
      seen.set(v, (seen.get(v) ?? 0) + 1);
    }
    expect(seen).toEqual(
      new Map([
        ["blue", 40],
        ["green", 10],
      ]),
    );
  });

  it("serves neither of two endpoints claiming one name across namespaces", async () => {
    applyEndpoint("twice", endpointConfig("svc-blue", "svc-green"));
    await eventually(async () => (await score("twice")).status === 200, 5000, "served");
    applyEndpoint("twice", endpointConfig("svc-blue", "svc-green"), OTHER);
    await eventually(async () => (await score("twice")).status === 503, 5000, "withdrawn");
    expect((await score("twice")).body).toContain("claimed by more than one Service");
    api.delete("services", OTHER, "twice");
    await eventually(async () => (await score("twice")).status === 200, 5000, "served again");
  });
});
