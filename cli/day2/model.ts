/**
 * What the day-2 commands (`aksml list|keys|regen-key|token|logs|state|wait|score|endpoints`)
 * say about a service or an endpoint, whichever target answers (a cluster through the Kubernetes API, or
 * `aksml local` through its admin API). The JSON output of every command is these shapes.
 */
import type { AuthMode } from "../../router/contract/serviceConfig.js";
import type { EndpointStatus } from "../../router/endpoints/endpointStatus.js";

/**
 * Azure ML's service states. `Unschedulable` is Azure ML's own state for "not enough
 * resources" (not final); `Healthy` and `Failed` are final for `wait`.
 */
export type AzureMlState = "Transitioning" | "Healthy" | "Unhealthy" | "Unschedulable" | "Failed";
export const AZURE_ML_STATES: readonly AzureMlState[] = [
  "Transitioning",
  "Healthy",
  "Unhealthy",
  "Unschedulable",
  "Failed",
];

/** `aksml state <service> --json`. */
export interface ServiceStateReport {
  name: string;
  /** Kubernetes namespace; absent locally. */
  namespace?: string;
  state: AzureMlState;
  /** Why the state is not Healthy (image pull error, crash loop, probe failing, the scheduler's message, ...). */
  reason?: string;
  /** `ready`: replicas receiving traffic; `desired`: replicas the Deployment (or aksml local) wants. */
  replicas: { ready: number; desired: number };
  /** The newest thing that happened (a Kubernetes Event, or a local replica event). */
  lastEvent?: { at?: string; message: string };
}

/** One row of `aksml list --json`. */
export interface ServiceSummary extends ServiceStateReport {
  authMode: AuthMode;
  /** Where to POST scoring requests; absent when the router's address is unknown. */
  scoringUri?: string;
}

/** `aksml keys <service> --json` (Azure ML `get_keys()`). */
export interface ServiceKeysReport {
  primaryKey: string;
  secondaryKey: string;
}

/** The key slots of Azure ML's `regen_key(key)`. */
export type KeySlot = "primary" | "secondary";

/** `aksml regen-key --json`. */
export interface RegenKeyReport extends ServiceKeysReport {
  /** The slot that got a new key; the other one is unchanged. */
  regenerated: KeySlot;
  /** Where the new key now lives (the cluster Secret, the local config file, or this local run only). */
  persisted: string;
}

/** `aksml token <service> --json` (Azure ML `get_token()` / `get_access_token()`). */
export interface AccessTokenReport {
  accessToken: string;
  tokenType: "Bearer";
  /** ISO time after which a new token must be requested. */
  refreshBy: string;
  /** ISO time the token stops working. */
  expiresOn: string;
}

/** One line of `aksml logs --json` (newline-delimited). */
export interface LogLineReport {
  /** Pod (or local replica) the line came from. */
  source: string;
  /** ISO time, when known. */
  at?: string;
  text: string;
}

/** What `aksml score` needs to call a service. */
export interface ScoringTarget {
  scoringUri: string;
  authMode: AuthMode;
}

/**
 * `aksml endpoints`: every endpoint's versions (declared and live shares, mirrors, roles,
 * ready replicas) and rollout (phase, step, the leader's decisions). An endpoint whose
 * annotation cannot be read is listed under `problems`, not a failure of the command.
 */
export interface EndpointsReport {
  endpoints: (EndpointStatus & { namespace?: string })[];
  problems: { name: string; namespace: string; problem: string }[];
}
