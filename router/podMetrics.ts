/**
 * The request-path metrics of a router with several data-path workers, in the main
 * thread's registry: one metric per name of dataMetrics.ts (and of the endpoints', the
 * capture's and the telemetry's data-path counters, when on), whose value at scrape time is
 * the sum over every worker (asked once per scrape, whatever the number of metrics) and
 * over workers that exited (their last reading is kept, so a counter never goes down
 * when a worker is restarted). Router self-scaling reads the routing-overhead histogram
 * from here like any other metric.
 */
import { AggregatorRegistry, type Registry } from "prom-client";
import type { MetricJson } from "./batchedMetrics.js";
import { DATA_METRICS } from "./dataMetrics.js";

/** The workers' readings: one array of metrics per worker (and one for the exited ones). */
export interface WorkerMetricsSource {
  collect(): Promise<MetricJson[][]>;
}

/** Sums readings of the same metrics: prom-client's cluster aggregation, by name and labels. */
export async function sumReadings(readings: readonly MetricJson[][]): Promise<MetricJson[]> {
  const summed = AggregatorRegistry.aggregate(
    readings.filter((r) => r.length > 0) as unknown as Parameters<typeof AggregatorRegistry.aggregate>[0],
  );
  return (await summed.getMetricsAsJSON()) as unknown as MetricJson[];
}

export function mirrorWorkerMetrics(
  registry: Registry,
  source: WorkerMetricsSource,
  extra: ReadonlyArray<{ name: string; help: string; type: string }> = [],
): void {
  let pending: Promise<Map<string, MetricJson>> | undefined;
  // One collection serves every metric of a scrape: the registry asks them all at once.
  const gather = () =>
    (pending ??= source
      .collect()
      .then(sumReadings)
      .then((summed) => new Map(summed.map((m) => [m.name, m])))
      .finally(() => {
        pending = undefined;
      }));
  for (const def of [...Object.values(DATA_METRICS), ...extra]) {
    const metric = {
      name: def.name,
      help: def.help,
      type: def.type,
      aggregator: "sum",
      async get(): Promise<MetricJson> {
        const summed = (await gather()).get(def.name);
        return { name: def.name, help: def.help, type: def.type, aggregator: "sum", values: summed?.values ?? [] };
      },
      reset() {},
    };
    registry.registerMetric(metric as unknown as Parameters<Registry["registerMetric"]>[0]);
  }
}
