/**
 * The size of the router, shared by the component that deploys it (AzuremlFe) and the
 * router that resizes itself: how many pods (the Deployment's replicas) and how many
 * CPU cores each pod gets (its CPU limit, which also sets its worker count with
 * `AKSML_WORKERS=auto`). Both sides compute a pod's resources from its cores with
 * {@link routerResourcesFor}, so a pod the router resized looks like one the component
 * created at that size.
 *
 * Where the size lives in Kubernetes: the LimitRange named like the router Deployment, in
 * the router namespace. Its container defaults are the router container's requests and
 * limits (the container declares none), so every router pod is admitted at the current
 * size: replacements after a node drain, new pods of a scale-out, and the pods of a
 * rolling restart. Pulumi creates it at the initial size and then leaves it to the
 * router (outside DevTest), as it does with the replica count.
 */

/**
 * CPU request per core of CPU limit, in millicores: azureml-fe's published 900m request
 * for its 2-vCPU limit. The scheduler reserves the request; the limit is what the pod
 * may burst to when its node has idle CPU.
 */
export const ROUTER_CPU_REQUEST_MILLICORES_PER_CORE = 450;

/**
 * Memory does not scale with cores: the router's memory bounds (client connections,
 * buffered bodies) are per process, and each extra worker's isolate is small beside
 * them. azureml-fe's published 800Mi request and 1.2 GB limit. A memory change would also
 * make an in-place resize risky (a lower memory limit can OOM-kill the pod), so sizes
 * never change memory.
 */
export const ROUTER_MEMORY = { request: "800Mi", limit: "1229Mi" } as const;

/** The most cores per router pod (and so the most workers, like `AKSML_WORKERS`'s 64). */
export const MAX_ROUTER_CPU_PER_POD = 64;

/** The router's container in its pod: the one every resize names. */
export const ROUTER_CONTAINER_NAME = "router";

/**
 * Annotation on the router Deployment's pod template: the cores its pods were last rolled
 * out for. A rolling restart (clusters without in-place resize) sets it; any change of
 * the template replaces the pods one by one (maxSurge 1, maxUnavailable 0), each admitted
 * at the LimitRange's current size.
 */
export const ROUTER_CPU_ANNOTATION = "aksml/router-cpu";

/** What the router may resize itself within (AzuremlFe `selfScaling`); every bound inclusive. */
export interface RouterSizeBounds {
  minPods: number;
  maxPods: number;
  /** Whole cores per pod. */
  minCpuPerPod: number;
  maxCpuPerPod: number;
}

export interface RouterContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** The router container's requests and limits at `cores` whole cores per pod. */
export function routerResourcesFor(cores: number): RouterContainerResources {
  return {
    requests: { cpu: `${cores * ROUTER_CPU_REQUEST_MILLICORES_PER_CORE}m`, memory: ROUTER_MEMORY.request },
    limits: { cpu: String(cores), memory: ROUTER_MEMORY.limit },
  };
}

/** Cores in a Kubernetes CPU quantity (`"2"`, `"1500m"`, `"0.5"`), or undefined when it is not one. */
export function cpuCoresOf(quantity: string | number | undefined): number | undefined {
  if (typeof quantity === "number") return Number.isFinite(quantity) && quantity >= 0 ? quantity : undefined;
  if (quantity === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === "m" ? n / 1000 : n;
}
