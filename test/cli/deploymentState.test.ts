/** Azure ML's state from a Deployment, its pods and Events: every rule of deploymentState.ts on plain objects. */
import { describe, expect, it } from "vitest";
import type { CoreV1Event, V1Deployment, V1Pod } from "@kubernetes/client-node";
import { deploymentState, type ClusterObservation } from "../../cli/day2/kubernetes/deploymentState.js";

const NOW = new Date("2026-06-01T12:00:00Z");
const ago = (s: number) => new Date(NOW.getTime() - s * 1000) as unknown as Date;

function deployment(desired: number, ready: number, extra: Partial<V1Deployment["status"]> = {}): V1Deployment {
  return {
    metadata: { name: "svc", generation: 2 },
    spec: { replicas: desired, selector: {}, template: {} },
    status: { observedGeneration: 2, replicas: desired, updatedReplicas: desired, readyReplicas: ready, ...extra },
  };
}

function pod(name: string, status: V1Pod["status"], probes = { initialDelaySeconds: 310 }): V1Pod {
  return {
    metadata: { name },
    spec: {
      containers: [
        {
          name: "model",
          livenessProbe: { initialDelaySeconds: probes.initialDelaySeconds },
          readinessProbe: { periodSeconds: 5, failureThreshold: 3 },
        },
      ],
    },
    status,
  };
}

const running = (startedS: number, ready: boolean): V1Pod["status"] => ({
  phase: "Running",
  conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
  containerStatuses: [
    {
      name: "model",
      ready,
      restartCount: 0,
      image: "i",
      imageID: "",
      state: { running: { startedAt: ago(startedS) } },
    },
  ],
});

function event(about: string, reason: string, message: string, atS = 10): CoreV1Event {
  return {
    metadata: { name: `${about}.${reason}` },
    involvedObject: { kind: "Pod", name: about },
    reason,
    message,
    lastTimestamp: ago(atS),
  };
}

function observe(o: Partial<ClusterObservation>): ReturnType<typeof deploymentState> {
  return deploymentState({
    name: "svc",
    namespace: "models",
    deploymentName: "svc",
    deployment: deployment(1, 1),
    pods: [],
    events: [],
    now: NOW,
    ...o,
  });
}

describe("deploymentState", () => {
  it("Healthy: ready as desired, rollout complete; the newest event is reported", () => {
    const s = observe({
      deployment: deployment(2, 2),
      pods: [pod("a", running(600, true)), pod("b", running(600, true))],
      events: [event("a", "Pulled", "old", 300), event("b", "Started", "Started container model", 100)],
    });
    expect(s).toMatchObject({ state: "Healthy", replicas: { ready: 2, desired: 2 } });
    expect(s.reason).toBeUndefined();
    expect(s.lastEvent?.message).toBe("Pod b: Started Started container model");
  });

  it.each([
    [
      "ErrImagePull",
      'failed to pull "acr/x:1": not found',
      /^image pull error: pod p container model: ErrImagePull: failed to pull/,
    ],
    [
      "ImagePullBackOff",
      'Back-off pulling image "acr/x:1"',
      /^image pull error: pod p container model: ImagePullBackOff/,
    ],
    ["InvalidImageName", "couldn't parse image reference", /^image pull error: .*InvalidImageName/],
    [
      "CreateContainerConfigError",
      'secret "svc-appinsights" not found',
      /^container cannot start: .*secret "svc-appinsights" not found/,
    ],
  ])("Failed on a container waiting with %s", (reason, message, expected) => {
    const s = observe({
      deployment: deployment(1, 0),
      pods: [
        pod("p", {
          phase: "Pending",
          containerStatuses: [
            {
              name: "model",
              ready: false,
              restartCount: 0,
              image: "i",
              imageID: "",
              state: { waiting: { reason, message } },
            },
          ],
        }),
      ],
    });
    expect(s.state).toBe("Failed");
    expect(s.reason).toMatch(expected);
  });

  it("Failed on a crash loop, naming the restarts and the last exit; also for the model download init container", () => {
    const crash = (init: boolean): V1Pod["status"] => {
      const c = {
        name: init ? "fetch-model" : "model",
        ready: false,
        restartCount: 7,
        image: "i",
        imageID: "",
        state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s" } },
        lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } },
      };
      return {
        phase: init ? "Pending" : "Running",
        ...(init ? { initContainerStatuses: [c] } : { containerStatuses: [c] }),
      };
    };
    expect(observe({ deployment: deployment(1, 0), pods: [pod("p", crash(false))] }).reason).toBe(
      "crash loop: pod p container model restarted 7 times; last exit code 137 (OOMKilled); see aksml logs",
    );
    expect(observe({ deployment: deployment(1, 0), pods: [pod("p", crash(true))] }).reason).toBe(
      "crash loop: pod p init container fetch-model restarted 7 times; last exit code 137 (OOMKilled); see aksml logs --init",
    );
  });

  it("Failed when the rollout stalled or a ReplicaSet cannot create pods", () => {
    expect(
      observe({
        deployment: deployment(1, 0, {
          conditions: [
            {
              type: "Progressing",
              status: "False",
              reason: "ProgressDeadlineExceeded",
              message: 'ReplicaSet "svc-7d" has timed out progressing.',
            },
          ],
        }),
      }).reason,
    ).toBe('rollout stalled: ReplicaSet "svc-7d" has timed out progressing.');
    expect(
      observe({
        deployment: deployment(1, 0, {
          conditions: [
            { type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: "exceeded quota: compute" },
          ],
        }),
      }),
    ).toMatchObject({ state: "Failed", reason: "replica failure: exceeded quota: compute" });
  });

  it("Unschedulable with the scheduler's newest FailedScheduling message", () => {
    const s = observe({
      deployment: deployment(1, 0),
      pods: [
        pod("p", {
          phase: "Pending",
          conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "condition text" }],
        }),
      ],
      events: [
        event("p", "FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu.", 60),
        event("p", "FailedScheduling", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.", 5),
      ],
    });
    expect(s).toMatchObject({
      state: "Unschedulable",
      reason: "unschedulable: pod p: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
    });
  });

  it("Unhealthy only once a not-ready container is past its startup allowance with readiness failures", () => {
    const probeEvent = event("p", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 500");
    // Within the allowance (liveness initialDelaySeconds 310 + 5 s x 3): still starting.
    expect(
      observe({ deployment: deployment(1, 0), pods: [pod("p", running(120, false))], events: [probeEvent] }).state,
    ).toBe("Transitioning");
    expect(
      observe({ deployment: deployment(1, 0), pods: [pod("p", running(400, false))], events: [probeEvent] }),
    ).toMatchObject({
      state: "Unhealthy",
      reason: "probe failing: pod p container model: Readiness probe failed: HTTP probe failed with statuscode: 500",
    });
    // Past the allowance but no probe failure reported: not enough to call it Unhealthy.
    expect(observe({ deployment: deployment(1, 0), pods: [pod("p", running(400, false))] }).state).toBe(
      "Transitioning",
    );
  });

  it("Transitioning while rolling out or scaling, with progress", () => {
    expect(observe({ deployment: deployment(3, 1) })).toMatchObject({
      state: "Transitioning",
      reason: "1/3 replicas ready",
    });
    expect(observe({ deployment: deployment(2, 2, { updatedReplicas: 1, replicas: 3 }) })).toMatchObject({
      state: "Transitioning",
      reason: "rolling out: 1/2 updated, 2/2 ready",
    });
    expect(observe({ deployment: deployment(1, 1, { observedGeneration: 1 }) }).state).toBe("Transitioning");
  });

  it("terminating pods do not count; a missing Deployment is Failed with what to do", () => {
    const gone = pod("old", {
      phase: "Running",
      containerStatuses: [
        {
          name: "model",
          ready: false,
          restartCount: 3,
          image: "i",
          imageID: "",
          state: { waiting: { reason: "CrashLoopBackOff" } },
        },
      ],
    });
    gone.metadata!.deletionTimestamp = ago(1);
    expect(observe({ pods: [gone] }).state).toBe("Healthy");
    expect(observe({ deployment: undefined })).toMatchObject({
      state: "Failed",
      reason: "Deployment models/svc not found (the Service exists; run pulumi up)",
      replicas: { ready: 0, desired: 0 },
    });
  });
});
