/**
 * Replica selection and queueing for one service.
 *
 * - A replica takes at most `maxConcurrentRequestsPerContainer` requests at once.
 * - A request goes to the least-busy ready replica with room; ties rotate.
 * - Otherwise it waits in the service's FIFO queue; still queued after
 *   `maxRequestWaitTimeMs` it fails with {@link QueueTimeoutError} (503). With
 *   `maxQueuedRequests` already waiting it fails at once with {@link QueueFullError} (503).
 * - Every release, replica addition or end of an ejection drains the queue in order.
 * - A retry passes the replicas already tried in `exclude`; a queued retry keeps
 *   its place, and a later request may overtake it only to a replica it excludes.
 */
import { performance } from "node:perf_hooks";
import type { Lease, ReplicaState, ServiceState, Waiter } from "./serviceState.js";

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

function pick(svc: ServiceState, exclude: ReadonlySet<string> | undefined, now: number): ReplicaState | undefined {
  const reps = svc.replicas;
  const n = reps.length;
  if (n === 0) return undefined;
  const max = svc.config.maxConcurrentRequestsPerContainer;
  const start = svc.cursor++ % n;
  let best: ReplicaState | undefined;
  for (let i = 0; i < n; i++) {
    const r = reps[(start + i) % n]!;
    if (r.inFlight >= max || r.ejectedUntil > now) continue;
    if (exclude?.has(r.endpoint.id)) continue;
    if (best === undefined || r.inFlight < best.inFlight) {
      best = r;
      if (r.inFlight === 0) break;
    }
  }
  return best;
}

function grant(svc: ServiceState, replica: ReplicaState, queuedMs: number): Lease {
  replica.inFlight++;
  svc.inFlight++;
  return { service: svc, replica, queuedMs, released: false };
}

/** Told when a request has to wait in the queue. */
export interface QueueObserver {
  /** `withdraw` takes the request out of the queue (for a client that goes away while waiting). */
  queued(withdraw: () => void): void;
}

/**
 * A lease at once when a replica is free and nobody is queued ahead; otherwise a
 * promise, and `observer` receives a function that withdraws the request. An object
 * rather than a callback, so the request's own state can listen without a closure.
 * Throws {@link QueueFullError} (synchronously) when the queue is full.
 */
export function acquire(
  svc: ServiceState,
  exclude?: ReadonlySet<string>,
  observer?: QueueObserver,
): Lease | Promise<Lease> {
  if (svc.queued === 0) {
    const r = pick(svc, exclude, performance.now());
    if (r) return grant(svc, r, 0);
  }
  if (svc.queued >= svc.config.maxQueuedRequests) throw new QueueFullError(svc.config.maxQueuedRequests);
  return new Promise<Lease>((resolve, reject) => {
    const waiter: Waiter = { exclude, enqueuedAt: performance.now(), done: false, timer: undefined, resolve, reject };
    const wait = svc.config.maxRequestWaitTimeMs;
    waiter.timer = setTimeout(() => {
      if (waiter.done) return;
      waiter.done = true;
      svc.queued--;
      forgetDone(svc);
      reject(new QueueTimeoutError(wait));
    }, wait);
    svc.queue.push(waiter);
    svc.queued++;
    // Queued perhaps only because replicas are ejected: with nothing in flight no release
    // would ever drain the queue, so wake it when the ejection ends.
    scheduleEjectionEnd(svc, waiter.enqueuedAt);
    observer?.queued(() => {
      if (waiter.done) return;
      waiter.done = true;
      clearTimeout(waiter.timer);
      svc.queued--;
      forgetDone(svc);
      // Settle the promise: the caller awaits it and must get to answer (504) or log (499).
      reject(new WithdrawnError());
    });
  });
}

/**
 * A lease only if a replica has room now and nobody is queued; never waits. For work
 * that is dropped rather than queued when the service is busy (mirrored copies).
 */
export function tryAcquire(svc: ServiceState): Lease | undefined {
  if (svc.queued > 0) return undefined;
  const r = pick(svc, undefined, performance.now());
  return r ? grant(svc, r, 0) : undefined;
}

/**
 * Drops finished waiters (and the request objects their closures hold) from the queue
 * array. Otherwise they stay until the next drain, which never comes once the queue is
 * empty. Compacts only when at least half the entries are finished, so it stays O(1)
 * amortised per waiter.
 */
function forgetDone(svc: ServiceState): void {
  const q = svc.queue;
  if (svc.queued === 0) {
    q.length = 0;
    return;
  }
  if (q.length < 2 * svc.queued + 16) return;
  let write = 0;
  for (let read = 0; read < q.length; read++) if (!q[read]!.done) q[write++] = q[read]!;
  q.length = write;
}

export function release(lease: Lease): void {
  if (lease.released) return;
  lease.released = true;
  lease.replica.inFlight--;
  lease.service.inFlight--;
  if (lease.service.queued > 0) drain(lease.service);
}

/** Hands free capacity to queued requests in arrival order. */
export function drain(svc: ServiceState): void {
  if (svc.queued === 0) {
    svc.queue.length = 0;
    return;
  }
  const now = performance.now();
  let write = 0;
  const q = svc.queue;
  let capacityLeft = true;
  for (let read = 0; read < q.length; read++) {
    const w = q[read]!;
    if (w.done) continue;
    if (capacityLeft) {
      const r = pick(svc, w.exclude, now);
      if (r) {
        w.done = true;
        clearTimeout(w.timer);
        svc.queued--;
        w.resolve(grant(svc, r, now - w.enqueuedAt));
        continue;
      }
      // Only a waiter with no exclusions proves there is no capacity at all.
      if (w.exclude === undefined) capacityLeft = false;
    }
    q[write++] = w;
  }
  q.length = write;
  scheduleEjectionEnd(svc, now);
}

/** Skips a replica for `ms` after a connection failure, then lets the queue use it again. */
export function eject(replica: ReplicaState, ms: number): void {
  replica.ejectedUntil = performance.now() + ms;
}

function scheduleEjectionEnd(svc: ServiceState, now: number): void {
  if (svc.queued === 0 || svc.ejectionTimer) return;
  let soonest = Infinity;
  for (const r of svc.replicas) if (r.ejectedUntil > now) soonest = Math.min(soonest, r.ejectedUntil);
  if (soonest === Infinity) return;
  svc.ejectionTimer = setTimeout(
    () => {
      svc.ejectionTimer = undefined;
      drain(svc);
    },
    soonest - now + 1,
  );
  svc.ejectionTimer.unref();
}

/** Fails every queued request of a removed service. */
export function failQueue(svc: ServiceState, err: Error): void {
  for (const w of svc.queue) {
    if (w.done) continue;
    w.done = true;
    clearTimeout(w.timer);
    w.reject(err);
  }
  svc.queue.length = 0;
  svc.queued = 0;
  if (svc.ejectionTimer) clearTimeout(svc.ejectionTimer);
  svc.ejectionTimer = undefined;
}
