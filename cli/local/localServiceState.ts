/**
 * Azure ML's service state of an `aksml local` service, from its replicas: the local
 * counterpart of what `aksml state` reads from a Deployment, its pods and Events.
 */
import type { LocalServiceStatus } from "../../router/backends/local/localBackend.js";
import type { ServiceStateReport } from "../day2/model.js";

/** Failed starts in a row after which a service is Failed (crash loop) or Unhealthy (probe failing). */
export const LOCAL_FAILURES_BEFORE_VERDICT = 3;

export function localServiceState(s: LocalServiceStatus): Omit<ServiceStateReport, "name" | "namespace"> {
  const replicas = { ready: s.ready, desired: s.desired };
  const last = s.events.at(-1);
  const lastEvent = last ? { at: last.at, message: last.message } : undefined;
  const failure = s.lastFailure;
  if (failure && s.consecutiveFailures >= LOCAL_FAILURES_BEFORE_VERDICT && s.ready < s.desired) {
    const times = `${s.consecutiveFailures} failed starts in a row`;
    return failure.kind === "exited"
      ? { state: "Failed", reason: `crash loop: ${failure.message} (${times})`, replicas, lastEvent }
      : { state: "Unhealthy", reason: `probe failing: ${failure.message} (${times})`, replicas, lastEvent };
  }
  if (s.ready >= s.desired) return { state: "Healthy", replicas, lastEvent };
  const reason =
    failure && s.consecutiveFailures > 0
      ? `restarting after: ${failure.message}`
      : `${s.ready}/${s.desired} replicas ready${s.starting ? `, ${s.starting} starting` : ""}`;
  return { state: "Transitioning", reason, replicas, lastEvent };
}
