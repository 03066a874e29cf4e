/**
 * Router self-scaling: the p90 read from the router's own routing-overhead histogram, and
 * the loop resizing the router through test/router/backends/fakeKubeApi.ts, a FAKE
 * Kubernetes API server (real HTTP on loopback; the one test double, because no API
 * server can run here) with exactly the router's RBAC: pods through the Deployment's
 * scale subresource, CPU through the real Kubernetes implementation (routerPodCpu.ts).
 * The test plays the Deployment controller where one would act (the rollout status) and
 * the kubelet (the fake's resize answer). The decision itself is routerSizing.test.ts's.
 */
import { afterEach, describe, expect, it } from "vitest";
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { Histogram, Registry } from "prom-client";
import {
  p90FromBucketDelta,
  readHistogramBuckets,
  RouterSelfScaler,
  ROUTING_OVERHEAD_METRIC,
  type SelfScalingConfig,
} from "../../../router/autoscaler/selfScaling.js";
import { deploymentReplicas } from "../../../router/backends/kubernetes/scaleSubresource.js";
import { RouterPodCpu } from "../../../router/backends/kubernetes/routerPodCpu.js";
import type { RouterReplicas } from "../../../router/contract/backend.js";
import { KubernetesBackend } from "../../../router/backends/kubernetes/kubernetesBackend.js";
import type { FakeKubeApi, FakeKubeApiOptions } from "./fakeKubeApi.js";
import {
  addRouterDeployment,
  addRouterPod,
  DEPLOYMENT,
  finishRollout,
  limitRangeDefaults,
  NS,
  routerApi,
} from "./routerSizeFixtures.js";

describe("routing-overhead p90 from histogram buckets", () => {
  it("reads the p90 of the observations between two readings, over all services", async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: ROUTING_OVERHEAD_METRIC,
      help: "x",
      labelNames: ["service"],
      buckets: [0.001, 0.002, 0.005, 0.01],
      registers: [registry],
    });
    for (let i = 0; i < 100; i++) h.observe({ service: "old" }, 0.0005);
    const before = await readHistogramBuckets(registry, ROUTING_OVERHEAD_METRIC);
    expect(p90FromBucketDelta(new Map(), before)).toBe(1);
    for (let i = 0; i < 80; i++) h.observe({ service: "a" }, 0.0015);
    for (let i = 0; i < 20; i++) h.observe({ service: "b" }, 0.004);
    const after = await readHistogramBuckets(registry, ROUTING_OVERHEAD_METRIC);
    expect(p90FromBucketDelta(before, after)).toBe(5); // 80% <= 2 ms, 100% <= 5 ms
    expect(p90FromBucketDelta(after, after)).toBeUndefined();
    h.observe({ service: "a" }, 1);
    expect(p90FromBucketDelta(after, await readHistogramBuckets(registry, ROUTING_OVERHEAD_METRIC))).toBe(Infinity);
  });
});

let api: FakeKubeApi;

/** Windows of 3 s sampled every second; the test's clock, so a tick is one interval. */
const FAST: Partial<SelfScalingConfig> = {
  upWindowSeconds: 3,
  downWindowSeconds: 3,
  intervalSeconds: 1,
  settleTimeoutSeconds: 30,
  ceilingHoldSeconds: 300,
};

/** A router of `pods` pods at `cores` (names fe-0..), and a self-scaler over it driven tick by tick. */
async function routerOf(
  pods: number,
  cores: number,
  opts: { vertical?: boolean; api?: FakeKubeApiOptions; inPlace?: boolean } = {},
) {
  api = await routerApi(opts.api);
  addRouterDeployment(api, pods, cores);
  const names = Array.from({ length: pods }, (_, i) => `fe-${i}`);
  for (const n of names) addRouterPod(api, n, cores);
  const kc = api.kubeConfig("router");
  const apps = kc.makeApiClient(AppsV1Api);
  const target: RouterReplicas = {
    ...deploymentReplicas(apps, NS, DEPLOYMENT),
    bounds: { minPods: 2, maxPods: 4, minCpuPerPod: 1, maxCpuPerPod: 3 },
    cpu:
      opts.vertical === false
        ? undefined
        : new RouterPodCpu(kc.makeApiClient(CoreV1Api), apps, {
            namespace: NS,
            deployment: DEPLOYMENT,
            pods: () => names,
          }),
  };
  const registry = new Registry();
  const overhead = new Histogram({
    name: ROUTING_OVERHEAD_METRIC,
    help: "x",
    labelNames: ["service"],
    buckets: [0.001, 0.003, 0.005, 0.01],
    registers: [registry],
  });
  let t = 0;
  let leading = true;
  const warnings: string[] = [];
  const scaler = new RouterSelfScaler({
    target,
    isLeader: () => leading,
    metricsRegistry: registry,
    inPlace: opts.inPlace ?? true,
    config: FAST,
    now: () => t,
    log: { info: () => undefined, warn: (_o: unknown, msg: string) => void warnings.push(msg) } as never,
  });
  return {
    scaler,
    names,
    warnings,
    lead: (v: boolean) => (leading = v),
    /** One interval of slow routing (p90 8 ms), then a tick. */
    slowTick: async () => {
      t += 1000;
      for (let j = 0; j < 10; j++) overhead.observe({ service: "m" }, 0.008);
      await scaler.tick();
    },
    /**
     * One idle interval, then a tick: 5 s of the test's clock, so the test process's own
     * CPU time in it (this tick's API calls) stays far below the 0.1-core scale-in threshold.
     */
    idleTick: async () => {
      t += 5000;
      await scaler.tick();
    },
    replicas: () => (api.get("deployments", NS, DEPLOYMENT)!.spec as { replicas: number }).replicas,
    cores: () => Number(limitRangeDefaults(api).default.cpu),
  };
}

const run = async (n: number, tick: () => Promise<void>) => {
  for (let i = 0; i < n; i++) await tick();
};

describe("RouterSelfScaler", () => {
  afterEach(async () => {
    expect(api.denied).toEqual([]); // every call was one the router's Role allows
    await api.stop();
  });

  it("scales out only while leading when the backend cannot resize pods (as before vertical scaling)", async () => {
    const r = await routerOf(2, 2, { vertical: false });
    r.lead(false);
    await run(5, r.slowTick);
    expect(r.replicas()).toBe(2); // a follower never scales the router
    r.lead(true);
    await r.idleTick(); // no requests in this interval: not "slow"
    await run(3, r.slowTick);
    expect(r.replicas()).toBe(2);
    await r.slowTick();
    expect(r.replicas()).toBe(3);
    expect(api.requests.some((q) => q.method === "PUT" && q.path.endsWith(`/deployments/${DEPLOYMENT}/scale`))).toBe(
      true,
    );
  });

  it("while routing stays slow: one more core per pod, in place, then another, and only then one more pod", async () => {
    const r = await routerOf(2, 1);
    await run(4, r.slowTick);
    expect([r.replicas(), r.cores()]).toEqual([2, 2]);
    expect(api.requests.filter((q) => q.path.endsWith("/resize"))).toHaveLength(2);
    // The next tick sees it settled and starts fresh windows; slow again for a whole window: 3 cores.
    await r.slowTick();
    await run(4, r.slowTick);
    expect([r.replicas(), r.cores()]).toEqual([2, 3]);
    await r.slowTick();
    await run(4, r.slowTick);
    expect([r.replicas(), r.cores()]).toEqual([3, 3]);
    // A new pod is not settled until the Deployment reports it available: nothing more meanwhile.
    await run(6, r.slowTick);
    expect(r.replicas()).toBe(3);
    finishRollout(api);
    await r.slowTick();
    await run(4, r.slowTick);
    expect([r.replicas(), r.cores()]).toEqual([4, 3]);
    expect(api.requests.some((q) => q.method === "PATCH" && q.path.endsWith(`/deployments/${DEPLOYMENT}`))).toBe(false);
  });

  it("without a live worker pool it restarts the pods instead, and waits for the rollout", async () => {
    const r = await routerOf(2, 1, { inPlace: false });
    await run(4, r.slowTick);
    expect(r.cores()).toBe(2);
    expect(api.requests.filter((q) => q.path.endsWith("/resize"))).toEqual([]);
    const template = () =>
      (api.get("deployments", NS, DEPLOYMENT)!.spec as { template: { metadata: { annotations?: object } } }).template
        .metadata.annotations;
    expect(template()).toEqual({ "aksml/router-cpu": "2" });
    await run(10, r.slowTick);
    expect(r.cores()).toBe(2); // the rollout has not finished: no further step
  });

  it("once CPU use stays low: one core fewer first, then one pod fewer", async () => {
    const r = await routerOf(3, 2);
    await run(2, r.idleTick); // the first sample covers no window yet; the second does
    expect([r.replicas(), r.cores()]).toEqual([3, 1]);
    await r.idleTick(); // fresh windows after the change
    expect([r.replicas(), r.cores()]).toEqual([3, 1]);
    await r.idleTick();
    expect([r.replicas(), r.cores()]).toEqual([2, 1]);
    await run(4, r.idleTick);
    expect([r.replicas(), r.cores()]).toEqual([2, 1]); // the smallest size
  });

  it("a resize a node refuses is taken back at once, and the router scales out instead for the hold time", async () => {
    let refuse = true;
    const r = await routerOf(2, 1, {
      api: {
        onPodResize: (pod) =>
          refuse
            ? {
                ...pod,
                status: {
                  ...(pod.status as object),
                  conditions: [{ type: "PodResizePending", status: "True", reason: "Infeasible", message: "no room" }],
                },
              }
            : pod,
      },
    });
    await run(4, r.slowTick);
    expect(r.cores()).toBe(2);
    refuse = false;
    await r.slowTick(); // infeasible: back to 1 core
    expect(r.cores()).toBe(1);
    expect(r.warnings).toContain("the cluster cannot hold this router size; going back");
    // The kubelet took the size back: the status reports 1 core again.
    for (const n of r.names) {
      const p = api.get("pods", NS, n)!;
      const c = (p.spec as { containers: { resources: unknown }[] }).containers[0]!;
      api.apply("pods", { ...p, status: { containerStatuses: [{ name: "router", resources: c.resources }] } });
    }
    await r.slowTick(); // settled
    await run(4, r.slowTick);
    expect([r.replicas(), r.cores()]).toEqual([3, 1]);
  });

  it("a pod that never becomes available is taken back after the settle timeout, and not tried again for the hold time", async () => {
    const r = await routerOf(2, 3);
    await run(4, r.slowTick);
    expect(r.replicas()).toBe(3);
    finishRollout(api, 2); // the new pod stays Pending: 2 of 3 available
    await run(30, r.slowTick);
    expect(r.replicas()).toBe(3);
    await r.slowTick(); // 31 s after the change
    expect(r.replicas()).toBe(2);
    finishRollout(api);
    await r.slowTick();
    await run(20, r.slowTick);
    expect(r.replicas()).toBe(2); // slow, but 3 pods did not fit
    expect(r.warnings).toContain("the cluster cannot hold this router size; going back");
  });
});

describe("KubernetesBackend's router size", () => {
  afterEach(async () => {
    expect(api.denied).toEqual([]);
    await api.stop();
  });
  const settings = {
    podName: "fe-0",
    podNamespace: NS,
    routerDeployment: DEPLOYMENT,
    selfScaling: true,
    watchNamespaces: ["default"],
  };
  const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined } as never;

  it("offers the pods' CPU with the CPU bounds AzuremlFe writes, and reads it from the router's LimitRange", async () => {
    api = await routerApi();
    addRouterDeployment(api, 2, 2);
    addRouterPod(api, "fe-0", 2);
    const bounds = { minPods: 2, maxPods: 10, minCpuPerPod: 1, maxCpuPerPod: 4 };
    const b = new KubernetesBackend({ ...settings, selfScalingBounds: bounds }, quiet, api.kubeConfig("router"));
    expect(b.routerReplicas?.bounds).toEqual(bounds);
    expect(await b.routerReplicas!.get()).toBe(2);
    expect(await b.routerReplicas!.cpu!.get()).toEqual({ cores: 2, settled: true });
  });

  it("scales out and in only without CPU bounds (an older AzuremlFe), and not at all with self-scaling off", async () => {
    api = await routerApi();
    const kc = api.kubeConfig("router");
    const horizontal = new KubernetesBackend({ ...settings, selfScalingBounds: { maxPods: 5 } }, quiet, kc);
    expect(horizontal.routerReplicas).toBeDefined();
    expect(horizontal.routerReplicas!.cpu).toBeUndefined();
    expect(new KubernetesBackend({ ...settings, selfScaling: false }, quiet, kc).routerReplicas).toBeUndefined();
  });
});
