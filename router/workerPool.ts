/**
 * N data-path worker threads (workerThread.ts), driven by the main thread. Each listens on
 * the data port with `reusePort`, over the one slot table (SharedArrayBuffer) and its own
 * registry fed with the catalog's changes. The pool forwards changes, certificates and the
 * ready signal to every worker, gathers their metrics for a scrape, writes their log lines
 * to the router's log, drains them on stop, and restarts a worker that exits: its slots,
 * queue places and connections are given back first (slotTable.reclaimWorker), so the
 * other workers' requests carry on and its replicas are not held. With `AKSML_WORKERS=auto`
 * its size follows the pod's CPU limit live (setWorkerCount, from autoscaler/cpuQuota.ts):
 * a worker is added on a free index of the table, and a retired one drains like a stopping
 * pod (stops accepting, finishes its requests, its last metrics kept) before it ends.
 */
import { Worker } from "node:worker_threads";
import type { Registry } from "prom-client";
import type { RouterCatalog } from "./catalog.js";
import type { SequencedChange } from "./catalogChange.js";
import type { DataPlaneConfig } from "./dataPlane.js";
import type { DataPlanes } from "./dataPlanes.js";
import type { LiveWorkers } from "./autoscaler/cpuQuota.js";
import { destinationOf, type Logger } from "./log.js";
import type { MetricJson } from "./batchedMetrics.js";
import { mirrorWorkerMetrics, sumReadings, type WorkerMetricsSource } from "./podMetrics.js";
import type { SlotTable } from "./slotTable.js";
import type { PemPair } from "./tls.js";
import type { FromWorker, ToWorker, WorkerStart } from "./workerMessages.js";
import type { VersionReading } from "./endpoints/versionStats.js";
import { SummedVersionStats, sumVersionReadings, type VersionReadingSource } from "./endpoints/summedVersionStats.js";
import { WorkerAnswers } from "./workerAnswers.js";
import { threadEntry } from "./threadEntry.js";

/** A worker that does not answer a scrape within this counts with its last reading. */
const COLLECT_TIMEOUT_MS = 2_000;
/** Restart delays: doubling from the first while a worker keeps exiting soon after it started. */
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A worker that ran this long before exiting is restarted after the first delay again. */
const STABLE_AFTER_MS = 30_000;

export interface WorkerPoolOptions {
  /** What every worker listens with (each gets its own index). */
  config: Omit<DataPlaneConfig, "worker">;
  /** Workers started with; the table has a row for each worker the pool may grow to. */
  workers: number;
  table: SlotTable;
  /** A retired worker's grace for its in-flight requests. @default 30 000 */
  retireGraceMs?: number;
  catalog: RouterCatalog;
  log: Logger;
  /** The main thread's registry: the workers' metrics are mirrored into it. */
  metricsRegistry: Registry;
  /** Metrics the workers count besides dataMetrics.ts's (endpoints, capture, telemetry), summed the same way. */
  extraMetrics?: ReadonlyArray<{ name: string; help: string; type: string }>;
}

interface WorkerSlot {
  readonly index: number;
  worker: Worker | undefined;
  /** Started and not yet exited: it receives every change. */
  live: boolean;
  /** Its listener is open: the kernel may give it connections. */
  listening: boolean;
  startedAt: number;
  restartDelayMs: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Its metrics readings (the last one kept when it exits, so counters never go down). */
  readonly metrics: WorkerAnswers<MetricJson[]>;
  /** Its endpoint versions' counts (the last ones kept when it exits, like its metrics). */
  readonly versions: WorkerAnswers<VersionReading[]>;
  drained: (() => void) | undefined;
  /** Being retired (a smaller size): not restarted when it exits. */
  retiring: boolean;
}

export class WorkerPool implements DataPlanes, WorkerMetricsSource, VersionReadingSource, LiveWorkers {
  /** Workers serving now: indexes 0..workers-1 of the table. */
  private count: number;
  /** One per worker index of the table (the most the pool may grow to). */
  private readonly slots: WorkerSlot[];
  /** Resizes in order, one at a time. */
  private resizing: Promise<void> = Promise.resolve();
  private port = 0;
  private ready = false;
  private tlsPair: PemPair | undefined;
  private stopping = false;
  private scrapeId = 0;
  /** Readings of exited workers, summed. */
  private retired: MetricJson[] = [];
  /** Folding an exited worker's reading into `retired` (scrapes wait for it). */
  private retiring: Promise<void> = Promise.resolve();
  /** Endpoint versions' counts of exited workers, summed. */
  private retiredVersions: VersionReading[] = [];
  readonly versionStats = new SummedVersionStats(this);
  private readonly logOut;

  constructor(private readonly opts: WorkerPoolOptions) {
    if (opts.workers < 1 || opts.workers > opts.table.workers)
      throw new Error(`a pool of ${opts.workers} workers over a slot table for ${opts.table.workers}`);
    this.count = opts.workers;
    this.slots = Array.from({ length: opts.table.workers }, (_, index) => ({
      index,
      worker: undefined,
      live: false,
      listening: false,
      startedAt: 0,
      restartDelayMs: RESTART_FIRST_MS,
      restartTimer: undefined,
      metrics: new WorkerAnswers<MetricJson[]>([]),
      versions: new WorkerAnswers<VersionReading[]>([]),
      drained: undefined,
      retiring: false,
    }));
    this.tlsPair = opts.config.tls?.pair;
    this.logOut = destinationOf(opts.log);
    mirrorWorkerMetrics(opts.metricsRegistry, this, opts.extraMetrics);
  }

  get workers(): number {
    return this.count;
  }

  /** Worker 0 takes the port (a free one for port 0), then the others listen on it too. */
  async start(): Promise<number> {
    this.port = await this.spawn(this.slots[0]!, this.opts.config.port);
    await Promise.all(this.slots.slice(1, this.count).map((slot) => this.spawn(slot, this.port)));
    return this.port;
  }

  /**
   * Starts workers up to `n` (at most the table's), or retires the highest-numbered ones
   * down to `n` (at least 1): each stops accepting (the kernel gives new connections to
   * the others), answers its kept-alive clients with `Connection: close`, finishes its
   * requests within the retire grace, and ends; its last metrics stay in the pod's sums.
   */
  setWorkerCount(n: number): Promise<void> {
    const next = this.resizing.then(() => this.resize(Math.max(1, Math.min(this.slots.length, Math.floor(n)))));
    this.resizing = next.catch(() => undefined);
    return next;
  }

  private async resize(target: number): Promise<void> {
    if (this.stopping || target === this.count) return;
    const from = this.count;
    if (target > from) {
      const added = this.slots.slice(from, target);
      for (const slot of added) slot.restartDelayMs = RESTART_FIRST_MS;
      this.count = target;
      await Promise.all(added.map((slot) => this.spawn(slot, this.port)));
    } else {
      this.count = target;
      await Promise.all(this.slots.slice(target, from).map((slot) => this.retire(slot)));
    }
    this.opts.log.info({ from, to: target }, "data-path workers resized");
  }

  private async retire(slot: WorkerSlot): Promise<void> {
    clearTimeout(slot.restartTimer);
    slot.restartTimer = undefined;
    const worker = slot.worker;
    if (!worker || !slot.live) {
      // Between a crash and its restart: nothing runs on this index any more.
      this.opts.table.reclaimWorker(slot.index);
      return;
    }
    slot.retiring = true;
    await new Promise<void>((resolve) => {
      slot.drained = resolve;
      this.post(slot, { type: "drain", graceMs: this.opts.retireGraceMs ?? 30_000 });
    });
    // Its final counts (since the last scrape), then the thread ends.
    if (slot.live) await Promise.all([this.reading(slot, ++this.scrapeId), this.versionReading(slot, ++this.scrapeId)]);
    await worker.terminate();
  }

  private spawn(slot: WorkerSlot, port: number): Promise<number> {
    const { config, table, catalog } = this.opts;
    const tls = config.tls && this.tlsPair ? { ...config.tls, pair: this.tlsPair } : config.tls;
    const start: WorkerStart = {
      config: { ...config, tls, port, worker: slot.index },
      buffer: table.buffer,
      logLevel: this.opts.log.level,
      catalog: catalog.currentState(),
      ready: this.ready,
    };
    const entry = threadEntry(import.meta.url, "workerThread");
    const worker = new Worker(entry.url, { workerData: start, execArgv: entry.execArgv });
    slot.worker = worker;
    slot.live = true;
    slot.startedAt = performance.now();
    return new Promise<number>((resolve, reject) => {
      let listening = false;
      worker.on("message", (m: FromWorker) => {
        switch (m.type) {
          case "listening":
            listening = true;
            slot.listening = true;
            resolve(m.port);
            return;
          case "log":
            this.logOut.write(m.text);
            return;
          case "metrics":
            slot.metrics.answer(m.id, m.metrics);
            return;
          case "versionStats":
            slot.versions.answer(m.id, m.readings);
            return;
          case "drained":
            slot.drained?.();
            return;
        }
      });
      worker.on("error", (e) => {
        this.opts.log.error({ worker: slot.index, err: e.message, stack: e.stack }, "data-path worker failed");
        if (!listening) reject(e);
      });
      worker.on("exit", (code) => {
        if (!listening) reject(new Error(`data-path worker ${slot.index} exited (${code}) before listening`));
        this.exited(slot, worker, code);
      });
    });
  }

  private exited(slot: WorkerSlot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.live = false;
    slot.listening = false;
    const lastVersions = slot.versions.settle();
    if (lastVersions) this.retireVersions(lastVersions);
    const lastReading = slot.metrics.settle();
    slot.drained?.();
    // Its counters and histograms stay in the pod's sums.
    if (lastReading) {
      this.retiring = this.retiring.then(async () => {
        this.retired = await sumReadings([this.retired, lastReading]);
      });
    }
    if (this.stopping) return;
    const reclaimed = this.opts.table.reclaimWorker(slot.index);
    if (slot.retiring) {
      slot.retiring = false;
      slot.drained = undefined;
      return;
    }
    const ranMs = performance.now() - slot.startedAt;
    slot.restartDelayMs = ranMs > STABLE_AFTER_MS ? RESTART_FIRST_MS : slot.restartDelayMs;
    this.opts.log.error(
      { worker: slot.index, exitCode: code, ...reclaimed, restartInMs: slot.restartDelayMs },
      "data-path worker exited; its slots and queue places were given back; restarting it",
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.stopping) return;
      this.spawn(slot, this.port).catch((e) =>
        this.opts.log.error({ worker: slot.index, err: (e as Error).message }, "data-path worker restart failed"),
      );
    }, slot.restartDelayMs);
    slot.restartDelayMs = Math.min(RESTART_MAX_MS, slot.restartDelayMs * 2);
  }

  private post(slot: WorkerSlot, m: ToWorker): void {
    if (slot.live) slot.worker?.postMessage(m);
  }

  publish(change: SequencedChange): void {
    for (const slot of this.slots) this.post(slot, { type: "change", change });
  }

  appliedByAll(sequence: number): boolean {
    return this.slots.every((s) => !s.live || this.opts.table.applied(s.index) >= sequence);
  }

  setReady(): void {
    this.ready = true;
    for (const slot of this.slots) this.post(slot, { type: "ready" });
  }

  setSecureContext(pair: PemPair): void {
    this.tlsPair = pair;
    for (const slot of this.slots) this.post(slot, { type: "tls", pair });
  }

  activeRequests(): number {
    return this.opts.table.activeRequests();
  }

  /** Requests each worker is answering. */
  activeRequestsByWorker(): number[] {
    return this.slots.slice(0, this.count).map((s) => this.opts.table.workerActiveRequests(s.index));
  }

  /** Every worker's reading (a worker that does not answer in time counts with its last one), and the exited ones'. */
  async collect(): Promise<MetricJson[][]> {
    const id = ++this.scrapeId;
    const readings = await Promise.all(this.slots.map((slot) => this.reading(slot, id)));
    await this.retiring;
    return [...readings, this.retired];
  }

  /** One worker's metrics now (its last reading when it has exited or does not answer in time). */
  private reading(slot: WorkerSlot, id: number): Promise<MetricJson[]> {
    const live = slot.live && !!slot.worker;
    return slot.metrics.ask(live, id, () => this.post(slot, { type: "collect", id }), COLLECT_TIMEOUT_MS);
  }

  /** Every worker's endpoint versions' counts (its last ones when it has exited or does not answer in time), and the exited ones'. */
  async versionReadings(): Promise<VersionReading[][]> {
    const id = ++this.scrapeId;
    const readings = await Promise.all(this.slots.map((slot) => this.versionReading(slot, id)));
    return [...readings, this.retiredVersions];
  }

  private versionReading(slot: WorkerSlot, id: number): Promise<VersionReading[]> {
    const live = slot.live && !!slot.worker;
    return slot.versions.ask(live, id, () => this.post(slot, { type: "versionStats", id }), COLLECT_TIMEOUT_MS);
  }

  /** Folds an exited worker's counts in, keeping only versions the catalog still has (so the sum stays bounded). */
  private retireVersions(last: VersionReading[]): void {
    const { endpoints } = this.opts.catalog;
    this.retiredVersions = sumVersionReadings([this.retiredVersions, last]).filter((r) =>
      endpoints.get(r.endpoint)?.config.versions.some((v) => v.version === r.version),
    );
  }

  /** Every worker stops accepting and finishes its requests within `graceMs`; then the threads end. */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    await Promise.all([
      // A worker being retired is draining already.
      this.resizing,
      ...this.slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        const worker = slot.worker;
        if (!worker || !slot.live || slot.retiring) return;
        await new Promise<void>((resolve) => {
          slot.drained = resolve;
          this.post(slot, { type: "drain", graceMs });
        });
        await worker.terminate();
      }),
    ]);
  }

  async close(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        await slot.worker?.terminate();
      }),
    );
  }

  /**
   * Ends worker `index` at once, as a crash would (tests): the pool gives back what it held
   * and restarts it. Resolves once it has exited.
   */
  async killWorker(index: number): Promise<void> {
    await this.slots[index]?.worker?.terminate();
  }

  /** The thread id of each worker now listening (tests: to tell a restarted worker from the one it replaced). */
  threadIds(): Array<number | undefined> {
    return this.slots.slice(0, this.count).map((s) => (s.live && s.listening ? s.worker?.threadId : undefined));
  }
}
