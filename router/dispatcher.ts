/**
 * Replica selection and queueing for one service, over the slot table the workers share.
 *
 * - A replica takes at most `maxConcurrentRequestsPerContainer` requests at once over all
 *   workers: a slot is taken with a compare-exchange on the replica's shared count.
 * - A request goes to the least-busy ready replica with room; ties rotate.
 * - Otherwise it waits in its worker's FIFO queue; still queued after `maxRequestWaitTimeMs`
 *   it fails with {@link QueueTimeoutError} (503). With `maxQueuedRequests` already waiting
 *   in the pod it fails at once with {@link QueueFullError} (503).
 * - Nobody takes a free slot while anyone in the pod is queued for the service: new
 *   requests queue behind the waiters.
 * - Every release (in any worker) while requests are queued wakes the workers that hold
 *   waiters; a replica addition or the end of an ejection drains the queue too.
 * - Order across workers: every waiter takes a ticket from the service's shared counter,
 *   each worker publishes the ticket of its oldest waiter, and a worker hands a slot to its
 *   oldest waiter only if no other worker published an older one. Waiters are therefore
 *   served in the order they joined the queue (exactly when they joined it one after
 *   another; requests joining in the same instant on two workers may swap), except
 *   retries, below.
 * - A retry passes the replicas already tried in `exclude`; a queued retry keeps its place
 *   in its worker's queue, and a later request of that worker may overtake it only to a
 *   replica it excludes. Retries do not take part in the order across workers (they are
 *   rare: a connection failure before any response byte), so a retry may overtake, or be
 *   overtaken by, another worker's waiters.
 */
import { performance } from "node:perf_hooks";
import type { Lease, QueueObserver, ReplicaState, ServiceState, Waiter } from "./serviceState.js";

export type { QueueObserver, Waiter };

export class QueueTimeoutError extends Error {
  constructor(readonly waitedMs: number) {
    super(`no replica became free within ${waitedMs} ms`);
    this.name = "QueueTimeoutError";
  }
}

/** The queue already holds `maxQueuedRequests`. */
export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`${limit} requests are already queued`);
    this.name = "QueueFullError";
  }
}

/** The queued request was withdrawn (its client left, or its scoring timeout passed). */
export class WithdrawnError extends Error {
  constructor() {
    super("queued request withdrawn");
    this.name = "WithdrawnError";
  }
}

export class ServiceGoneError extends Error {
  constructor(service: string) {
    super(`service ${service} was removed`);
    this.name = "ServiceGoneError";
  }
}

/** The least-busy replica with room that is neither ejected nor excluded. */
function pick(svc: ServiceState, exclude: ReadonlySet<string> | undefined): ReplicaState | undefined {
  const reps = svc.replicas;
  const n = reps.length;
  if (n === 0) return undefined;
  const { table } = svc;
  const max = svc.config.maxConcurrentRequestsPerContainer;
  const start = svc.cursor++ % n;
  let best: ReplicaState | undefined;
  let bestLoad = max;
  for (let i = 0; i < n; i++) {
    const r = reps[(start + i) % n]!;
    const load = table.inFlight(r.row);
    if (load >= bestLoad || table.ejectedFor(r.row) > 0) continue;
    if (exclude?.has(r.endpoint.id)) continue;
    best = r;
    bestLoad = load;
    if (load === 0) break;
  }
  return best;
}

/** A slot on the least-busy replica, or undefined; a slot another worker took first sends it looking again. */
function take(svc: ServiceState, exclude: ReadonlySet<string> | undefined): ReplicaState | undefined {
  const max = svc.config.maxConcurrentRequestsPerContainer;
  for (let tries = svc.replicas.length + 1; tries > 0; tries--) {
    const r = pick(svc, exclude);
    if (r === undefined) return undefined;
    if (svc.table.tryAcquire(r.row, max, svc.worker)) return r;
  }
  return undefined;
}

function lease(svc: ServiceState, replica: ReplicaState, queuedMs: number): Lease {
  return { service: svc, replica, queuedMs, released: false };
}

/**
 * A lease at once when a replica is free and nobody in the pod is queued for the
 * service; otherwise undefined: `observer.queued` gets the waiter (to withdraw it) before
 * acquire returns, and `granted` or `refused` later. An object rather than callbacks, so
 * the request's own state can listen without a closure.
 * Throws {@link QueueFullError} or {@link ServiceGoneError} (synchronously).
 */
export function acquire(
  svc: ServiceState,
  exclude: ReadonlySet<string> | undefined,
  observer: QueueObserver,
): Lease | undefined {
  if (svc.removed) throw new ServiceGoneError(svc.name);
  const { table } = svc;
  if (table.queued(svc.row) === 0) {
    const r = take(svc, exclude);
    if (r) return lease(svc, r, 0);
  }
  const max = svc.config.maxQueuedRequests;
  if (!table.enqueue(svc.row, svc.worker, max)) throw new QueueFullError(max);
  const waiter: Waiter = {
    exclude,
    enqueuedAt: performance.now(),
    ticket: table.takeTicket(svc.row),
    observer,
    done: false,
    timer: undefined,
  };
  const wait = svc.config.maxRequestWaitTimeMs;
  waiter.timer = setTimeout(waitTimedOut, wait, svc, waiter, wait);
  svc.queue.push(waiter);
  svc.waiting++;
  observer.queued(waiter);
  // A slot may have been released between the check above and the enqueue, by a worker
  // that then saw nobody queued: look again now that the pod can see this waiter (on the
  // next tick, so the observer is never told anything before acquire returns).
  process.nextTick(drain, svc);
  return undefined;
}

function waitTimedOut(svc: ServiceState, waiter: Waiter, wait: number): void {
  if (waiter.done) return;
  leaveQueue(svc, waiter);
  waiter.observer.refused(new QueueTimeoutError(wait));
}

/** Takes a waiting request out of the queue (its client left, or its scoring timeout passed); refused with WithdrawnError. */
export function withdraw(svc: ServiceState, waiter: Waiter): void {
  if (waiter.done) return;
  clearTimeout(waiter.timer);
  leaveQueue(svc, waiter);
  waiter.observer.refused(new WithdrawnError());
}

/** Takes a waiting request out of the queue without telling its observer. */
export function cancelWait(svc: ServiceState, waiter: Waiter): void {
  if (waiter.done) return;
  clearTimeout(waiter.timer);
  leaveQueue(svc, waiter);
}

function leaveQueue(svc: ServiceState, waiter: Waiter): void {
  waiter.done = true;
  svc.waiting--;
  svc.table.dequeue(svc.row, svc.worker);
  if (waiter.ticket === svc.publishedTicket) publishOldest(svc);
  forgetDone(svc);
}

/**
 * A lease only if a replica has room now and nobody is queued (in any worker); never waits. For work
 * that is dropped rather than queued when the service is busy (mirrored copies).
 */
export function tryAcquire(svc: ServiceState): Lease | undefined {
  if (svc.removed || svc.table.queued(svc.row) > 0) return undefined;
  const r = take(svc, undefined);
  return r ? lease(svc, r, 0) : undefined;
}

/**
 * Drops finished waiters (and the request objects they hold) from the queue array.
 * Otherwise they stay until the next drain, which never comes once the queue is empty.
 * Compacts only when at least half the entries are finished, so it stays O(1) amortised.
 */
function forgetDone(svc: ServiceState): void {
  const q = svc.queue;
  if (svc.waiting === 0) {
    q.length = 0;
    return;
  }
  if (q.length < 2 * svc.waiting + 16) return;
  let write = 0;
  for (let read = 0; read < q.length; read++) if (!q[read]!.done) q[write++] = q[read]!;
  q.length = write;
}

/**
 * Publishes the ticket of this worker's oldest waiter without exclusions. When it moves
 * on (the oldest was served or left), other workers' waiters may now be the oldest: wake them.
 */
function publishOldest(svc: ServiceState): void {
  let ticket = 0;
  for (const w of svc.queue) {
    if (!w.done && w.exclude === undefined) {
      ticket = w.ticket;
      break;
    }
  }
  if (ticket === svc.publishedTicket) return;
  const before = svc.publishedTicket;
  svc.publishedTicket = ticket;
  svc.table.publishOldest(svc.row, svc.worker, ticket);
  if (before !== 0) svc.table.wake(svc.row);
}

export function release(held: Lease): void {
  if (held.released) return;
  held.released = true;
  const svc = held.service;
  const { table } = svc;
  table.release(held.replica.row, svc.worker);
  if (svc.removed || table.queued(svc.row) === 0) return;
  table.wake(svc.row);
  // Not synchronously: the caller may be inside undici's callbacks, where a granted waiter must not dispatch.
  if (svc.waiting > 0) process.nextTick(drain, svc);
}

/** Hands free capacity to this worker's queued requests in arrival order, if they are the pod's oldest. */
export function drain(svc: ServiceState): void {
  if (svc.waiting === 0) {
    svc.queue.length = 0;
    return;
  }
  const { table } = svc;
  // Read before looking for capacity: a release after this point changes it, and the wait below returns at once.
  const seen = table.wakeSequence(svc.row);
  const now = performance.now();
  let write = 0;
  const q = svc.queue;
  let capacityLeft = true;
  const granted: Waiter[] = [];
  const leases: Lease[] = [];
  for (let read = 0; read < q.length; read++) {
    const w = q[read]!;
    if (w.done) continue;
    if (capacityLeft) {
      // Another worker's older waiter comes first; it was woken by the same release.
      if (w.exclude === undefined && !table.isOldest(svc.row, svc.worker, w.ticket)) capacityLeft = false;
      else {
        const r = take(svc, w.exclude);
        if (r) {
          w.done = true;
          clearTimeout(w.timer);
          svc.waiting--;
          table.dequeue(svc.row, svc.worker);
          granted.push(w);
          leases.push(lease(svc, r, now - w.enqueuedAt));
          continue;
        }
        // Only a waiter with no exclusions proves there is no capacity at all.
        if (w.exclude === undefined) capacityLeft = false;
      }
    }
    q[write++] = w;
  }
  q.length = write;
  publishOldest(svc);
  if (svc.waiting > 0) {
    scheduleEjectionEnd(svc);
    armWake(svc, seen);
  }
  // Told last: an observer may release at once (its client left), which drains again.
  for (let i = 0; i < granted.length; i++) granted[i]!.observer.granted(leases[i]!);
}

/** Waits (without blocking) for the next release or departure in any worker, then drains. */
function armWake(svc: ServiceState, seen: number): void {
  if (svc.wakeArmed) return;
  svc.wakeArmed = true;
  const woken = svc.table.whenWoken(svc.row, seen);
  if (woken) woken.then(() => woke(svc));
  else setImmediate(woke, svc); // it changed already; not synchronously, so a busy service cannot starve I/O
}

function woke(svc: ServiceState): void {
  svc.wakeArmed = false;
  if (!svc.removed && svc.waiting > 0) drain(svc);
}

/** Skips a replica (in every worker) for `ms` after a connection failure, then lets the queue use it again. */
export function eject(svc: ServiceState, replica: ReplicaState, ms: number): void {
  svc.table.eject(replica.row, ms);
}

function scheduleEjectionEnd(svc: ServiceState): void {
  if (svc.ejectionTimer) return;
  let soonest = Infinity;
  for (const r of svc.replicas) {
    const left = svc.table.ejectedFor(r.row);
    if (left > 0) soonest = Math.min(soonest, left);
  }
  if (soonest === Infinity) return;
  svc.ejectionTimer = setTimeout(ejectionEnded, soonest + 1, svc);
  svc.ejectionTimer.unref();
}

function ejectionEnded(svc: ServiceState): void {
  svc.ejectionTimer = undefined;
  drain(svc);
}

/** Fails every queued request of a removed service. */
export function failQueue(svc: ServiceState, err: Error): void {
  const waiters = svc.queue.filter((w) => !w.done);
  for (const w of waiters) {
    w.done = true;
    clearTimeout(w.timer);
    svc.table.dequeue(svc.row, svc.worker);
  }
  svc.queue.length = 0;
  svc.waiting = 0;
  svc.publishedTicket = 0;
  svc.table.publishOldest(svc.row, svc.worker, 0);
  if (svc.ejectionTimer) clearTimeout(svc.ejectionTimer);
  svc.ejectionTimer = undefined;
  for (const w of waiters) w.observer.refused(err);
}
