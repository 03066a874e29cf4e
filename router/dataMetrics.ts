/**
 * The metrics one data-path worker counts on the request path (batchedMetrics.ts: a few
 * additions per request, turned into Prometheus series when scraped). With one worker
 * they live in the main thread's registry; with several, each worker has its own and the
 * main thread sums them into one scrape (podMetrics.ts). The gauges of live state are not
 * here: the main thread reads them from the catalog and the slot table.
 */
import type { Registry } from "prom-client";
import { BatchedCounter, BatchedHistogram, type CounterSeries, type HistogramSeries } from "./batchedMetrics.js";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1];

/** Every metric a worker counts: name, help, type (the main thread mirrors them by name). */
export const DATA_METRICS = {
  requests: {
    name: "aksml_router_requests_total",
    help: "Requests by service and HTTP status code.",
    type: "counter",
  },
  latency: {
    name: "aksml_router_request_duration_seconds",
    help: "End-to-end request latency seen by the router, including queueing and the replica.",
    type: "histogram",
  },
  overhead: {
    name: "aksml_router_routing_overhead_seconds",
    help: "Time the router itself adds: end-to-end minus queue wait minus replica time.",
    type: "histogram",
  },
  queueWait: {
    name: "aksml_router_queue_wait_seconds",
    help: "Time requests spent queued for a free replica.",
    type: "histogram",
  },
  retries: {
    name: "aksml_router_upstream_retries_total",
    help: "Requests retried on another replica after a connection failure before any response.",
    type: "counter",
  },
  authFailures: {
    name: "aksml_router_auth_failures_total",
    help: "Requests rejected with 401.",
    type: "counter",
  },
  rejectedConnections: {
    name: "aksml_router_rejected_connections_total",
    help: "Client connections over the router's connection limit (answered 503, or closed at once).",
    type: "counter",
  },
  workerRequests: {
    name: "aksml_router_worker_requests_total",
    help: "Requests answered by each data-path worker of this router pod (how evenly connections spread).",
    type: "counter",
  },
} as const;

/** One service's series, found with one map lookup per request. */
interface ServiceSeries {
  codes: Map<number, CounterSeries>;
  latency: HistogramSeries;
  overhead: HistogramSeries;
  queueWait: HistogramSeries | undefined;
}

export class DataMetrics {
  private readonly requests: BatchedCounter;
  private readonly latency: BatchedHistogram;
  private readonly overhead: BatchedHistogram;
  private readonly queueWait: BatchedHistogram;
  private readonly retries: BatchedCounter;
  private readonly authFailures: BatchedCounter;
  private readonly rejected: CounterSeries;
  private readonly answered: CounterSeries;
  private readonly byService = new Map<string, ServiceSeries>();

  constructor(registry: Registry, worker: number) {
    const m = DATA_METRICS;
    this.requests = new BatchedCounter(m.requests.name, m.requests.help, registry);
    this.latency = new BatchedHistogram(m.latency.name, m.latency.help, LATENCY_BUCKETS, registry);
    this.overhead = new BatchedHistogram(m.overhead.name, m.overhead.help, OVERHEAD_BUCKETS, registry);
    this.queueWait = new BatchedHistogram(m.queueWait.name, m.queueWait.help, LATENCY_BUCKETS, registry);
    this.retries = new BatchedCounter(m.retries.name, m.retries.help, registry);
    this.authFailures = new BatchedCounter(m.authFailures.name, m.authFailures.help, registry);
    this.rejected = new BatchedCounter(m.rejectedConnections.name, m.rejectedConnections.help, registry).with({});
    this.answered = new BatchedCounter(m.workerRequests.name, m.workerRequests.help, registry).with({
      worker: String(worker),
    });
  }

  private seriesOf(service: string): ServiceSeries {
    let s = this.byService.get(service);
    if (!s) {
      s = {
        codes: new Map(),
        latency: this.latency.with({ service }),
        overhead: this.overhead.with({ service }),
        queueWait: undefined,
      };
      this.byService.set(service, s);
    }
    return s;
  }

  observeRequest(service: string, code: number, totalSeconds: number, overheadSeconds: number): void {
    const s = this.seriesOf(service);
    let counter = s.codes.get(code);
    if (!counter) {
      counter = this.requests.with({ service, code: String(code) });
      s.codes.set(code, counter);
    }
    counter.value++;
    this.answered.value++;
    s.latency.observe(totalSeconds);
    if (overheadSeconds >= 0) s.overhead.observe(overheadSeconds);
  }

  observeQueueWait(service: string, seconds: number): void {
    const s = this.seriesOf(service);
    s.queueWait ??= this.queueWait.with({ service });
    s.queueWait.observe(seconds);
  }

  countRetry(service: string): void {
    this.retries.with({ service }).value++;
  }

  countAuthFailure(service: string): void {
    this.authFailures.with({ service }).value++;
  }

  countRejectedConnection(): void {
    this.rejected.value++;
  }
}
