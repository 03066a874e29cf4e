/**
 * The router pods' CPU in Kubernetes (vertical self-scaling). The size lives in the
 * LimitRange named like the router Deployment (router/contract/routerSize.ts): every
 * router pod is admitted with its container defaults. A change rewrites it, then brings
 * the running pods to it:
 * - in place, where the cluster can (Kubernetes >= 1.33, InPlacePodVerticalScaling: a
 *   patch of each pod's `resize` subresource; CPU needs no restart) and the router
 *   changes its worker count live;
 * - otherwise by a rolling restart: the pod template's `aksml/router-cpu` annotation
 *   changes, and the Deployment replaces its pods one at a time (maxSurge 1,
 *   maxUnavailable 0, under the PodDisruptionBudget), each new pod admitted at the new
 *   size and ready before an old one drains (preStop, then the router's drain).
 * Whether the cluster resizes in place is learned by trying: a cluster without the
 * `resize` subresource answers 404 for it, and from then on this process restarts instead.
 *
 * RBAC (router namespace): get,update on the LimitRange and get,patch on the Deployment,
 * by name; get on pods and patch on pods/resize, which cannot be limited by name (pod
 * names are random): the router namespace holds router pods and, with a leaf domain
 * certificate, cert-manager's short-lived solver pods.
 */
import {
  PatchStrategy,
  setHeaderOptions,
  type AppsV1Api,
  type CoreV1Api,
  type V1Deployment,
  type V1LimitRange,
  type V1Pod,
} from "@kubernetes/client-node";
import type { RouterCpu, RouterCpuState } from "../../contract/backend.js";
import {
  cpuCoresOf,
  ROUTER_CONTAINER_NAME,
  ROUTER_CPU_ANNOTATION,
  routerResourcesFor,
} from "../../contract/routerSize.js";
import type { Log } from "../../log.js";
import { statusCode } from "./scaleSubresource.js";

/** What `kubectl rollout restart` sets; used only when the template already names the wanted cores. */
const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";

export interface RouterPodCpuOptions {
  namespace: string;
  /** The router Deployment; its LimitRange has the same name. */
  deployment: string;
  /** Every router pod's name (the peers Service's endpoints, ready or not). */
  pods: () => string[];
  log?: Log;
}

/** A router pod's CPU as the API shows it. */
export interface PodCpuView {
  /** Cores the pod spec asks for (what a resize changed). */
  wanted?: number;
  /** Cores the container runs with (the kubelet's report; the spec's where it reports none). */
  actual?: number;
  /** A resize the kubelet has not finished: `Infeasible`, `Deferred` or `InProgress`. */
  resize?: string;
  /** The kubelet's reason for a pending resize. */
  message?: string;
}

export function podCpuView(pod: V1Pod): PodCpuView {
  const spec = pod.spec?.containers.find((c) => c.name === ROUTER_CONTAINER_NAME)?.resources?.limits?.cpu;
  const status = pod.status?.containerStatuses?.find((c) => c.name === ROUTER_CONTAINER_NAME)?.resources?.limits?.cpu;
  const conditions = pod.status?.conditions ?? [];
  const pending = conditions.find((c) => c.type === "PodResizePending" && c.status === "True");
  const inProgress = conditions.find((c) => c.type === "PodResizeInProgress" && c.status === "True");
  return {
    wanted: cpuCoresOf(spec),
    actual: cpuCoresOf(status ?? spec),
    resize: pending ? (pending.reason ?? "Pending") : inProgress ? "InProgress" : undefined,
    message: pending?.message ?? inProgress?.message,
  };
}

/** Why the Deployment has not finished rolling out its pods, or undefined when every wanted pod is updated and available. */
export function rolloutInProgress(d: V1Deployment): string | undefined {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata?.generation ?? 0))
    return "rollout: the Deployment controller has not acted on the change yet";
  if ((s.updatedReplicas ?? 0) < want) return `rollout: ${s.updatedReplicas ?? 0}/${want} pods updated`;
  if ((s.replicas ?? 0) > want) return `rollout: ${(s.replicas ?? 0) - want} old pods still running`;
  if ((s.availableReplicas ?? 0) < want) return `${s.availableReplicas ?? 0}/${want} pods available`;
  return undefined;
}

export class RouterPodCpu implements RouterCpu {
  /** Whether the cluster resizes pods in place; undefined until a resize has been tried. */
  private inPlaceSupported: boolean | undefined;
  /** Pods seen running with the given cores: not read again until the cores change. */
  private readonly confirmed = new Map<string, number>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly apps: AppsV1Api,
    private readonly o: RouterPodCpuOptions,
  ) {}

  async get(): Promise<RouterCpuState> {
    const cores = coresOf(await this.readLimitRange(), this.o.deployment);
    const rollout = rolloutInProgress(await this.readDeployment());
    if (rollout) return { cores, settled: false, detail: rollout };
    const names = this.o.pods();
    for (const name of [...this.confirmed.keys()]) if (!names.includes(name)) this.confirmed.delete(name);
    for (const name of names) {
      if (this.confirmed.get(name) === cores) continue;
      const pod = await this.readPod(name);
      if (!pod) continue;
      const v = podCpuView(pod);
      if (v.resize === "Infeasible")
        return {
          cores,
          settled: false,
          infeasible: true,
          detail: `pod ${name}: resize infeasible: ${v.message ?? ""}`,
        };
      if (v.actual !== cores || v.resize)
        return {
          cores,
          settled: false,
          detail: `pod ${name} runs with ${v.actual ?? "unknown"} cores${v.resize ? ` (resize ${v.resize})` : ""}`,
        };
      this.confirmed.set(name, cores);
    }
    return { cores, settled: true };
  }

  async set(cores: number, how: { inPlace: boolean }): Promise<void> {
    // The LimitRange first: every pod created from now on (rollout, scale-out, drain) gets the new size.
    await this.writeLimitRange(cores);
    const stale: string[] = [];
    for (const name of this.o.pods()) {
      if (this.confirmed.get(name) === cores) continue;
      const pod = await this.readPod(name);
      if (pod && podCpuView(pod).wanted !== cores) stale.push(name);
    }
    if (stale.length === 0) return;
    if (how.inPlace && this.inPlaceSupported !== false && (await this.resizeInPlace(stale, cores))) return;
    await this.rollingRestart(cores);
  }

  /** Resizes each pod; false (nothing changed) when the cluster has no `resize` subresource. */
  private async resizeInPlace(names: string[], cores: number): Promise<boolean> {
    const r = routerResourcesFor(cores);
    const patch = [
      // The index is only right if it is the router container: the server refuses the patch otherwise.
      { op: "test", path: "/spec/containers/0/name", value: ROUTER_CONTAINER_NAME },
      { op: "replace", path: "/spec/containers/0/resources/requests/cpu", value: r.requests.cpu },
      { op: "replace", path: "/spec/containers/0/resources/limits/cpu", value: r.limits.cpu },
    ];
    for (const name of names) {
      try {
        await this.core.patchNamespacedPodResize(
          { name, namespace: this.o.namespace, body: patch },
          setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
        );
        this.inPlaceSupported = true;
      } catch (e) {
        const code = statusCode(e);
        if (code === 404 && namesObject(e)) continue; // the pod is gone
        if (code === 404) {
          this.inPlaceSupported = false;
          this.o.log?.info(
            { deployment: this.o.deployment },
            "this cluster cannot resize pods in place (Kubernetes < 1.33): CPU changes restart the router pods one by one",
          );
        } else if (code === 422)
          // The server refused this resize (a kubelet or policy rule): a restart applies it instead.
          this.o.log?.warn({ pod: name, err: (e as Error).message }, "in-place resize refused; restarting instead");
        else throw e;
        return false;
      }
    }
    this.o.log?.info({ deployment: this.o.deployment, cores, pods: names }, "resized router pods in place");
    return true;
  }

  /** Rolls the pods by changing their template; each new pod is admitted at the LimitRange's size. */
  private async rollingRestart(cores: number): Promise<void> {
    const d = await this.readDeployment();
    const annotations: Record<string, string> = { [ROUTER_CPU_ANNOTATION]: String(cores) };
    if (d.spec?.template.metadata?.annotations?.[ROUTER_CPU_ANNOTATION] === String(cores)) {
      // Pods differ from a template already rolled for these cores (e.g. resized in place
      // since): only a restart brings them back.
      if (rolloutInProgress(d)) return;
      annotations[RESTARTED_AT_ANNOTATION] = new Date().toISOString();
    }
    await this.apps.patchNamespacedDeployment(
      {
        name: this.o.deployment,
        namespace: this.o.namespace,
        body: { spec: { template: { metadata: { annotations } } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    this.o.log?.info({ deployment: this.o.deployment, cores }, "restarting the router pods one by one at the new size");
  }

  private readLimitRange(): Promise<V1LimitRange> {
    return this.core.readNamespacedLimitRange({ name: this.o.deployment, namespace: this.o.namespace });
  }

  private readDeployment(): Promise<V1Deployment> {
    return this.apps.readNamespacedDeployment({ name: this.o.deployment, namespace: this.o.namespace });
  }

  /** The pod, or undefined when it is gone or going (a terminating pod keeps its size until it exits). */
  private async readPod(name: string): Promise<V1Pod | undefined> {
    try {
      const pod = await this.core.readNamespacedPod({ name, namespace: this.o.namespace });
      return pod.metadata?.deletionTimestamp ? undefined : pod;
    } catch (e) {
      if (statusCode(e) === 404) return undefined;
      throw e;
    }
  }

  /** Read-modify-write with the resourceVersion (a concurrent writer makes us retry). */
  private async writeLimitRange(cores: number, attempts = 3): Promise<void> {
    const r = routerResourcesFor(cores);
    for (let i = 1; ; i++) {
      const lr = await this.readLimitRange();
      const item = containerItem(lr);
      if (item?._default?.cpu === r.limits.cpu && item.defaultRequest?.cpu === r.requests.cpu) return;
      const others = (lr.spec?.limits ?? []).filter((l) => l !== item);
      const updated = {
        type: "Container",
        ...item,
        _default: { ...item?._default, ...r.limits },
        defaultRequest: { ...item?.defaultRequest, ...r.requests },
      };
      lr.spec = { ...lr.spec, limits: [...others, updated] };
      try {
        await this.core.replaceNamespacedLimitRange({ name: this.o.deployment, namespace: this.o.namespace, body: lr });
        return;
      } catch (e) {
        if (statusCode(e) !== 409 || i >= attempts) throw e;
      }
    }
  }
}

function containerItem(lr: V1LimitRange) {
  return lr.spec?.limits.find((l) => l.type === "Container");
}

/** Whole cores of the LimitRange's container default; a LimitRange without one is a broken install. */
function coresOf(lr: V1LimitRange, name: string): number {
  const cores = cpuCoresOf(containerItem(lr)?._default?.cpu);
  if (cores === undefined || !Number.isInteger(cores) || cores < 1)
    throw new Error(`LimitRange ${name} has no whole-core default CPU limit for containers`);
  return cores;
}

/** Whether a 404 names the object it did not find (a missing pod), rather than a missing resource. */
function namesObject(e: unknown): boolean {
  let body = (e as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return false;
    }
  }
  return typeof (body as { details?: { name?: unknown } } | undefined)?.details?.name === "string";
}
