/**
 * The router's catalog of model services, in the main thread. Backends push snapshots into
 * it (ServiceCatalog); it checks them, gives each service and replica a row of the slot
 * table, and sends every data-path worker the change (catalogChange.ts), which each applies
 * to its own registry (registry.ts). The autoscaler reads demand (LoadSource), settings and
 * replica counts (scalingViews) here; the gauges and the admin port's /readyz too. Demand
 * is read from the slot table, so it covers every worker's traffic.
 *
 * Endpoints too (EndpointCatalog): checked here (their auth must build), kept in `endpoints`
 * for the rollout loop, the gauges and the admin port's /endpoints, and sent to every worker
 * whole (config, keys, rollout state), where each worker's registry routes them.
 *
 * A rejected snapshot (a key no client could present, a full slot table) keeps the last
 * good settings; a withdrawn name is removed from every worker and its requests answered
 * 503 with the reason. A row dropped by a change is reused only once every live worker has
 * applied that change and nothing is in flight or queued on it.
 */
import type {
  EndpointCatalog,
  EndpointSnapshot,
  LoadSource,
  ServiceCatalog,
  ServiceLoad,
  ServiceScalingView,
  ServiceSnapshot,
} from "./contract/backend.js";
import { ROUTER_TUNING_ENV } from "./contract/routerEnvironment.js";
import type { CatalogChange, CatalogState, SequencedChange } from "./catalogChange.js";
import { buildAuth, keysProblem } from "./registry.js";
import { EndpointTable } from "./endpoints/endpointTable.js";
import type { SlotTable } from "./slotTable.js";
import type { LiveState } from "./metrics.js";
import type { Log } from "./log.js";

export interface ServiceProblem {
  service: string;
  reason: string;
  /** True when the router still serves the service with its last good settings. */
  servingLastGood: boolean;
  at: string;
}

/** Where the catalog's changes go: the data-path workers (workerPool.ts), or the one in this thread (dataPlane.ts). */
export interface CatalogSubscriber {
  publish(change: SequencedChange): void;
  /** True when every live worker has applied the change numbered `sequence`. */
  appliedByAll(sequence: number): boolean;
}

/** A served service as the main thread sees it: its last good snapshot and live demand over all workers. */
export interface ServiceView {
  readonly name: string;
  readonly snapshot: ServiceSnapshot;
  /** Requests in flight on its replicas (replicas it no longer has included, until they finish). */
  readonly inFlight: number;
  /** Requests queued for it over all workers. */
  readonly queued: number;
}

interface Entry {
  snapshot: ServiceSnapshot;
  row: number;
  /** `id \n url` of each replica -> its row. */
  replicaRows: Map<string, number>;
  /** The row of each of snapshot.replicas, in order. */
  rows: number[];
  view: ServiceView;
}

/** Rows handed out oldest-freed first, so a freed row rests as long as possible before it is reused. */
class RowPool {
  private free: number[];
  private head = 0;

  constructor(readonly size: number) {
    this.free = Array.from({ length: size }, (_, i) => i);
  }

  take(): number | undefined {
    if (this.head === this.free.length) return undefined;
    const row = this.free[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.free.length) {
      this.free = this.free.slice(this.head);
      this.head = 0;
    }
    return row;
  }

  give(row: number): void {
    this.free.push(row);
  }

  available(): number {
    return this.free.length - this.head;
  }
}

interface RetiringRow {
  row: number;
  /** The change that dropped it. */
  sequence: number;
  /** The service whose demand it still counts toward, while that service is served. */
  owner: Entry | undefined;
}

const SWEEP_MS = 1000;

export class RouterCatalog implements ServiceCatalog, EndpointCatalog, LoadSource, LiveState {
  private readonly entries = new Map<string, Entry>();
  private readonly problems = new Map<string, ServiceProblem>();
  /** Withdrawn names and the reason their requests are given. */
  private readonly withdrawn = new Map<string, string>();
  private readonly replicaPool: RowPool;
  private readonly servicePool: RowPool;
  private retiringReplicas: RetiringRow[] = [];
  private retiringServices: RetiringRow[] = [];
  private sequence = 0;
  private subscriber: CatalogSubscriber | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  /**
   * The endpoints as the main thread knows them (no request is routed here: no version
   * resolves to a service; a name an endpoint and a service both claim is still told).
   */
  readonly endpoints: EndpointTable;
  /** The last accepted snapshot of each endpoint (what a starting worker is given). */
  private readonly endpointSnapshots = new Map<string, EndpointSnapshot>();
  private readonly withdrawnEndpoints = new Map<string, string>();

  constructor(
    private readonly table: SlotTable,
    private readonly log?: Log,
  ) {
    this.replicaPool = new RowPool(table.replicaRows);
    this.servicePool = new RowPool(table.serviceRows);
    this.endpoints = new EndpointTable(
      () => undefined,
      buildAuth,
      log,
      (name) => this.entries.has(name),
    );
  }

  /** Starts sending changes to `subscriber` (and reusing rows once it has applied them). */
  attach(subscriber: CatalogSubscriber): void {
    this.subscriber = subscriber;
    this.sweepTimer ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** What a worker starting now applies to know every service: the changes that rebuild the catalog, and the last one's number. */
  currentState(): CatalogState {
    const changes: CatalogChange[] = [];
    for (const e of this.entries.values())
      changes.push({ kind: "upsert", snapshot: e.snapshot, row: e.row, replicaRows: e.rows });
    for (const [name, reason] of this.withdrawn) changes.push({ kind: "withdraw", name, reason });
    for (const snapshot of this.endpointSnapshots.values()) changes.push({ kind: "upsertEndpoint", snapshot });
    for (const [name, reason] of this.withdrawnEndpoints) changes.push({ kind: "withdrawEndpoint", name, reason });
    return { sequence: this.sequence, changes };
  }

  /** The number of the last change sent. */
  lastSequence(): number {
    return this.sequence;
  }

  /** True once every live worker has applied every change sent so far. */
  applied(): boolean {
    return this.subscriber?.appliedByAll(this.sequence) ?? true;
  }

  private publish(change: CatalogChange): number {
    const sequence = ++this.sequence;
    this.subscriber?.publish({ sequence, change });
    return sequence;
  }

  get(name: string): ServiceView | undefined {
    return this.entries.get(name)?.view;
  }

  upsert(snapshot: ServiceSnapshot): void {
    const problem = keysProblem(snapshot);
    if (problem !== undefined) {
      this.reject(snapshot.name, problem);
      return;
    }
    const existing = this.entries.get(snapshot.name);
    const row = existing?.row ?? this.takeRow(this.servicePool);
    if (row === undefined) {
      this.reject(
        snapshot.name,
        `the router serves at most ${this.table.serviceRows} services at once; raise ${ROUTER_TUNING_ENV.serviceTableSize}`,
      );
      return;
    }
    const replicaRows = new Map<string, number>();
    const rows: number[] = [];
    const taken: number[] = [];
    for (const r of snapshot.replicas) {
      const key = `${r.id}\n${r.url}`;
      let rr = replicaRows.get(key) ?? existing?.replicaRows.get(key);
      if (rr === undefined) {
        rr = this.takeRow(this.replicaPool);
        if (rr === undefined) {
          for (const t of taken) this.replicaPool.give(t);
          if (!existing) this.servicePool.give(row);
          this.reject(
            snapshot.name,
            `its ${snapshot.replicas.length} replicas do not fit: the router tracks at most ${this.table.replicaRows} replicas over all services; raise ${ROUTER_TUNING_ENV.replicaTableSize}`,
          );
          return;
        }
        this.table.clearReplicaRow(rr);
        taken.push(rr);
      }
      replicaRows.set(key, rr);
      rows.push(rr);
    }
    if (!existing) this.table.clearServiceRow(row);
    this.problems.delete(snapshot.name);
    this.withdrawn.delete(snapshot.name);
    const sequence = this.publish({ kind: "upsert", snapshot, row, replicaRows: rows });
    const entry: Entry = existing ?? { snapshot, row, replicaRows, rows, view: undefined as unknown as ServiceView };
    if (existing) {
      for (const [key, old] of existing.replicaRows)
        if (replicaRows.get(key) !== old) this.retiringReplicas.push({ row: old, sequence, owner: existing });
      existing.snapshot = snapshot;
      existing.replicaRows = replicaRows;
      existing.rows = rows;
      return;
    }
    entry.view = this.viewOf(entry);
    this.entries.set(snapshot.name, entry);
    this.log?.info(
      { service: snapshot.name, replicas: snapshot.replicas.length, auth: snapshot.config.auth.mode },
      "service added",
    );
  }

  /** A row, after reusing what can be reused when none is free. */
  private takeRow(pool: RowPool): number | undefined {
    if (pool.available() === 0) this.sweep();
    return pool.take();
  }

  remove(name: string): void {
    this.problems.delete(name);
    const wasWithdrawn = this.withdrawn.delete(name);
    const entry = this.entries.get(name);
    if (!entry && !wasWithdrawn) return;
    const sequence = this.publish({ kind: "remove", name });
    if (entry) {
      this.retire(entry, sequence);
      this.log?.info({ service: name }, "service removed");
    }
  }

  withdraw(name: string, reason: string, detail: string): void {
    const entry = this.entries.get(name);
    this.withdrawn.set(name, reason);
    this.problems.set(name, { service: name, reason: detail, servingLastGood: false, at: new Date().toISOString() });
    const sequence = this.publish({ kind: "withdraw", name, reason });
    if (entry) this.retire(entry, sequence);
    this.log?.warn({ service: name, reason: detail, wasServed: entry !== undefined }, "service withdrawn");
  }

  reject(name: string, reason: string): void {
    const servingLastGood = this.entries.has(name);
    this.problems.set(name, { service: name, reason, servingLastGood, at: new Date().toISOString() });
    this.log?.warn({ service: name, reason, servingLastGood }, "service settings rejected");
  }

  private retire(entry: Entry, sequence: number): void {
    this.entries.delete(entry.snapshot.name);
    for (const row of entry.replicaRows.values()) this.retiringReplicas.push({ row, sequence, owner: undefined });
    for (const r of this.retiringReplicas) if (r.owner === entry) r.owner = undefined;
    this.retiringServices.push({ row: entry.row, sequence, owner: undefined });
  }

  /** Gives rows back once every live worker has applied the change that dropped them and nothing holds them. */
  sweep(): void {
    const { table } = this;
    const free = (rows: RetiringRow[], pool: RowPool, idle: (row: number) => boolean) =>
      rows.filter((r) => {
        if (!idle(r.row) || !(this.subscriber?.appliedByAll(r.sequence) ?? true)) return true;
        pool.give(r.row);
        return false;
      });
    this.retiringReplicas = free(this.retiringReplicas, this.replicaPool, (row) => table.inFlight(row) === 0);
    this.retiringServices = free(this.retiringServices, this.servicePool, (row) => table.queued(row) === 0);
  }

  private inFlightOf(entry: Entry): number {
    let n = 0;
    for (const row of entry.replicaRows.values()) n += this.table.inFlight(row);
    for (const r of this.retiringReplicas) if (r.owner === entry) n += this.table.inFlight(r.row);
    return n;
  }

  private viewOf(entry: Entry): ServiceView {
    const catalog = this;
    return {
      get name() {
        return entry.snapshot.name;
      },
      get snapshot() {
        return entry.snapshot;
      },
      get inFlight() {
        return catalog.inFlightOf(entry);
      },
      get queued() {
        return catalog.table.queued(entry.row);
      },
    };
  }

  upsertEndpoint(snapshot: EndpointSnapshot): void {
    if (!this.endpoints.upsertEndpoint(snapshot)) return;
    this.endpointSnapshots.set(snapshot.name, snapshot);
    this.withdrawnEndpoints.delete(snapshot.name);
    this.publish({ kind: "upsertEndpoint", snapshot });
  }

  removeEndpoint(name: string): void {
    const known = this.endpointSnapshots.delete(name);
    const wasWithdrawn = this.withdrawnEndpoints.delete(name);
    this.endpoints.removeEndpoint(name);
    if (known || wasWithdrawn) this.publish({ kind: "removeEndpoint", name });
  }

  rejectEndpoint(name: string, reason: string): void {
    this.endpoints.rejectEndpoint(name, reason);
  }

  withdrawEndpoint(name: string, reason: string, detail: string): void {
    this.endpointSnapshots.delete(name);
    this.withdrawnEndpoints.set(name, reason);
    this.endpoints.withdrawEndpoint(name, reason, detail);
    this.publish({ kind: "withdrawEndpoint", name, reason });
  }

  /** The services' problems, the endpoints', and every name an endpoint and a service both claim. */
  problemList(): ServiceProblem[] {
    return [...this.problems.values(), ...this.endpoints.problemList()];
  }

  localLoad(): ServiceLoad[] {
    const out: ServiceLoad[] = [];
    for (const e of this.entries.values())
      out.push({ service: e.snapshot.name, inFlight: this.inFlightOf(e), queued: this.table.queued(e.row) });
    return out;
  }

  /** Every service's settings and replica count, as last pushed by the backend (the last good ones after a rejection). */
  scalingViews(): ServiceScalingView[] {
    return [...this.entries.values()].map((e) => e.snapshot);
  }

  *services(): Iterable<{
    name: string;
    inFlight: number;
    queued: number;
    readyReplicas: number;
    currentReplicas: number;
  }> {
    for (const e of this.entries.values())
      yield {
        name: e.snapshot.name,
        inFlight: this.inFlightOf(e),
        queued: this.table.queued(e.row),
        readyReplicas: e.snapshot.replicas.length,
        currentReplicas: e.snapshot.currentReplicas,
      };
  }

  /** Client connections open on the data port over all workers. */
  openConnections(): number {
    return this.table.openConnections();
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
}
