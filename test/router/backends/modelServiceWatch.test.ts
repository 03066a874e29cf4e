/**
 * The Kubernetes backend's model service watch against test/router/backends/fakeKubeApi.ts: a FAKE
 * Kubernetes API server (real HTTP on loopback, list/watch/get/put with
 * resourceVersion semantics). It is the one test double in the router tests,
 * because no real API server can run here. client-node talks to it unchanged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ServiceCatalog, ServiceSnapshot } from "../../../router/contract/backend.js";
import { CONFIG_ANNOTATION, WEBSERVICE_LABEL } from "../../../router/contract/serviceConfig.js";
import { ModelServiceWatch } from "../../../router/backends/kubernetes/modelServiceWatch.js";
import { FakeKubeApi } from "./fakeKubeApi.js";

class RecordingCatalog implements ServiceCatalog {
  readonly latest = new Map<string, ServiceSnapshot>();
  readonly rejected = new Map<string, string>();
  upserts = 0;
  upsert(s: ServiceSnapshot): void {
    this.upserts++;
    this.latest.set(s.name, s);
  }
  remove(name: string): void {
    this.latest.delete(name);
  }
  reject(name: string, reason: string): void {
    this.rejected.set(name, reason);
  }
}

const NS = "models";
const b64 = (s: string) => Buffer.from(s).toString("base64");

function modelService(name: string, config: object | string = { autoscale: { minReplicas: 1, maxReplicas: 5 } }) {
  return {
    metadata: {
      name,
      namespace: NS,
      labels: { [WEBSERVICE_LABEL]: name, "app.kubernetes.io/part-of": "aksml" },
      annotations: { [CONFIG_ANNOTATION]: typeof config === "string" ? config : JSON.stringify(config) },
    },
    spec: { ports: [{ port: 80, targetPort: 5001 }] },
  };
}
function deployment(name: string, replicas: number, service = name) {
  return { metadata: { name, namespace: NS, labels: { [WEBSERVICE_LABEL]: service } }, spec: { replicas } };
}
function slice(service: string, endpoints: Array<{ ip: string; pod: string; ready?: boolean }>, suffix = "abc") {
  return {
    metadata: { name: `${service}-${suffix}`, namespace: NS, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 5001, protocol: "TCP" }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true },
      targetRef: { kind: "Pod", name: e.pod, namespace: NS },
    })),
  };
}
function keys(name: string, primary: string, secondary: string) {
  return {
    metadata: { name: `${name}-keys`, namespace: NS, labels: { [WEBSERVICE_LABEL]: name } },
    type: "Opaque",
    data: { primaryKey: b64(primary), secondaryKey: b64(secondary) },
  };
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

let api: FakeKubeApi;
let backend: ModelServiceWatch | undefined;
beforeAll(async () => {
  api = new FakeKubeApi();
  await api.start();
});
afterAll(async () => {
  await api.stop();
});
afterEach(async () => {
  await backend?.stop();
  backend = undefined;
});

describe("ModelServiceWatch discovery", () => {
  it("publishes a service from its Service, Deployment, EndpointSlices and keys Secret, and follows changes through watches", async () => {
    api.apply("services", modelService("iris"));
    api.apply("deployments", deployment("iris", 2));
    api.apply(
      "endpointslices",
      slice("iris", [
        { ip: "10.0.0.1", pod: "iris-a" },
        { ip: "10.0.0.2", pod: "iris-b", ready: false },
      ]),
    );
    api.apply("secrets", keys("iris", "k1", "k2"));
    // Not ours: no aksml label.
    api.apply("services", { metadata: { name: "other", namespace: NS, labels: {} }, spec: {} });

    const catalog = new RecordingCatalog();
    backend = new ModelServiceWatch(api.kubeConfig("router"));
    await backend.start(catalog);
    const s = catalog.latest.get("iris")!;
    expect(s.config.autoscale.maxReplicas).toBe(5);
    expect(s.currentReplicas).toBe(2);
    expect(s.replicas).toEqual([{ id: "iris-a", url: "http://10.0.0.1:5001" }]);
    expect(s.keys).toEqual({ primaryKey: "k1", secondaryKey: "k2" });
    expect([...catalog.latest.keys()]).toEqual(["iris"]);

    // Watches: a replica becomes ready, keys rotate, the Deployment is scaled by someone.
    api.apply(
      "endpointslices",
      slice("iris", [
        { ip: "10.0.0.1", pod: "iris-a" },
        { ip: "10.0.0.2", pod: "iris-b" },
      ]),
    );
    await until(() => catalog.latest.get("iris")!.replicas.length === 2);
    api.apply("secrets", keys("iris", "k3", "k2"));
    await until(() => catalog.latest.get("iris")!.keys?.primaryKey === "k3");
    api.apply("deployments", deployment("iris", 4));
    await until(() => catalog.latest.get("iris")!.currentReplicas === 4);

    // A bad annotation is rejected (the router keeps the last good settings), then fixed.
    api.apply("services", modelService("iris", { autoscale: { minReplicas: 9, maxReplicas: 2 }, bogus: 1 }));
    await until(() => catalog.rejected.has("iris"));
    expect(catalog.rejected.get("iris")).toMatch(/autoscale\.minReplicas.*bogus|bogus.*autoscale\.minReplicas/s);
    expect(catalog.latest.get("iris")!.config.autoscale.maxReplicas).toBe(5);
    api.apply("services", modelService("iris", { autoscale: { minReplicas: 1, maxReplicas: 7 } }));
    await until(() => catalog.latest.get("iris")!.config.autoscale.maxReplicas === 7);

    // Deleting the Service removes the service.
    api.delete("services", NS, "iris");
    await until(() => !catalog.latest.has("iris"));
    for (const [r, n] of [
      ["deployments", "iris"],
      ["endpointslices", "iris-abc"],
      ["secrets", "iris-keys"],
    ] as const)
      api.delete(r, NS, n);
  });

  it("serves the oldest of two same-named services in different namespaces and reports the clash", async () => {
    api.apply("services", modelService("twin"));
    api.apply("deployments", deployment("twin", 1));
    const catalog = new RecordingCatalog();
    backend = new ModelServiceWatch(api.kubeConfig("router"));
    await backend.start(catalog);
    const clash = modelService("twin", { autoscale: { maxReplicas: 2 } });
    api.apply("services", { ...clash, metadata: { ...clash.metadata, namespace: "other-team" } });
    await until(() => catalog.rejected.has("twin"));
    expect(catalog.rejected.get("twin")).toContain("other-team");
    expect(catalog.latest.get("twin")!.config.autoscale.maxReplicas).toBe(5);
    api.delete("services", "other-team", "twin");
    api.delete("services", NS, "twin");
    await until(() => !catalog.latest.has("twin"));
  });

  it("a service without its keys Secret has no keys (every request 401) until the Secret appears", async () => {
    api.apply("services", modelService("nokeys"));
    api.apply("deployments", deployment("nokeys", 1));
    const catalog = new RecordingCatalog();
    backend = new ModelServiceWatch(api.kubeConfig("router"));
    await backend.start(catalog);
    expect(catalog.latest.get("nokeys")!.keys).toBeUndefined();
    api.apply("secrets", keys("nokeys", "a", "b"));
    await until(() => catalog.latest.get("nokeys")!.keys?.secondaryKey === "b");
    api.delete("services", NS, "nokeys");
  });

  it("recovers from dropped watches and from a compacted resourceVersion (410 Gone) by re-listing", async () => {
    api.apply("services", modelService("gone"));
    api.apply("deployments", deployment("gone", 1));
    const catalog = new RecordingCatalog();
    backend = new ModelServiceWatch(api.kubeConfig("router"), { restartDelayMs: 50 });
    await backend.start(catalog);
    api.compact();
    api.dropWatches();
    api.apply("deployments", deployment("gone", 3));
    await until(() => catalog.latest.get("gone")?.currentReplicas === 3, 8000);
    api.delete("services", NS, "gone");
  });

  it("scales the Deployment through the scale subresource, and the new count flows back through the watch", async () => {
    api.apply("services", modelService("scaled", { deployment: "scaled-deploy" }));
    api.apply("deployments", deployment("scaled-deploy", 1));
    const catalog = new RecordingCatalog();
    backend = new ModelServiceWatch(api.kubeConfig("scaler"));
    await backend.start(catalog);
    await backend.scale("scaled", 4);
    expect((api.get("deployments", NS, "scaled-deploy")!.spec as { replicas: number }).replicas).toBe(4);
    const writes = api.requests.filter((r) => r.client === "scaler" && r.method === "PUT");
    expect(writes.map((w) => w.path)).toEqual([`/apis/apps/v1/namespaces/${NS}/deployments/scaled-deploy/scale`]);
    await until(() => catalog.latest.get("scaled")!.currentReplicas === 4);
    await expect(backend.scale("unknown", 2)).rejects.toThrow(/unknown service/);
    api.delete("services", NS, "scaled");
  });
});
