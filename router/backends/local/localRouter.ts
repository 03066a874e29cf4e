/**
 * Router options for local mode: the local-process backend, and the autoscaler
 * started once the first replicas are up (this process is always the leader).
 */
import type { StartRouterOptions } from "../../startRouter.js";
import { Autoscaler, type ScalingDecision } from "../../autoscaler/autoscaler.js";
import { ObservedBackend } from "../../autoscaler/observedBackend.js";
import { LateBoundLog } from "../../autoscaler/lateBoundLog.js";
import { LocalProcessBackend, type LocalBackendOptions, type LocalServiceSpec } from "./localBackend.js";

export interface LocalRouterParts extends Pick<StartRouterOptions, "backend" | "onStarted"> {
  local: LocalProcessBackend;
  /** Set once the router has started. */
  autoscaler(): Autoscaler | undefined;
}

export function localRouterOptions(
  services: LocalServiceSpec[],
  options: LocalBackendOptions & { now?: () => number; onDecision?: (d: ScalingDecision) => void } = {},
): LocalRouterParts {
  // Until the router's logger exists, only warnings (e.g. a replica that never became healthy) reach stderr.
  const late = new LateBoundLog(false);
  const local = new LocalProcessBackend(services, { ...options, log: options.log ?? late });
  const observed = new ObservedBackend(local);
  let autoscaler: Autoscaler | undefined;
  return {
    local,
    backend: observed,
    autoscaler: () => autoscaler,
    onStarted: ({ registry, metrics, log }) => {
      late.target = log;
      const a = new Autoscaler({
        services: () => observed.services(),
        load: registry,
        backend: observed,
        metrics,
        log,
        now: options.now,
        onDecision: options.onDecision,
      });
      autoscaler = a;
      a.start();
      return () => a.stop();
    },
  };
}
