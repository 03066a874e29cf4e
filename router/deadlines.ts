/**
 * The requests' deadlines in one data-path worker, on one Node timer instead of one per
 * request. A Node timer per request cost a `Timeout` object, a clock read and a list
 * insert when armed, another insert when re-armed at dispatch and an unlink when cleared
 * (and a list created and dropped whenever the worker fell idle): in `--cpu-prof` runs at
 * a paced ~4 500 req/s, Node's timer code took about 3 µs of each request (of ~130 µs),
 * and 1 to 2 µs with these lists (the rest is node:http's and undici's own timers).
 *
 * Deadlines with the same duration expire in the order they were armed, so each duration
 * has a FIFO list (intrusive, doubly linked: arm and cancel are O(1) and allocate nothing
 * after a request's first arm). The one timer is set for the earliest head of all lists.
 * A cancel (the common case: the request finished in time) does not touch the timer: when
 * it fires it expires what is due, and is set again for the earliest deadline left, if
 * any. So with a steady stream of requests of one duration the timer fires about once per
 * that duration, and a deadline still fires on time (within the timer's 1 ms resolution).
 *
 * The number of lists is the number of distinct durations armed at once (services'
 * `scoringTimeoutMs`), bounded by the services; an empty list is dropped when the timer
 * finds it empty. The timer is unref'd: an armed deadline always belongs to a request whose
 * client connection keeps the process alive.
 */
import { performance } from "node:perf_hooks";

/** What a deadline tells when it passes. */
export interface DeadlineHolder {
  /** Must not throw (the exchange's catches into its 500); it may arm or cancel deadlines. */
  deadlineReached(): void;
}

/** One holder's deadline: armed, re-armed and cancelled in place (no allocation after the first arm). */
export class Deadline {
  /** When it passes, on the `performance.now()` clock (ms). */
  at = 0;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  /** The list it is in while armed. */
  list: DeadlineList | undefined;

  constructor(readonly holder: DeadlineHolder) {}

  get armed(): boolean {
    return this.list !== undefined;
  }
}

/** The armed deadlines of one duration, earliest first. */
class DeadlineList {
  head: Deadline | undefined;
  tail: Deadline | undefined;

  constructor(readonly ms: number) {}
}

export class Deadlines {
  private readonly lists = new Map<number, DeadlineList>();
  private timer: NodeJS.Timeout | undefined;
  /** When the timer fires (performance.now() ms); Infinity when it is not set. */
  private timerAt = Infinity;

  /** Deadlines armed now (for tests and metrics). */
  size(): number {
    let n = 0;
    for (const list of this.lists.values()) for (let d = list.head; d; d = d.next) n++;
    return n;
  }

  /**
   * Arms `d` to pass `ms` after `from` (a `performance.now()` reading taken by the caller,
   * usually one it needed anyway), moving it if it was armed.
   */
  arm(d: Deadline, ms: number, from: number = performance.now()): void {
    if (d.list) this.unlink(d);
    let list = this.lists.get(ms);
    if (list === undefined) {
      list = new DeadlineList(ms);
      this.lists.set(ms, list);
    }
    const at = from + ms;
    d.at = at;
    d.list = list;
    // Appended: `from` only grows, so this is the latest of its duration. A caller's
    // older reading is still placed in order (walking back from the tail).
    let after = list.tail;
    while (after !== undefined && after.at > at) after = after.prev;
    d.prev = after;
    d.next = after ? after.next : list.head;
    if (d.next) d.next.prev = d;
    else list.tail = d;
    if (after) after.next = d;
    else list.head = d;
    if (at < this.timerAt) this.schedule(at);
  }

  /** Disarms `d` (nothing when it is not armed). */
  cancel(d: Deadline): void {
    if (d.list) this.unlink(d);
  }

  /** Disarms everything and stops the timer (the worker is stopping). */
  stop(): void {
    for (const list of this.lists.values()) while (list.head) this.unlink(list.head);
    this.lists.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private unlink(d: Deadline): void {
    const list = d.list!;
    if (d.prev) d.prev.next = d.next;
    else list.head = d.next;
    if (d.next) d.next.prev = d.prev;
    else list.tail = d.prev;
    d.prev = d.next = d.list = undefined;
  }

  private schedule(at: number): void {
    this.timerAt = at;
    const delay = Math.max(1, Math.ceil(at - performance.now()));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(this.fire, delay).unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    try {
      for (const [ms, list] of this.lists) {
        // A holder may arm or cancel others (of this list too): the head is read again each time.
        for (let d = list.head; d !== undefined && d.at <= now; d = list.head) {
          this.unlink(d);
          d.holder.deadlineReached();
        }
        if (!list.head) this.lists.delete(ms);
      }
    } finally {
      // The earliest deadline left, also when a holder threw (they must still pass). A
      // holder that armed one meanwhile has set the timer already, for its own time.
      let next = Infinity;
      for (const list of this.lists.values()) if (list.head) next = Math.min(next, list.head.at);
      if (next < this.timerAt) this.schedule(next);
    }
  };
}
