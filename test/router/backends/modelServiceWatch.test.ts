/**
 * The Kubernetes backend's model service watch against test/router/backends/fakeKubeApi.ts: a FAKE
 * Kubernetes API server (real HTTP on loopback, list/watch/get/put with
 * resourceVersion semantics, and RBAC: it grants exactly the Roles AzuremlFe creates).
 * It is the one test double in the router tests, because no real API server can run
 * here. client-node talks to it unchanged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ServiceCatalog, ServiceSnapshot } from "../../../router/contract/backend.js";
import { CONFIG_ANNOTATION, WEBSERVICE_LABEL } from "../../../router/contract/serviceConfig.js";
import { ModelServiceWatch } from "../../../router/backends/kubernetes/modelServiceWatch.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { FakeKubeApi } from "./fakeKubeApi.js";

class RecordingCatalog implements ServiceCatalog {
  readonly latest = new Map<string, ServiceSnapshot>();
  readonly rejected = new Map<string, string>();
  readonly withdrawn = new Map<string, { reason: string; detail: string }>();
  upserts = 0;
  upsert(s: ServiceSnapshot): void {
    this.upserts++;
    this.latest.set(s.name, s);
    this.withdrawn.delete(s.name);
  }
  remove(name: string): void {
    this.latest.delete(name);
    this.withdrawn.delete(name);
  }
  reject(name: string, reason: string): void {
    this.rejected.set(name, reason);
  }
  withdraw(name: string, reason: string, detail: string): void {
    this.latest.delete(name);
    this.withdrawn.set(name, { reason, detail });
  }
}

const NS = "models";
/** A second service namespace the router watches, and one it does not. */
const OTHER = "other-team";
const UNWATCHED = "elsewhere";
const WATCHED = [NS, OTHER];
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
const watch = (client: string, restartDelayMs?: number) =>
  new ModelServiceWatch(api.kubeConfig(client), { namespaces: WATCHED, restartDelayMs });

beforeAll(async () => {
  api = new FakeKubeApi(routerRoleGrants("azureml", WATCHED));
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
    backend = watch("router");
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

  it("withdraws a name two watched namespaces claim (neither is served), and serves the one left", async () => {
    api.apply("services", modelService("twin"));
    api.apply("deployments", deployment("twin", 1));
    const catalog = new RecordingCatalog();
    backend = watch("router");
    await backend.start(catalog);
    expect(catalog.latest.get("twin")!.config.auth.mode).toBe("key");
    // A look-alike with auth "none" in another team's namespace: it must not get twin's traffic (or its clients' keys).
    const clash = modelService("twin", { auth: { mode: "none" } });
    api.apply("services", { ...clash, metadata: { ...clash.metadata, namespace: OTHER } });
    await until(() => catalog.withdrawn.has("twin"));
    expect(catalog.latest.has("twin")).toBe(false);
    const { reason, detail } = catalog.withdrawn.get("twin")!;
    expect(detail).toContain(`namespaces ${NS}, ${OTHER}`);
    expect(detail).toContain("webservice-unique-names");
    // What clients are told names no namespace.
    expect(reason).not.toContain(OTHER);
    expect(reason).toMatch(/claimed by more than one Service/);
    await expect(backend.scale("twin", 3)).rejects.toThrow(/unknown service/);
    // Once only one is left it is served again: here the look-alike, since the original went.
    api.delete("services", NS, "twin");
    await until(() => catalog.latest.has("twin"));
    expect(catalog.withdrawn.has("twin")).toBe(false);
    expect(catalog.latest.get("twin")!.config.auth.mode).toBe("none");
    api.delete("services", OTHER, "twin");
    await until(() => !catalog.latest.has("twin"));
    api.delete("deployments", NS, "twin");
  });

  it("watches only the declared namespaces: a Service elsewhere is never seen, and nothing outside them is asked for", async () => {
    const outside = modelService("outsider", { auth: { mode: "none" } });
    api.apply("services", { ...outside, metadata: { ...outside.metadata, namespace: UNWATCHED } });
    api.apply("services", modelService("insider"));
    const catalog = new RecordingCatalog();
    backend = watch("scoped");
    await backend.start(catalog);
    expect(catalog.latest.has("insider")).toBe(true);
    expect(catalog.latest.has("outsider")).toBe(false);
    const asked = api.requests.filter((r) => r.client === "scoped").map((r) => r.path);
    expect(asked.length).toBeGreaterThan(0);
    for (const path of asked) expect(path).toMatch(new RegExp(`/namespaces/(${WATCHED.join("|")})/`));
    expect(api.denied.filter((d) => d.client === "scoped")).toEqual([]);
    api.delete("services", UNWATCHED, "outsider");
    api.delete("services", NS, "insider");
  });

  it("a service without its keys Secret has no keys (every request 401) until the Secret appears", async () => {
    api.apply("services", modelService("nokeys"));
    api.apply("deployments", deployment("nokeys", 1));
    const catalog = new RecordingCatalog();
    backend = watch("router");
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
    backend = watch("router", 50);
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
    backend = watch("scaler");
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
