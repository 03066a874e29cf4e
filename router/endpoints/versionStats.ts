/**
 * What the router measures of each endpoint version for canary analysis: requests,
 * errors (5xx, the router's own 502/503/504 included) and a latency histogram. Every
 * number is a cumulative count, so counts from several sources (worker threads, router
 * processes) add up by plain summing, and a window is the difference of two readings.
 * Requests the client abandoned (499) are counted in neither.
 */

/** Upper bounds of the latency buckets in ms: 1 ms up to an hour, each 25 % above the last (~70 buckets). */
export const LATENCY_BOUNDS_MS: readonly number[] = (() => {
  const out: number[] = [];
  for (let b = 1; b < 3_600_000; b *= 1.25) out.push(b);
  out.push(3_600_000);
  return out;
})();

/** Cumulative counts of one version; `buckets[i]` counts requests slower than bound i-1 and at most bound i (the last: everything slower). */
export interface VersionCounters {
  requests: number;
  errors: number;
  buckets: number[];
}

export const emptyCounters = (): VersionCounters => ({
  requests: 0,
  errors: 0,
  buckets: new Array(LATENCY_BOUNDS_MS.length + 1).fill(0),
});

/** `a + b` (e.g. two workers' counts). */
export function addCounters(a: VersionCounters, b: VersionCounters): VersionCounters {
  return {
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    buckets: a.buckets.map((n, i) => n + (b.buckets[i] ?? 0)),
  };
}

/** `now - base`: what happened in a window (never negative: a source that restarted counts from 0). */
export function windowOf(now: VersionCounters, base: VersionCounters): VersionCounters {
  const d = (x: number, y: number) => Math.max(0, x - y);
  return {
    requests: d(now.requests, base.requests),
    errors: d(now.errors, base.errors),
    buckets: now.buckets.map((n, i) => d(n, base.buckets[i] ?? 0)),
  };
}

/** The p99 latency in ms (a bucket's upper bound), undefined with no requests. */
export function p99Ms(c: VersionCounters): number | undefined {
  const total = c.buckets.reduce((s, n) => s + n, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(total * 0.99);
  let seen = 0;
  for (let i = 0; i < c.buckets.length; i++) {
    seen += c.buckets[i]!;
    if (seen >= rank) return LATENCY_BOUNDS_MS[Math.min(i, LATENCY_BOUNDS_MS.length - 1)]!;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}

function bucketOf(ms: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= LATENCY_BOUNDS_MS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Where the numbers come from: one router process (or worker) answers it; a parent sums several. */
export interface VersionStatsSource {
  /** Cumulative counts by endpoint, then version. */
  versionCounters(endpoint: string, version: string): VersionCounters;
  /** Brings the counts up to date before a check reads them (counts kept in other threads); absent: always current. */
  refresh?(): Promise<void>;
}

/** One version's counts as a worker thread reports them. */
export interface VersionReading {
  endpoint: string;
  version: string;
  counters: VersionCounters;
}

/** The counts of one router process (or worker thread). Bounded: one entry per configured endpoint version. */
export class VersionStats implements VersionStatsSource {
  private readonly byKey = new Map<string, VersionCounters>();

  observe(endpoint: string, version: string, status: number, ms: number): void {
    if (status === 499 || status === 0) return;
    const key = `${endpoint}\u0000${version}`;
    let c = this.byKey.get(key);
    if (!c) {
      c = emptyCounters();
      this.byKey.set(key, c);
    }
    c.requests++;
    if (status >= 500) c.errors++;
    c.buckets[bucketOf(ms)]!++;
  }

  versionCounters(endpoint: string, version: string): VersionCounters {
    const c = this.byKey.get(`${endpoint}\u0000${version}`);
    return c ? { requests: c.requests, errors: c.errors, buckets: [...c.buckets] } : emptyCounters();
  }

  /** Every version's counts (what a worker thread reports). */
  readings(): VersionReading[] {
    const out: VersionReading[] = [];
    for (const [key, counters] of this.byKey) {
      const [endpoint, version] = key.split("\u0000") as [string, string];
      out.push({ endpoint, version, counters });
    }
    return out;
  }

  /** Drops the counts of an endpoint's versions not in `keep` (all of them when `keep` is empty). */
  forget(endpoint: string, keep: ReadonlySet<string> = new Set()): void {
    const prefix = `${endpoint}\u0000`;
    for (const key of this.byKey.keys())
      if (key.startsWith(prefix) && !keep.has(key.slice(prefix.length))) this.byKey.delete(key);
  }
}
