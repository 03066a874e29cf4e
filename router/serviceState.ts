/**
 * Live state of one model service inside the router: its settings, auth, ready
 * replicas with their in-flight counts, and the FIFO queue of requests waiting
 * for a free replica. The dispatcher mutates it; the registry replaces its
 * settings and replica list without touching in-flight counts or the queue.
 */
import type { ReplicaEndpoint } from "./contract/backend.js";
import type { ServiceConfig } from "./contract/serviceConfig.js";
import type { ServiceAuth } from "./auth/authenticate.js";

export interface ReplicaState {
  readonly endpoint: ReplicaEndpoint;
  /** Requests this router process has sent to the replica and not yet finished. */
  inFlight: number;
  /** performance.now() until which the replica is skipped after a connection failure. */
  ejectedUntil: number;
}

export interface Lease {
  readonly service: ServiceState;
  readonly replica: ReplicaState;
  /** Milliseconds spent in the queue (0 when a replica was free at once). */
  readonly queuedMs: number;
  released: boolean;
}

export interface Waiter {
  readonly exclude: ReadonlySet<string> | undefined;
  readonly enqueuedAt: number;
  done: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(lease: Lease): void;
  reject(err: Error): void;
}

export class ServiceState {
  config: ServiceConfig;
  auth: ServiceAuth;
  replicas: ReplicaState[] = [];
  currentReplicas = 0;
  /** Waiters in arrival order; entries with `done` set are skipped and compacted lazily. */
  queue: Waiter[] = [];
  queued = 0;
  inFlight = 0;
  /** Rotates the starting point of the least-busy scan so ties spread evenly. */
  cursor = 0;
  removed = false;
  ejectionTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    config: ServiceConfig,
    auth: ServiceAuth,
  ) {
    this.config = config;
    this.auth = auth;
  }

  /** Replaces the replica list, keeping the in-flight count of replicas that stay. */
  setReplicas(endpoints: readonly ReplicaEndpoint[]): void {
    const old = new Map(this.replicas.map((r) => [r.endpoint.id, r]));
    this.replicas = endpoints.map((e) => {
      const kept = old.get(e.id);
      return kept && kept.endpoint.url === e.url ? kept : { endpoint: e, inFlight: 0, ejectedUntil: 0 };
    });
  }
}
