/**
 * Counters and histograms for the request path that cost a few additions per request:
 * a labelled series is a plain object the caller keeps (no label hashing, no validation
 * per observation), turned into prom-client's metric JSON only when scraped. They
 * register in a prom-client Registry like its own metrics (the registry only calls
 * `get()`), render the same text, and aggregate across workers with prom-client's
 * aggregators.
 */
import type { Registry } from "prom-client";

type Labels = Record<string, string | number>;

/** prom-client's JSON of one metric (Registry.getMetricsAsJSON), what workers send the main thread. */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: Array<{ labels: Labels; value: number; metricName?: string }>;
}

export interface CounterSeries {
  value: number;
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one counts those above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

/** The part of prom-client's metric interface a Registry uses. */
abstract class BatchedMetric<S> {
  readonly aggregator = "sum";
  protected readonly series = new Map<string, { labels: Labels; series: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "histogram",
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry["registerMetric"]>[0]);
  }

  /** The series of `labels` (created at 0); keep it and update it directly. */
  with(labels: Labels): S {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, series: this.create() };
      this.series.set(key, s);
    }
    return s.series;
  }

  protected abstract create(): S;
  protected abstract values(labels: Labels, series: S): MetricJson["values"];

  async get(): Promise<MetricJson> {
    const values: MetricJson["values"] = [];
    for (const { labels, series } of this.series.values()) values.push(...this.values(labels, series));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

export class BatchedCounter extends BatchedMetric<CounterSeries> {
  constructor(name: string, help: string, registry: Registry) {
    super(name, help, "counter", registry);
  }

  protected create(): CounterSeries {
    return { value: 0 };
  }

  protected values(labels: Labels, s: CounterSeries): MetricJson["values"] {
    return [{ labels: { ...labels }, value: s.value }];
  }
}

export class BatchedHistogram extends BatchedMetric<HistogramSeries> {
  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, "histogram", registry);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.bounds);
  }

  protected values(labels: Labels, s: HistogramSeries): MetricJson["values"] {
    const out: MetricJson["values"] = [];
    const bucket = `${this.name}_bucket`;
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += s.counts[i]!;
      out.push({ labels: { le: this.bounds[i]!, ...labels }, value: acc, metricName: bucket });
    }
    out.push({ labels: { le: "+Inf", ...labels }, value: s.count, metricName: bucket });
    out.push({ labels: { ...labels }, value: s.sum, metricName: `${this.name}_sum` });
    out.push({ labels: { ...labels }, value: s.count, metricName: `${this.name}_count` });
    return out;
  }
}
