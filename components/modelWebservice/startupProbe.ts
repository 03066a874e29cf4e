/**
 * The model containers' startup probe. Azure ML's AKS services had only a liveness probe,
 * delayed 310 s (`initial_delay_seconds`) so a model could load first: a load longer than
 * that (plus 3 × 10 s of failures) was killed and restarted, forever. Kubernetes' startup
 * probe holds liveness and readiness off until the server answers, for as long as the
 * model takes within its budget, and costs one `GET /` per period while it loads.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AddProblem } from "../shared/problems.js";
import { known } from "../shared/inputs.js";
import { isIntegerInRange } from "../shared/validation.js";
import type { StartupProbeArgs } from "./podStartArgs.js";

/**
 * 5 s × 120 = 10 minutes of loading. The period is the readiness probe's (5 s): the
 * startup probe's success is what lets readiness start, so a longer period would add
 * up to one period to every scale-up. Ten minutes covers loading models of tens of GB
 * from the node's disk (the download itself happens before, in the init container);
 * KServe users report 1 GB taking about a minute to become ready (kserve/kserve#2529).
 */
export const STARTUP_PROBE_DEFAULTS = {
  periodSeconds: 5,
  initialDelaySeconds: 0,
  timeoutSeconds: 2,
  successThreshold: 1,
  failureThreshold: 120,
} as const;

/** A replica that has not loaded in a day will not. */
export const MAX_STARTUP_SECONDS = 86_400;

export type StartupProbeSettings = { readonly [K in keyof typeof STARTUP_PROBE_DEFAULTS]: number };

const RANGES: Record<keyof StartupProbeSettings, readonly [number, number]> = {
  periodSeconds: [1, 3600],
  initialDelaySeconds: [0, MAX_STARTUP_SECONDS],
  timeoutSeconds: [1, 3600],
  successThreshold: [1, 1],
  failureThreshold: [1, 100_000],
};

export function resolveStartupProbe(a: pulumi.Unwrap<StartupProbeArgs> | undefined): StartupProbeSettings {
  const given = Object.fromEntries(Object.entries(a ?? {}).filter(([, v]) => v !== undefined));
  return { ...STARTUP_PROBE_DEFAULTS, ...given };
}

export function startupProbeProblems(a: StartupProbeArgs | undefined, add: AddProblem): void {
  const p = a ?? {};
  for (const [k, [min, max]] of Object.entries(RANGES) as [keyof StartupProbeSettings, readonly [number, number]][]) {
    const v = known(p[k]);
    if (v === undefined || isIntegerInRange(v, min, max)) continue;
    add(
      `startupProbe.${k}`,
      k === "successThreshold"
        ? `must be 1 (Kubernetes accepts no other value for a startup probe), got ${v}`
        : `must be an integer from ${min} to ${max}, got ${v}`,
    );
  }
  const value = (k: keyof StartupProbeSettings) => (p[k] === undefined ? STARTUP_PROBE_DEFAULTS[k] : known(p[k]));
  const [period, delay, failures] = [value("periodSeconds"), value("initialDelaySeconds"), value("failureThreshold")];
  if (period !== undefined && delay !== undefined && failures !== undefined) {
    const budget = delay + failures * period;
    if (budget > MAX_STARTUP_SECONDS)
      add(
        "startupProbe.failureThreshold",
        `initialDelaySeconds + failureThreshold × periodSeconds is ${budget} s; at most ${MAX_STARTUP_SECONDS} s (a day) of loading is allowed`,
      );
  }
}

/** The probe on the inference server's liveness route. */
export function startupProbeManifest(s: StartupProbeSettings, port: number) {
  return { httpGet: { path: "/", port }, ...s };
}
