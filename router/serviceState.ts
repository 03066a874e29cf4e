/**
 * Live state of one model service in one data-path worker: its settings, auth, ready
 * replicas, and this worker's FIFO queue of requests waiting for a free replica. What
 * every worker must agree on (requests in flight per replica, the queue length, ejections,
 * the order of waiters across workers) lives in the slot table (slotTable.ts), at the
 * rows the main thread gave the service and its replicas. The dispatcher mutates it; the
 * registry replaces its settings and replica list without touching the queue.
 */
import type { ReplicaEndpoint } from "./contract/backend.js";
import type { ServiceConfig } from "./contract/serviceConfig.js";
import type { ServiceAuth } from "./auth/authenticate.js";
import type { SlotTable } from "./slotTable.js";

export interface ReplicaState {
  readonly endpoint: ReplicaEndpoint;
  /** The replica's row in the slot table: its requests in flight over all workers, its ejection. */
  readonly row: number;
}

export interface Lease {
  readonly service: ServiceState;
  readonly replica: ReplicaState;
  /** Milliseconds spent in the queue (0 when a replica was free at once). */
  readonly queuedMs: number;
  released: boolean;
}

/** Told what became of a request that had to wait in the queue. */
export interface QueueObserver {
  /** The request waits in the queue; `waiter` withdraws it (dispatcher.withdraw). */
  queued(waiter: Waiter): void;
  /** A slot: the request goes on. */
  granted(lease: Lease): void;
  /** No slot (QueueTimeoutError, WithdrawnError, ServiceGoneError). */
  refused(err: Error): void;
}

export interface Waiter {
  readonly exclude: ReadonlySet<string> | undefined;
  readonly enqueuedAt: number;
  /** The service's queue ticket (slot table): FIFO order across workers. */
  readonly ticket: number;
  readonly observer: QueueObserver;
  done: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class ServiceState {
  config: ServiceConfig;
  auth: ServiceAuth;
  replicas: ReplicaState[] = [];
  currentReplicas = 0;
  /** This worker's waiters in arrival order; entries with `done` set are skipped and compacted lazily. */
  queue: Waiter[] = [];
  /** Waiters of this worker still waiting. */
  waiting = 0;
  /** The ticket this worker published as its oldest waiter without exclusions (0: none). */
  publishedTicket = 0;
  /** A wake-up wait on the slot table is armed. */
  wakeArmed = false;
  /** Rotates the starting point of the least-busy scan so ties spread evenly. */
  cursor = 0;
  removed = false;
  ejectionTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    config: ServiceConfig,
    auth: ServiceAuth,
    /** The pod's shared counters, and this worker's index in them. */
    readonly table: SlotTable,
    readonly worker: number,
    /** The service's row in the slot table. */
    readonly row: number,
  ) {
    this.config = config;
    this.auth = auth;
  }

  /** Requests queued for this service over all workers. */
  get queued(): number {
    return this.table.queued(this.row);
  }

  /** Requests in flight on this service's replicas over all workers. */
  get inFlight(): number {
    let n = 0;
    for (const r of this.replicas) n += this.table.inFlight(r.row);
    return n;
  }

  /** Replaces the replica list (rows assigned by the main thread; a kept replica keeps its row). */
  setReplicas(endpoints: readonly ReplicaEndpoint[], rows: readonly number[]): void {
    const old = new Map(this.replicas.map((r) => [r.row, r]));
    this.replicas = endpoints.map((endpoint, i) => {
      const row = rows[i]!;
      const kept = old.get(row);
      return kept && kept.endpoint.id === endpoint.id && kept.endpoint.url === endpoint.url ? kept : { endpoint, row };
    });
  }
}
