/**
 * The router pods' CPU in Kubernetes (router/backends/kubernetes/routerPodCpu.ts): the
 * calls it makes against test/router/backends/fakeKubeApi.ts, a FAKE Kubernetes API
 * server (real HTTP on loopback; the one test double, as no API server runs here) that
 * enforces exactly the RBAC AzuremlFe grants and refuses resizes that change anything
 * but container resources, as the real server does. In place where the server has the
 * `resize` subresource, a rolling restart where it has not.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { RouterPodCpu } from "../../../router/backends/kubernetes/routerPodCpu.js";
import { ROUTER_CPU_ANNOTATION } from "../../../router/contract/routerSize.js";
import type { FakeKubeApi, FakeKubeApiOptions } from "./fakeKubeApi.js";
import {
  addRouterDeployment,
  addRouterPod,
  DEPLOYMENT,
  finishRollout,
  limitRangeDefaults,
  NS,
  podCores,
  routerApi,
} from "./routerSizeFixtures.js";

let api: FakeKubeApi;
afterEach(async () => {
  expect(api.denied).toEqual([]); // every call the router made is one its Role allows
  await api.stop();
});

/** Two router pods at 2 cores; `pods` is what the peers Service lists. */
async function cluster(options?: FakeKubeApiOptions, pods = ["fe-a", "fe-b"]): Promise<RouterPodCpu> {
  api = await routerApi(options);
  addRouterDeployment(api, pods.length, 2);
  for (const p of pods) addRouterPod(api, p, 2);
  const kc = api.kubeConfig("router");
  return new RouterPodCpu(kc.makeApiClient(CoreV1Api), kc.makeApiClient(AppsV1Api), {
    namespace: NS,
    deployment: DEPLOYMENT,
    pods: () => pods,
  });
}

const calls = (method: string, suffix: string) =>
  api.requests.filter((r) => r.client === "router" && r.method === method && r.path.endsWith(suffix));
const template = () =>
  (api.get("deployments", NS, DEPLOYMENT)!.spec as { template: { metadata: { annotations?: Record<string, string> } } })
    .template.metadata.annotations ?? {};
const generation = () => api.get("deployments", NS, DEPLOYMENT)!.metadata.generation;

describe("RouterPodCpu in place (Kubernetes >= 1.33)", () => {
  it("rewrites the LimitRange, resizes each router pod through pods/resize, and settles once the kubelet reports it", async () => {
    const cpu = await cluster();
    expect(await cpu.get()).toEqual({ cores: 2, settled: true });
    await cpu.set(3, { inPlace: true });
    expect(limitRangeDefaults(api)).toEqual({
      type: "Container",
      default: { cpu: "3", memory: "1229Mi" },
      defaultRequest: { cpu: "1350m", memory: "800Mi" },
    });
    for (const p of ["fe-a", "fe-b"]) {
      expect(podCores(api, p)).toEqual({ spec: "3", status: "3" });
      expect(calls("PATCH", `/namespaces/${NS}/pods/${p}/resize`)).toHaveLength(1);
    }
    const requests = (api.get("pods", NS, "fe-a")!.spec as { containers: { resources: unknown }[] }).containers[0]!;
    expect(requests.resources).toEqual({
      requests: { cpu: "1350m", memory: "800Mi" },
      limits: { cpu: "3", memory: "1229Mi" },
    });
    expect(calls("PATCH", `/deployments/${DEPLOYMENT}`)).toEqual([]); // no restart
    expect(generation()).toBe(1);
    expect(await cpu.get()).toEqual({ cores: 3, settled: true });
    // Settled pods are not read again until the size changes.
    const reads = calls("GET", "/pods/fe-a").length;
    await cpu.get();
    expect(calls("GET", "/pods/fe-a")).toHaveLength(reads);
    // Set again: nothing left to do.
    await cpu.set(3, { inPlace: true });
    expect(calls("PATCH", "/pods/fe-a/resize")).toHaveLength(1);
  });

  it("stays unsettled while the kubelet defers a resize, and says when a node can never give it", async () => {
    let verdict: "Deferred" | "Infeasible" = "Deferred";
    const cpu = await cluster({
      // The kubelet accepts the new spec but has not applied it: the status keeps the old size.
      onPodResize: (pod) => ({
        ...pod,
        status: {
          ...(pod.status as object),
          conditions: [
            {
              type: "PodResizePending",
              status: "True",
              reason: verdict,
              message: "Node didn't have enough capacity: cpu",
            },
          ],
        },
      }),
    });
    await cpu.set(4, { inPlace: true });
    expect(podCores(api, "fe-a")).toEqual({ spec: "4", status: "2" });
    expect(await cpu.get()).toMatchObject({
      cores: 4,
      settled: false,
      detail: "pod fe-a runs with 2 cores (resize Deferred)",
    });
    expect((await cpu.get()).infeasible).toBeUndefined();
    verdict = "Infeasible";
    await cpu.set(3, { inPlace: true }); // a new size, resized again
    expect(await cpu.get()).toMatchObject({ cores: 3, settled: false, infeasible: true });
  });

  it("skips pods that are gone or terminating (a draining pod keeps its old size until it exits)", async () => {
    const cpu = await cluster(undefined, ["fe-a", "fe-b", "fe-gone"]);
    api.delete("pods", NS, "fe-gone");
    const b = api.get("pods", NS, "fe-b")!;
    api.apply("pods", { ...b, metadata: { ...b.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } });
    await cpu.set(3, { inPlace: true });
    expect(calls("PATCH", "/resize").map((r) => r.path)).toEqual([`/api/v1/namespaces/${NS}/pods/fe-a/resize`]);
    expect(await cpu.get()).toEqual({ cores: 3, settled: true });
  });
});

describe("RouterPodCpu by rolling restart", () => {
  it("without the resize subresource (Kubernetes < 1.33): changes the pod template's annotation once, and stops trying in place", async () => {
    const cpu = await cluster({ inPlaceResize: false });
    await cpu.set(3, { inPlace: true });
    expect(limitRangeDefaults(api).default.cpu).toBe("3");
    expect(calls("PATCH", "/pods/fe-a/resize")).toHaveLength(1); // tried once: 404
    expect(template()).toEqual({ [ROUTER_CPU_ANNOTATION]: "3" });
    expect(generation()).toBe(2); // the Deployment controller rolls the pods
    expect(await cpu.get()).toMatchObject({ cores: 3, settled: false, detail: expect.stringMatching(/^rollout/) });
    // Called again mid-rollout (as the self-scaler does until it settles): no new restart, no new resize attempt.
    await cpu.set(3, { inPlace: true });
    expect(generation()).toBe(2);
    expect(calls("PATCH", "/resize")).toHaveLength(1);
    // The rollout replaced the pods with ones admitted at the LimitRange's size.
    for (const p of ["fe-a", "fe-b"]) api.delete("pods", NS, p);
    addRouterPod(api, "fe-c", 3);
    addRouterPod(api, "fe-d", 3);
    finishRollout(api);
    const settled = new RouterPodCpu(
      api.kubeConfig("router").makeApiClient(CoreV1Api),
      api.kubeConfig("router").makeApiClient(AppsV1Api),
      { namespace: NS, deployment: DEPLOYMENT, pods: () => ["fe-c", "fe-d"] },
    );
    expect(await settled.get()).toEqual({ cores: 3, settled: true });
  });

  it("a resize the server refuses (here: the router is not the pod's first container) becomes a restart", async () => {
    const cpu = await cluster();
    const a = api.get("pods", NS, "fe-a")!;
    const spec = a.spec as { containers: object[] };
    api.apply("pods", { ...a, spec: { ...spec, containers: [{ name: "sidecar" }, ...spec.containers] } });
    await cpu.set(3, { inPlace: true });
    expect(calls("PATCH", "/pods/fe-a/resize")).toHaveLength(1); // refused: 422, nothing changed
    expect(template()).toEqual({ [ROUTER_CPU_ANNOTATION]: "3" });
  });

  it("restarts rather than resizes when the router cannot change its workers live, even where the cluster could", async () => {
    const cpu = await cluster();
    await cpu.set(1, { inPlace: false });
    expect(calls("PATCH", "/resize")).toEqual([]);
    expect(template()).toEqual({ [ROUTER_CPU_ANNOTATION]: "1" });
    expect(limitRangeDefaults(api).defaultRequest.cpu).toBe("450m");
  });

  it("pods that differ from a template already rolled for these cores get a restart (kubectl's restartedAt)", async () => {
    const cpu = await cluster();
    const d = api.get("deployments", NS, DEPLOYMENT)!;
    const spec = d.spec as { template: { metadata: Record<string, unknown> } };
    spec.template.metadata.annotations = { [ROUTER_CPU_ANNOTATION]: "3" };
    api.apply("deployments", d);
    finishRollout(api);
    await cpu.set(3, { inPlace: false });
    expect(Object.keys(template()).sort()).toEqual([ROUTER_CPU_ANNOTATION, "kubectl.kubernetes.io/restartedAt"]);
  });

  it("a size the LimitRange already has and every pod runs is left alone", async () => {
    const cpu = await cluster();
    await cpu.set(2, { inPlace: false });
    expect(calls("PUT", "/limitranges/azureml-fe")).toEqual([]);
    expect(calls("PATCH", "")).toEqual([]);
  });
});

describe("the fake API holds the router to its Role", () => {
  it("refuses a resize of a pod in another namespace and a patch of another Deployment", async () => {
    api = await routerApi();
    const core = api.kubeConfig("router").makeApiClient(CoreV1Api);
    const apps = api.kubeConfig("router").makeApiClient(AppsV1Api);
    await expect(
      core.patchNamespacedPodResize({ name: "model-0", namespace: "default", body: [] }),
    ).rejects.toMatchObject({ code: 403 });
    await expect(apps.patchNamespacedDeployment({ name: "other", namespace: NS, body: [] })).rejects.toMatchObject({
      code: 403,
    });
    expect(api.denied.map((d) => d.resource)).toEqual(["pods/resize", "deployments"]);
    api.denied.length = 0;
  });
});
