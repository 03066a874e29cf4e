/**
 * Azure ML's service state from what the Kubernetes API says about a model Deployment:
 * its status and conditions, its pods' container statuses, and the Events about them.
 * Pure, so every rule is tested on plain objects. The first rule that matches decides:
 *
 * 1. Failed: a container cannot pull its image (ErrImagePull, ImagePullBackOff,
 *    InvalidImageName), crash-loops (CrashLoopBackOff, also the model download init
 *    container), cannot be created (CreateContainerConfigError, ...), or the Deployment
 *    reports ProgressDeadlineExceeded or a ReplicaFailure (quota, admission).
 * 2. Unschedulable: a pod the scheduler cannot place, with the scheduler's message.
 * 3. Healthy: as many ready replicas as desired, the rollout complete.
 * 4. Unhealthy: a container running past its probes' startup allowance that still fails
 *    its readiness probe.
 * 5. Transitioning: anything else (pulling, starting, rolling out, scaling).
 */
import type { CoreV1Event, V1ContainerStatus, V1Deployment, V1Pod } from "@kubernetes/client-node";
import type { ServiceStateReport } from "../model.js";

const IMAGE_PULL = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"]);
const CANNOT_START = new Set(["CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);

export interface ClusterObservation {
  name: string;
  namespace: string;
  /** The Deployment the service's config names; undefined when it does not exist. */
  deployment?: V1Deployment;
  deploymentName: string;
  /** The service's pods (label `aksml/webservice=<name>`). */
  pods: V1Pod[];
  /** Events about those pods and the Deployment, any order. */
  events: CoreV1Event[];
  now: Date;
}

function eventTime(e: CoreV1Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t as unknown as string).getTime() : 0;
}

function newestEvent(events: CoreV1Event[], match: (e: CoreV1Event) => boolean = () => true): CoreV1Event | undefined {
  return events
    .filter(match)
    .sort((a, b) => eventTime(a) - eventTime(b))
    .at(-1);
}

function statuses(pod: V1Pod): { status: V1ContainerStatus; init: boolean }[] {
  return [
    ...(pod.status?.initContainerStatuses ?? []).map((status) => ({ status, init: true })),
    ...(pod.status?.containerStatuses ?? []).map((status) => ({ status, init: false })),
  ];
}

const where = (pod: V1Pod, c: V1ContainerStatus, init: boolean) =>
  `pod ${pod.metadata?.name} ${init ? "init container" : "container"} ${c.name}`;

function containerFailure(pod: V1Pod): string | undefined {
  for (const { status: c, init } of statuses(pod)) {
    const waiting = c.state?.waiting;
    if (!waiting?.reason) continue;
    if (IMAGE_PULL.has(waiting.reason))
      return `image pull error: ${where(pod, c, init)}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
    if (waiting.reason === "CrashLoopBackOff") {
      const last = c.lastState?.terminated;
      const exit = last ? `; last exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}` : "";
      return `crash loop: ${where(pod, c, init)} restarted ${c.restartCount} times${exit}; see aksml logs${init ? " --init" : ""}`;
    }
    if (CANNOT_START.has(waiting.reason))
      return `container cannot start: ${where(pod, c, init)}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
  }
  return undefined;
}

function deploymentFailure(d: V1Deployment): string | undefined {
  for (const c of d.status?.conditions ?? []) {
    if (c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded")
      return `rollout stalled: ${c.message ?? c.reason}`;
    if (c.type === "ReplicaFailure" && c.status === "True") return `replica failure: ${c.message ?? c.reason}`;
  }
  return undefined;
}

function unschedulable(pod: V1Pod, events: CoreV1Event[]): string | undefined {
  if (pod.status?.phase !== "Pending") return undefined;
  const cond = pod.status.conditions?.find((c) => c.type === "PodScheduled");
  if (cond?.status !== "False" || cond.reason !== "Unschedulable") return undefined;
  const ev = newestEvent(
    events,
    (e) => e.reason === "FailedScheduling" && e.involvedObject?.name === pod.metadata?.name,
  );
  return `unschedulable: pod ${pod.metadata?.name}: ${ev?.message ?? cond.message ?? "no node fits"}`;
}

/** Seconds a container may take to become ready before a failing readiness probe is a problem. */
function startupAllowanceS(pod: V1Pod, container: string): number {
  const spec = pod.spec?.containers?.find((c) => c.name === container);
  const r = spec?.readinessProbe;
  const l = spec?.livenessProbe;
  const initial = Math.max(r?.initialDelaySeconds ?? 0, l?.initialDelaySeconds ?? 0);
  return initial + (r?.periodSeconds ?? 10) * (r?.failureThreshold ?? 3);
}

function probeFailing(pod: V1Pod, events: CoreV1Event[], now: Date): string | undefined {
  for (const c of pod.status?.containerStatuses ?? []) {
    const started = c.state?.running?.startedAt;
    if (!started || c.ready) continue;
    const runningS = (now.getTime() - new Date(started as unknown as string).getTime()) / 1000;
    if (runningS < startupAllowanceS(pod, c.name)) continue;
    const ev = newestEvent(
      events,
      (e) =>
        e.reason === "Unhealthy" &&
        e.involvedObject?.name === pod.metadata?.name &&
        /readiness probe/i.test(e.message ?? ""),
    );
    if (ev) return `probe failing: pod ${pod.metadata?.name} container ${c.name}: ${ev.message}`;
  }
  return undefined;
}

export function deploymentState(o: ClusterObservation): ServiceStateReport {
  const base = { name: o.name, namespace: o.namespace };
  const last = newestEvent(o.events);
  const lastEvent = last
    ? {
        at: eventTime(last) ? new Date(eventTime(last)).toISOString() : undefined,
        message:
          `${last.involvedObject?.kind ?? ""} ${last.involvedObject?.name ?? ""}: ${last.reason ?? ""}${last.message ? ` ${last.message}` : ""}`.trim(),
      }
    : undefined;
  const d = o.deployment;
  if (!d)
    return {
      ...base,
      state: "Failed",
      reason: `Deployment ${o.namespace}/${o.deploymentName} not found (the Service exists; run pulumi up)`,
      replicas: { ready: 0, desired: 0 },
      lastEvent,
    };
  const desired = d.spec?.replicas ?? 1;
  const ready = d.status?.readyReplicas ?? 0;
  const replicas = { ready, desired };
  const live = o.pods.filter((p) => !p.metadata?.deletionTimestamp);

  const failure = live.map(containerFailure).find(Boolean) ?? deploymentFailure(d);
  if (failure) return { ...base, state: "Failed", reason: failure, replicas, lastEvent };
  const stuck = live.map((p) => unschedulable(p, o.events)).find(Boolean);
  if (stuck) return { ...base, state: "Unschedulable", reason: stuck, replicas, lastEvent };

  const rolledOut =
    (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    (d.status?.updatedReplicas ?? 0) >= desired &&
    (d.status?.replicas ?? 0) <= desired;
  if (ready >= desired && rolledOut) return { ...base, state: "Healthy", replicas, lastEvent };

  const probe = live.map((p) => probeFailing(p, o.events, o.now)).find(Boolean);
  if (probe) return { ...base, state: "Unhealthy", reason: probe, replicas, lastEvent };
  const progress = rolledOut
    ? `${ready}/${desired} replicas ready`
    : `rolling out: ${d.status?.updatedReplicas ?? 0}/${desired} updated, ${ready}/${desired} ready`;
  return { ...base, state: "Transitioning", reason: progress, replicas, lastEvent };
}
