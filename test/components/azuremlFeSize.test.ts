/**
 * AzuremlFe's router size under Pulumi's mock runtime: the LimitRange that holds the pods'
 * size, the self-scaling bounds the router is told, the defaults per cluster purpose,
 * what Pulumi leaves to the router so `pulumi up` never puts back a size the router chose,
 * the namespace's Pod Security, and the validation of the size args.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, type MockRuntime } from "../../preview/mockRuntime.js";
import { AzuremlFe, ROUTER_SIZE_DEFAULTS } from "../../components/azuremlFe/index.js";
import { azuremlFeArgsProblems } from "../../components/azuremlFe/validate.js";
import { SELF_SCALING_DEFAULTS } from "../../router/autoscaler/selfScaling.js";
import { clusterConnection, reveal } from "./modelWebserviceFixtures.js";

let rt: MockRuntime;
const IMAGE = "r/x:1";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const LIMIT_RANGE = "kubernetes:core/v1:LimitRange";

const dep = (n: string) => reveal(rt.one(DEPLOYMENT, `${n}-deployment`).inputs) as any;
const env = (n: string) =>
  Object.fromEntries(dep(n).spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
const sizeOf = (n: string) => reveal(rt.one(LIMIT_RANGE, `${n}-size`).inputs) as any;

beforeAll(async () => {
  rt = await startMockRuntime();
  const provider = new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
  new AzuremlFe("prod", { cluster: clusterConnection(), image: IMAGE }, { provider });
  new AzuremlFe("dev", { cluster: clusterConnection({ clusterPurpose: "DevTest" }), image: IMAGE }, { provider });
  new AzuremlFe(
    "sized",
    {
      cluster: clusterConnection({ clusterPurpose: "DenseProd" }),
      image: IMAGE,
      namespace: "sized",
      replicas: 4,
      cpuPerPod: 3,
      selfScaling: { minPods: 3, maxPods: 6, minCpuPerPod: 2, maxCpuPerPod: 8 },
      nodeVcpus: 8,
    },
    { provider },
  );
  new AzuremlFe(
    "devsized",
    { cluster: clusterConnection({ clusterPurpose: "DevTest" }), image: IMAGE, namespace: "devsized", cpuPerPod: 2 },
    { provider },
  );
  new AzuremlFe(
    "late",
    {
      cluster: clusterConnection({ clusterPurpose: pulumi.output("FastProd" as const) }),
      image: IMAGE,
      namespace: "late",
      cpuPerPod: pulumi.output(3),
    },
    { provider },
  );
  await settle();
});

describe("AzuremlFe router size", () => {
  it("FastProd: a LimitRange at azureml-fe's 2-vCPU size, named like the Deployment, in the router namespace", () => {
    expect(sizeOf("prod")).toEqual({
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: {
        name: "azureml-fe",
        namespace: "azureml",
        labels: { "app.kubernetes.io/name": "azureml-fe", "app.kubernetes.io/part-of": "aksml" },
      },
      spec: {
        limits: [
          {
            type: "Container",
            default: { cpu: "2", memory: "1229Mi" },
            defaultRequest: { cpu: "900m", memory: "800Mi" },
          },
        ],
      },
    });
    expect(dep("prod").spec.replicas).toBe(3);
    expect(ROUTER_SIZE_DEFAULTS.prod).toEqual({
      replicas: 3,
      cpuPerPod: 2,
      minPods: 2,
      maxPods: 10,
      minCpuPerPod: 1,
      maxCpuPerPod: 4,
    });
  });

  it("tells the router its bounds and to size its workers by its CPU limit; the router's own defaults are the same", () => {
    expect(env("prod")).toMatchObject({
      AKSML_SELF_SCALING: "true",
      AKSML_SELF_SCALING_MIN_PODS: "2",
      AKSML_SELF_SCALING_MAX_PODS: "10",
      AKSML_SELF_SCALING_MIN_CPU_PER_POD: "1",
      AKSML_SELF_SCALING_MAX_CPU_PER_POD: "4",
      AKSML_WORKERS: "auto",
    });
    const { replicas: _r, cpuPerPod: _c, ...bounds } = ROUTER_SIZE_DEFAULTS.prod;
    expect(SELF_SCALING_DEFAULTS).toMatchObject(bounds);
  });

  it("leaves the size to the router after creation: pulumi up never puts back replicas or the pods' size", () => {
    expect(rt.one(DEPLOYMENT, "prod-deployment").ignoreChanges).toEqual(["spec.replicas"]);
    // A path without a list index: pulumi-kubernetes hands it to the router's field manager under server-side apply.
    expect(rt.one(LIMIT_RANGE, "prod-size").ignoreChanges).toEqual(["spec.limits"]);
    // Nothing of the pods' size is Pulumi's in the Deployment: no resources, no restart annotation.
    const template = dep("prod").spec.template;
    expect(template.spec.containers[0].resources).toBeUndefined();
    // (The Prometheus scrape annotations are static; the size annotation is the router's.)
    expect(Object.keys(template.metadata.annotations ?? {})).not.toContain("aksml/router-cpu");
    // Pods are admitted at the LimitRange's size, so it exists first.
    expect(rt.one(DEPLOYMENT, "prod-deployment").dependencies).toContain(rt.one(LIMIT_RANGE, "prod-size").urn);
    // The same when the purpose is known only later.
    expect(rt.one(LIMIT_RANGE, "late-size").ignoreChanges).toEqual(["spec.limits"]);
    expect(sizeOf("late").spec.limits[0].default.cpu).toBe("3");
  });

  it("DevTest: one pod of one core, fixed and Pulumi's: a changed size restarts the pod", () => {
    expect(sizeOf("dev").spec.limits[0]).toEqual({
      type: "Container",
      default: { cpu: "1", memory: "1229Mi" },
      defaultRequest: { cpu: "450m", memory: "800Mi" },
    });
    expect(dep("dev").spec.replicas).toBe(1);
    expect(rt.one(LIMIT_RANGE, "dev-size").ignoreChanges ?? []).toEqual([]);
    expect(dep("dev").spec.template.metadata.annotations).toMatchObject({ "aksml/router-cpu": "1" });
    expect(dep("devsized").spec.template.metadata.annotations).toMatchObject({ "aksml/router-cpu": "2" });
    expect(sizeOf("devsized").spec.limits[0].default.cpu).toBe("2");
    const e = env("dev");
    expect(e.AKSML_SELF_SCALING).toBe("false");
    expect(Object.keys(e).filter((k) => k.startsWith("AKSML_SELF_SCALING_"))).toEqual([]);
    expect(e.AKSML_WORKERS).toBe("auto");
  });

  it("given sizes and bounds reach the LimitRange, the Deployment and the router", () => {
    expect(sizeOf("sized").spec.limits[0]).toMatchObject({
      default: { cpu: "3" },
      defaultRequest: { cpu: "1350m" },
    });
    expect(dep("sized").spec.replicas).toBe(4);
    expect(env("sized")).toMatchObject({
      AKSML_SELF_SCALING_MIN_PODS: "3",
      AKSML_SELF_SCALING_MAX_PODS: "6",
      AKSML_SELF_SCALING_MIN_CPU_PER_POD: "2",
      AKSML_SELF_SCALING_MAX_CPU_PER_POD: "8",
    });
  });

  it("the router namespace enforces the restricted Pod Security Standard (it may patch its own Deployment)", () => {
    const ns = reveal(rt.one("kubernetes:core/v1:Namespace", "prod-namespace").inputs) as any;
    expect(ns.metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
    });
    // What `restricted` asks of the router pods, which they meet.
    const pod = dep("prod").spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers[0].securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.volumes.every((v: any) => v.emptyDir || v.secret)).toBe(true);
  });
});

describe("AzuremlFe size validation", () => {
  const prod = { cluster: clusterConnection() };
  const dev = { cluster: clusterConnection({ clusterPurpose: "DevTest" }) };
  const cases: [string, Parameters<typeof azuremlFeArgsProblems>[0], string[], RegExp][] = [
    [
      "cpuPerPod a whole number",
      { ...prod, cpuPerPod: 1.5 },
      ["cpuPerPod"],
      /whole number of CPU cores between 1 and 64/,
    ],
    ["cpuPerPod at most 64", { ...prod, cpuPerPod: 65, selfScaling: { maxCpuPerPod: 64 } }, ["cpuPerPod"], /64/],
    ["maxPods at most 32", { ...prod, selfScaling: { maxPods: 33 } }, ["selfScaling.maxPods"], /between 1 and 32/],
    ["minPods at least 1", { ...prod, selfScaling: { minPods: 0 } }, ["selfScaling.minPods"], /between 1 and 32/],
    [
      "minPods at most maxPods (with the default 10)",
      { ...prod, replicas: 10, selfScaling: { minPods: 12 } },
      ["selfScaling.minPods", "replicas"],
      /must not exceed selfScaling.maxPods \(10\), got 12/,
    ],
    [
      "minCpuPerPod at most maxCpuPerPod",
      { ...prod, cpuPerPod: 2, selfScaling: { minCpuPerPod: 3, maxCpuPerPod: 2 } },
      ["selfScaling.minCpuPerPod", "cpuPerPod"],
      /must not exceed selfScaling.maxCpuPerPod \(2\)/,
    ],
    [
      "replicas within the bounds (1 is below the default 2)",
      { ...prod, replicas: 1 },
      ["replicas"],
      /within the self-scaling bounds 2..10/,
    ],
    [
      "cpuPerPod within the bounds",
      { ...prod, cpuPerPod: 5 },
      ["cpuPerPod"],
      /within the self-scaling bounds 1..4 \(selfScaling.minCpuPerPod..maxCpuPerPod\), got 5/,
    ],
    [
      "maxCpuPerPod no more than the node's vCPUs (the default 4 on 2-vCPU nodes)",
      { ...prod, nodeVcpus: 2 },
      ["selfScaling.maxCpuPerPod"],
      /must not exceed nodeVcpus \(2\).*\(default 4\)/,
    ],
    ["nodeVcpus a whole number", { ...prod, nodeVcpus: 0 }, ["nodeVcpus"], /whole number of vCPUs/],
    [
      "the initial size no more than the node's vCPUs",
      { ...prod, cpuPerPod: 4, nodeVcpus: 3, selfScaling: { maxCpuPerPod: 3 } },
      ["cpuPerPod", "cpuPerPod"],
      /within the self-scaling bounds 1..3/,
    ],
    [
      "no self-scaling bounds on DevTest",
      { ...dev, selfScaling: { maxPods: 3 } },
      ["selfScaling"],
      /self-scaling is off on DevTest/,
    ],
    [
      "DevTest: cpuPerPod no more than the node's vCPUs",
      { ...dev, cpuPerPod: 4, nodeVcpus: 2 },
      ["cpuPerPod"],
      /nodeVcpus \(2\)/,
    ],
  ];
  it.each(cases)("%s", (_label, args, paths, reason) => {
    const problems = azuremlFeArgsProblems(args);
    expect(problems.map((p) => p.propertyPath)).toEqual(paths);
    expect(problems[0]!.reason).toMatch(reason);
  });

  it("accepts the defaults, sizes within the bounds, DevTest sizes, and bounds given as Outputs (checked once known)", () => {
    for (const args of [
      prod,
      dev,
      { ...prod, replicas: 2, cpuPerPod: 1, nodeVcpus: 4 },
      { ...prod, replicas: 10, cpuPerPod: 4, selfScaling: { minPods: 10, minCpuPerPod: 4 } },
      { ...dev, replicas: 2, cpuPerPod: 2, nodeVcpus: 2 },
      { ...prod, replicas: 12, selfScaling: { maxPods: pulumi.output(20) } },
    ])
      expect(azuremlFeArgsProblems(args)).toEqual([]);
  });
});
