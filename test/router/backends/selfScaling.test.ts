/**
 * Router self-scaling: the pure decision, the p90 read from the router's own
 * routing-overhead histogram, and the loop scaling the router Deployment through
 * the scale subresource of test/router/backends/fakeKubeApi.ts, a FAKE Kubernetes
 * API server (real HTTP on loopback): the one test double, because no API server
 * can run here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppsV1Api } from "@kubernetes/client-node";
import { Histogram, Registry } from "prom-client";
import {
  decideRouterReplicas,
  p90FromBucketDelta,
  readHistogramBuckets,
  RouterSelfScaler,
  ROUTING_OVERHEAD_METRIC,
  SELF_SCALING_DEFAULTS,
  type RouterSample,
} from "../../../router/autoscaler/selfScaling.js";
import { deploymentReplicas } from "../../../router/backends/kubernetes/scaleSubresource.js";
import { routerRoleGrants } from "../../../components/azuremlFe/rbacRules.js";
import { FakeKubeApi } from "./fakeKubeApi.js";

const CFG = { ...SELF_SCALING_DEFAULTS, upWindowSeconds: 10, downWindowSeconds: 20, intervalSeconds: 1 };
const every = (seconds: number, f: (t: number) => Omit<RouterSample, "at">): RouterSample[] =>
  Array.from({ length: seconds + 1 }, (_, t) => ({ at: t * 1000, ...f(t) }));

describe("decideRouterReplicas", () => {
  it.each([
    ["high overhead for the whole up window adds one", every(10, () => ({ overheadP90Ms: 5, cpuCores: 0.9 })), 3, 4],
    ["high overhead for less than the window holds", every(9, () => ({ overheadP90Ms: 5, cpuCores: 0.9 })), 3, 3],
    [
      "one good interval in the window holds",
      every(10, (t) => ({ overheadP90Ms: t === 4 ? 1 : 5, cpuCores: 0.9 })),
      3,
      3,
    ],
    ["idle intervals (no requests) never count as high overhead", every(10, () => ({ cpuCores: 0.9 })), 3, 3],
    ["never above max", every(10, () => ({ overheadP90Ms: 50, cpuCores: 1 })), 10, 10],
    ["low CPU for the whole down window removes one", every(20, () => ({ overheadP90Ms: 1, cpuCores: 0.02 })), 4, 3],
    ["low CPU for less than the down window holds", every(19, () => ({ cpuCores: 0.02 })), 4, 4],
    ["one busy interval holds", every(20, (t) => ({ cpuCores: t === 15 ? 0.5 : 0.02 })), 4, 4],
    ["never below min", every(20, () => ({ cpuCores: 0 })), 2, 2],
    ["out of bounds is clamped", every(1, () => ({ cpuCores: 0.5 })), 1, 2],
  ] as const)("%s", (_name, samples, current, expected) => {
    expect(decideRouterReplicas(samples, current, CFG, samples.at(-1)!.at)).toBe(expected);
  });
});

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

describe("RouterSelfScaler", () => {
  let api: FakeKubeApi;
  beforeAll(async () => {
    api = new FakeKubeApi(routerRoleGrants("azureml", []));
    await api.start();
    api.apply("deployments", {
      metadata: { name: "azureml-fe", namespace: "azureml", labels: { "app.kubernetes.io/name": "azureml-fe" } },
      spec: { replicas: 2 },
    });
  });
  afterAll(async () => api.stop());

  it("adds a router replica when overhead stays high, only while leading", async () => {
    const registry = new Registry();
    const h = new Histogram({
      name: ROUTING_OVERHEAD_METRIC,
      help: "x",
      labelNames: ["service"],
      buckets: [0.001, 0.003, 0.005, 0.01],
      registers: [registry],
    });
    let t = 0;
    let leading = false;
    const scaler = new RouterSelfScaler({
      target: deploymentReplicas(api.kubeConfig("router").makeApiClient(AppsV1Api), "azureml", "azureml-fe"),
      isLeader: () => leading,
      metricsRegistry: registry,
      config: { upWindowSeconds: 3, intervalSeconds: 1 },
      now: () => t,
    });
    const replicas = () => (api.get("deployments", "azureml", "azureml-fe")!.spec as { replicas: number }).replicas;
    for (let i = 0; i < 5; i++) {
      t += 1000;
      for (let j = 0; j < 10; j++) h.observe({ service: "m" }, 0.008);
      await scaler.tick();
    }
    expect(replicas()).toBe(2); // a follower never scales the router
    leading = true;
    await scaler.tick(); // no new observations in this interval: not "high"
    expect(replicas()).toBe(2);
    for (let i = 0; i < 4; i++) {
      t += 1000;
      for (let j = 0; j < 10; j++) h.observe({ service: "m" }, 0.008);
      await scaler.tick();
    }
    expect(replicas()).toBe(3);
    expect(
      api.requests.some(
        (r) => r.method === "PUT" && r.path === "/apis/apps/v1/namespaces/azureml/deployments/azureml-fe/scale",
      ),
    ).toBe(true);
  });
});
