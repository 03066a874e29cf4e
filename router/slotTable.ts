/**
 * What the data-path workers of one router process share, in one SharedArrayBuffer, so
 * per-replica concurrency, the queue bound, FIFO order and the connection limit hold for
 * the pod whichever worker took a request, without a message per request.
 *
 * Rows are allocated by the main thread (catalog.ts) and named in the snapshots it sends
 * the workers; a row is reused only once every worker has applied the change that
 * dropped it and nothing holds it, so nothing is ever counted against the wrong replica.
 *
 * - Replica row: the replica's requests in flight over all workers, taken with a
 *   compare-exchange loop (`inFlight < max`) so the limit holds exactly; each worker's own
 *   holding (what a dead worker's slots were, to give them back); the end of an ejection
 *   (ms since the table's epoch), so a replica that refused a connection is skipped by all.
 * - Service row: the requests queued over all workers (bounded with add-then-check), a
 *   wake-up word (bumped on every release while anyone queues; workers with waiters wait
 *   on it with Atomics.waitAsync), a ticket counter, and per worker its queued count and
 *   the ticket of its oldest waiter (the FIFO rule across workers, dispatcher.ts).
 * - Per worker: the catalog sequence it has applied, its open client connections and the
 *   requests it is answering.
 *
 * Two consecutive atomic operations (the total, then the worker's holding) cannot be
 * interrupted by anything but a forced termination of the worker (worker.terminate(),
 * V8 out of memory); one landing between them leaves one slot or queue place unusable
 * (never one too many) until that row is released.
 */
import { performance } from "node:perf_hooks";

export interface SlotTableSize {
  /** Workers sharing the table (worker indexes 0..workers-1). */
  workers: number;
  /** Replicas the router can track at once over all services. */
  replicaRows: number;
  /** Services the router can serve at once. */
  serviceRows: number;
}

// Header: Float64 epoch (performance.timeOrigin-based ms) then Int32 sizes.
const HEADER_BYTES = 32;
const H_WORKERS = 2;
const H_REPLICA_ROWS = 3;
const H_SERVICE_ROWS = 4;
// Per worker.
const W_APPLIED = 0;
const W_CONNECTIONS = 1;
const W_ACTIVE = 2;
const W_STRIDE = 3;
// Replica row: [inFlight, ejectedUntil, holding_0 .. holding_{n-1}].
const R_IN_FLIGHT = 0;
const R_EJECTED = 1;
const R_HOLDINGS = 2;
// Service row: [queued, wake, ticket, queued_0 .. queued_{n-1}, oldest_0 .. oldest_{n-1}].
const S_QUEUED = 0;
const S_WAKE = 1;
const S_TICKET = 2;
const S_CELLS = 3;

type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
) => { async: false; value: "not-equal" | "timed-out" } | { async: true; value: Promise<"ok" | "timed-out"> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export class SlotTable {
  readonly buffer: SharedArrayBuffer;
  readonly workers: number;
  readonly replicaRows: number;
  readonly serviceRows: number;
  private readonly a: Int32Array;
  private readonly epoch: number;
  private readonly replicaStride: number;
  private readonly serviceStride: number;
  private readonly replicaBase: number;
  private readonly serviceBase: number;

  /** A new, empty table (main thread). */
  static create(size: SlotTableSize): SlotTable {
    const ints =
      size.workers * W_STRIDE +
      size.replicaRows * (R_HOLDINGS + size.workers) +
      size.serviceRows * (S_CELLS + 2 * size.workers);
    const buffer = new SharedArrayBuffer(HEADER_BYTES + ints * 4);
    new Float64Array(buffer, 0, 1)[0] = performance.timeOrigin + performance.now();
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    header[H_WORKERS] = size.workers;
    header[H_REPLICA_ROWS] = size.replicaRows;
    header[H_SERVICE_ROWS] = size.serviceRows;
    return new SlotTable(buffer);
  }

  /** The table in `buffer` (a worker thread attaches the one main created). */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.epoch = new Float64Array(buffer, 0, 1)[0]!;
    const header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.workers = header[H_WORKERS]!;
    this.replicaRows = header[H_REPLICA_ROWS]!;
    this.serviceRows = header[H_SERVICE_ROWS]!;
    this.a = new Int32Array(buffer, HEADER_BYTES);
    this.replicaStride = R_HOLDINGS + this.workers;
    this.serviceStride = S_CELLS + 2 * this.workers;
    this.replicaBase = this.workers * W_STRIDE;
    this.serviceBase = this.replicaBase + this.replicaRows * this.replicaStride;
  }

  /** Milliseconds since the table's epoch, the same clock in every thread (for ejections). */
  now(): number {
    return Math.floor(performance.timeOrigin + performance.now() - this.epoch) | 0;
  }

  // --- replicas -------------------------------------------------------------------------

  /** Takes one of the replica's `max` slots for `worker`; false when all are taken. */
  tryAcquire(row: number, max: number, worker: number): boolean {
    const a = this.a;
    const i = this.replicaBase + row * this.replicaStride;
    for (;;) {
      const n = Atomics.load(a, i);
      if (n >= max) return false;
      if (Atomics.compareExchange(a, i, n, n + 1) === n) break;
    }
    Atomics.add(a, i + R_HOLDINGS + worker, 1);
    return true;
  }

  release(row: number, worker: number): void {
    const i = this.replicaBase + row * this.replicaStride;
    // The holding first: a worker stopped between the two leaves a slot taken, never one too many.
    Atomics.sub(this.a, i + R_HOLDINGS + worker, 1);
    Atomics.sub(this.a, i + R_IN_FLIGHT, 1);
  }

  inFlight(row: number): number {
    return Atomics.load(this.a, this.replicaBase + row * this.replicaStride + R_IN_FLIGHT);
  }

  /** Skips the replica for `ms` (every worker). */
  eject(row: number, ms: number): void {
    Atomics.store(this.a, this.replicaBase + row * this.replicaStride + R_EJECTED, (this.now() + ms) | 0 || 1);
  }

  /** Milliseconds the replica is still ejected for (0: not ejected). */
  ejectedFor(row: number): number {
    const i = this.replicaBase + row * this.replicaStride + R_EJECTED;
    const until = Atomics.load(this.a, i);
    if (until === 0) return 0;
    const left = (until - this.now()) | 0; // wraps safely: ejections last seconds
    if (left > 0) return left;
    Atomics.compareExchange(this.a, i, until, 0);
    return 0;
  }

  /** Main thread: a row about to be given to a new replica starts empty. */
  clearReplicaRow(row: number): void {
    this.a.fill(0, this.replicaBase + row * this.replicaStride, this.replicaBase + (row + 1) * this.replicaStride);
  }

  // --- services -------------------------------------------------------------------------

  /** Requests queued for the service over all workers. */
  queued(row: number): number {
    return Atomics.load(this.a, this.serviceBase + row * this.serviceStride + S_QUEUED);
  }

  /** One more queued request for `worker`, unless `max` are already queued (false then). */
  enqueue(row: number, worker: number, max: number): boolean {
    const i = this.serviceBase + row * this.serviceStride;
    if (Atomics.add(this.a, i + S_QUEUED, 1) >= max) {
      Atomics.sub(this.a, i + S_QUEUED, 1);
      return false;
    }
    Atomics.add(this.a, i + S_CELLS + worker, 1);
    return true;
  }

  dequeue(row: number, worker: number): void {
    const i = this.serviceBase + row * this.serviceStride;
    Atomics.sub(this.a, i + S_CELLS + worker, 1);
    Atomics.sub(this.a, i + S_QUEUED, 1);
  }

  /** The next ticket of the service's queue (never 0, which means "no waiter"). */
  takeTicket(row: number): number {
    const i = this.serviceBase + row * this.serviceStride + S_TICKET;
    for (;;) {
      const t = (Atomics.add(this.a, i, 1) + 1) | 0;
      if (t !== 0) return t;
    }
  }

  /** Publishes the ticket of `worker`'s oldest waiter (0: it has none). */
  publishOldest(row: number, worker: number, ticket: number): void {
    Atomics.store(this.a, this.serviceBase + row * this.serviceStride + S_CELLS + this.workers + worker, ticket);
  }

  /** True when no other worker has published an older waiter than `ticket`. */
  isOldest(row: number, worker: number, ticket: number): boolean {
    const base = this.serviceBase + row * this.serviceStride + S_CELLS + this.workers;
    for (let w = 0; w < this.workers; w++) {
      if (w === worker) continue;
      const t = Atomics.load(this.a, base + w);
      if (t !== 0 && ((t - ticket) | 0) < 0) return false;
    }
    return true;
  }

  /** The service's wake-up word, read before looking for capacity (then wait on that value). */
  wakeSequence(row: number): number {
    return Atomics.load(this.a, this.serviceBase + row * this.serviceStride + S_WAKE);
  }

  /** Wakes every worker waiting on the service (a slot was released, a waiter left). */
  wake(row: number): void {
    const i = this.serviceBase + row * this.serviceStride + S_WAKE;
    Atomics.add(this.a, i, 1);
    Atomics.notify(this.a, i);
  }

  /** Resolves once the wake-up word is no longer `seen` (at once when it already changed). */
  whenWoken(row: number, seen: number): Promise<unknown> | undefined {
    const r = waitAsync(this.a, this.serviceBase + row * this.serviceStride + S_WAKE, seen);
    return r.async ? r.value : undefined;
  }

  /** Main thread: a row about to be given to a new service starts empty. */
  clearServiceRow(row: number): void {
    this.a.fill(0, this.serviceBase + row * this.serviceStride, this.serviceBase + (row + 1) * this.serviceStride);
  }

  // --- workers --------------------------------------------------------------------------

  /** A client connection opened on `worker`; returns the pod's open connections, this one included. */
  connectionOpened(worker: number): number {
    Atomics.add(this.a, worker * W_STRIDE + W_CONNECTIONS, 1);
    return this.openConnections();
  }

  connectionClosed(worker: number): void {
    Atomics.sub(this.a, worker * W_STRIDE + W_CONNECTIONS, 1);
  }

  /** Client connections open over all workers. */
  openConnections(): number {
    let n = 0;
    for (let w = 0; w < this.workers; w++) n += Atomics.load(this.a, w * W_STRIDE + W_CONNECTIONS);
    return n;
  }

  requestStarted(worker: number): void {
    Atomics.add(this.a, worker * W_STRIDE + W_ACTIVE, 1);
  }

  requestFinished(worker: number): void {
    Atomics.sub(this.a, worker * W_STRIDE + W_ACTIVE, 1);
  }

  /** Requests `worker` is answering. */
  workerActiveRequests(worker: number): number {
    return Atomics.load(this.a, worker * W_STRIDE + W_ACTIVE);
  }

  /** Requests being answered over all workers. */
  activeRequests(): number {
    let n = 0;
    for (let w = 0; w < this.workers; w++) n += Atomics.load(this.a, w * W_STRIDE + W_ACTIVE);
    return n;
  }

  /** The last catalog change `worker` applied. */
  applied(worker: number): number {
    return Atomics.load(this.a, worker * W_STRIDE + W_APPLIED);
  }

  setApplied(worker: number, sequence: number): void {
    Atomics.store(this.a, worker * W_STRIDE + W_APPLIED, sequence);
  }

  /**
   * Main thread, once `worker` has exited: gives back the slots it held, its queue places
   * and connections, withdraws its oldest tickets and wakes every service's waiters.
   * Returns the slots and queue places given back.
   */
  reclaimWorker(worker: number): { slots: number; queued: number } {
    const a = this.a;
    let slots = 0;
    let queued = 0;
    for (let row = 0; row < this.replicaRows; row++) {
      const i = this.replicaBase + row * this.replicaStride;
      const held = Atomics.exchange(a, i + R_HOLDINGS + worker, 0);
      if (held !== 0) {
        Atomics.sub(a, i + R_IN_FLIGHT, held);
        slots += held;
      }
    }
    for (let row = 0; row < this.serviceRows; row++) {
      const i = this.serviceBase + row * this.serviceStride;
      const q = Atomics.exchange(a, i + S_CELLS + worker, 0);
      const hadOldest = Atomics.exchange(a, i + S_CELLS + this.workers + worker, 0) !== 0;
      if (q !== 0) {
        Atomics.sub(a, i + S_QUEUED, q);
        queued += q;
      }
      if (q !== 0 || hadOldest || Atomics.load(a, i + S_QUEUED) > 0) this.wake(row);
    }
    Atomics.store(a, worker * W_STRIDE + W_CONNECTIONS, 0);
    Atomics.store(a, worker * W_STRIDE + W_ACTIVE, 0);
    return { slots, queued };
  }
}
