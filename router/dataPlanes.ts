/**
 * The router's data-path workers as the main thread drives them: one DataPlane in the main
 * thread itself (one worker), or a pool of worker threads (workerPool.ts). Both take the
 * catalog's changes, the TLS pair on renewal, the ready signal and the drain, over the same
 * slot table, so the single-thread router runs exactly the code each worker thread runs.
 */
import type { Registry } from "prom-client";
import type { CatalogSubscriber } from "./catalog.js";
import type { SequencedChange } from "./catalogChange.js";
import { DataPlane, type DataPlaneConfig } from "./dataPlane.js";
import type { Logger } from "./log.js";
import type { SlotTable } from "./slotTable.js";
import type { PemPair } from "./tls.js";
import type { ServiceRegistry } from "./registry.js";
import type { DataObservers } from "./dataObservers.js";
import type { VersionStatsSource } from "./endpoints/versionStats.js";

export interface DataPlanes extends CatalogSubscriber {
  /** How many workers serve the data port. */
  readonly workers: number;
  /** Starts every worker's listener; resolves with the data port. */
  start(): Promise<number>;
  /** The catalog is loaded: the data port's /readyz answers 200. */
  setReady(): void;
  setSecureContext(pair: PemPair): void;
  /** Requests being answered over all workers. */
  activeRequests(): number;
  /** Graceful: every worker stops accepting and finishes its requests within `graceMs`. */
  drain(graceMs: number): Promise<void>;
  /** At once, for a start that failed. */
  close(): Promise<void>;
  /** Endpoint versions' counts over every worker (the rollout loop reads them). */
  readonly versionStats: VersionStatsSource;
}

/** The one data-path worker of a single-worker router, in the main thread. */
export class LocalDataPlane implements DataPlanes {
  readonly workers = 1;
  private readonly plane: DataPlane;

  constructor(
    config: Omit<DataPlaneConfig, "worker">,
    private readonly table: SlotTable,
    metricsRegistry: Registry,
    log: Logger,
    observers: DataObservers,
  ) {
    this.plane = new DataPlane({ ...config, worker: 0 }, table, metricsRegistry, log, observers);
  }

  /** This thread's own counts: exact, read in place. */
  get versionStats(): VersionStatsSource {
    return this.plane.registry.endpoints.stats;
  }

  /** Its registry of services (tests inspect it). */
  get registry(): ServiceRegistry {
    return this.plane.registry;
  }

  start(): Promise<number> {
    return this.plane.listen();
  }

  /**
   * Applied at once, as a copy made the way a worker thread receives it (structured
   * clone), so a snapshot that could not reach a worker thread fails with one worker too.
   */
  publish(change: SequencedChange): void {
    this.plane.apply(structuredClone(change));
  }

  appliedByAll(sequence: number): boolean {
    return this.table.applied(0) >= sequence;
  }

  setReady(): void {
    this.plane.setReady();
  }

  setSecureContext(pair: PemPair): void {
    this.plane.setSecureContext(pair);
  }

  activeRequests(): number {
    return this.table.activeRequests();
  }

  async drain(graceMs: number): Promise<void> {
    await this.plane.drain(graceMs);
  }

  close(): Promise<void> {
    return this.plane.close();
  }
}
