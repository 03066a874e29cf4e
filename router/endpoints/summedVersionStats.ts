/**
 * The endpoint versions' counts of a router with several data-path workers, as the
 * rollout loop (main thread, scaling leader) reads them: each worker counts the requests
 * it served (its registry's VersionStats), and before every check the main thread asks
 * every worker for its counts (a message, like a metrics scrape) and sums them, with the
 * last counts of workers that exited, so a window never loses a retired worker's traffic.
 */
import {
  addCounters,
  emptyCounters,
  type VersionCounters,
  type VersionReading,
  type VersionStatsSource,
} from "./versionStats.js";

/** The workers' readings: one array per worker (and one for the exited ones). */
export interface VersionReadingSource {
  versionReadings(): Promise<VersionReading[][]>;
}

const keyOf = (endpoint: string, version: string) => `${endpoint}\u0000${version}`;

/** Sums readings by endpoint and version. */
export function sumVersionReadings(readings: readonly VersionReading[][]): VersionReading[] {
  const byKey = new Map<string, VersionReading>();
  for (const r of readings.flat()) {
    const key = keyOf(r.endpoint, r.version);
    const seen = byKey.get(key);
    byKey.set(key, seen ? { ...seen, counters: addCounters(seen.counters, r.counters) } : r);
  }
  return [...byKey.values()];
}

export class SummedVersionStats implements VersionStatsSource {
  private summed = new Map<string, VersionCounters>();

  constructor(private readonly source: VersionReadingSource) {}

  async refresh(): Promise<void> {
    const sums = sumVersionReadings(await this.source.versionReadings());
    this.summed = new Map(sums.map((r) => [keyOf(r.endpoint, r.version), r.counters]));
  }

  versionCounters(endpoint: string, version: string): VersionCounters {
    const c = this.summed.get(keyOf(endpoint, version));
    return c ? { requests: c.requests, errors: c.errors, buckets: [...c.buckets] } : emptyCounters();
  }
}
