/**
 * Prometheus metrics (prom-client, in the router's own Registry so tests and
 * several routers in one process never collide). Gauges of live state (in flight,
 * queued, ready replicas) are read at scrape time from the registry of services,
 * so the hot path only increments counters and observes histograms.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the gauges read at scrape time. */
export interface LiveState {
  services(): Iterable<{
    name: string;
    inFlight: number;
    queued: number;
    readyReplicas: number;
    currentReplicas: number;
  }>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1];

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"service" | "code">;
  private readonly latency: Histogram<"service">;
  private readonly overhead: Histogram<"service">;
  private readonly queueWait: Histogram<"service">;
  private readonly desired: Gauge<"service">;
  private readonly decisions: Counter<"service" | "direction" | "reason">;
  private readonly retries: Counter<"service">;
  private readonly authFailures: Counter<"service">;
  private readonly rejectedConnections: Counter;
  private connections: { openConnections(): number } | undefined;

  constructor(live: LiveState, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "aksml_router_" });
    this.requests = new Counter({
      name: "aksml_router_requests_total",
      help: "Requests by service and HTTP status code.",
      labelNames: ["service", "code"],
      registers,
    });
    this.latency = new Histogram({
      name: "aksml_router_request_duration_seconds",
      help: "End-to-end request latency seen by the router, including queueing and the replica.",
      labelNames: ["service"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.overhead = new Histogram({
      name: "aksml_router_routing_overhead_seconds",
      help: "Time the router itself adds: end-to-end minus queue wait minus replica time.",
      labelNames: ["service"],
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    this.queueWait = new Histogram({
      name: "aksml_router_queue_wait_seconds",
      help: "Time requests spent queued for a free replica.",
      labelNames: ["service"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.desired = new Gauge({
      name: "aksml_router_desired_replicas",
      help: "Replica count the autoscaler last asked for.",
      labelNames: ["service"],
      registers,
    });
    this.decisions = new Counter({
      name: "aksml_router_scaling_decisions_total",
      help: "Scaling decisions that changed the replica count.",
      labelNames: ["service", "direction", "reason"],
      registers,
    });
    this.retries = new Counter({
      name: "aksml_router_upstream_retries_total",
      help: "Requests retried on another replica after a connection failure before any response.",
      labelNames: ["service"],
      registers,
    });
    this.authFailures = new Counter({
      name: "aksml_router_auth_failures_total",
      help: "Requests rejected with 401.",
      labelNames: ["service"],
      registers,
    });

    this.rejectedConnections = new Counter({
      name: "aksml_router_rejected_connections_total",
      help: "Client connections over the router's connection limit (answered 503, or closed at once).",
      registers,
    });
    const metrics = this;
    new Gauge({
      name: "aksml_router_open_connections",
      help: "Client connections open on the data port, in this router process.",
      registers,
      collect() {
        this.set(metrics.connections?.openConnections() ?? 0);
      },
    });

    const liveGauge = (name: string, help: string, pick: (s: ReturnType<typeof snapshot>[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["service"],
        registers,
        collect() {
          this.reset();
          for (const s of snapshot()) this.set({ service: s.name }, pick(s));
        },
      });
    const snapshot = () => [...live.services()];
    liveGauge(
      "aksml_router_in_flight_requests",
      "Requests being processed by replicas, in this router process.",
      (s) => s.inFlight,
    );
    liveGauge(
      "aksml_router_queue_length",
      "Requests waiting for a free replica, in this router process.",
      (s) => s.queued,
    );
    liveGauge("aksml_router_ready_replicas", "Ready replicas the router can send to.", (s) => s.readyReplicas);
    liveGauge(
      "aksml_router_current_replicas",
      "Replicas the backend runs or has asked for (ready or not).",
      (s) => s.currentReplicas,
    );
  }

  /** Labelled children cached per service (and code): label hashing per request is measurable on the hot path. */
  private readonly children = new Map<
    string,
    {
      latency: { observe(v: number): void };
      overhead: { observe(v: number): void };
      codes: Map<number, { inc(): void }>;
    }
  >();

  observeRequest(service: string, code: number, totalSeconds: number, overheadSeconds: number): void {
    let c = this.children.get(service);
    if (!c) {
      c = { latency: this.latency.labels({ service }), overhead: this.overhead.labels({ service }), codes: new Map() };
      this.children.set(service, c);
    }
    let counter = c.codes.get(code);
    if (!counter) {
      counter = this.requests.labels({ service, code: String(code) });
      c.codes.set(code, counter);
    }
    counter.inc();
    c.latency.observe(totalSeconds);
    if (overheadSeconds >= 0) c.overhead.observe(overheadSeconds);
  }

  observeQueueWait(service: string, seconds: number): void {
    this.queueWait.observe({ service }, seconds);
  }

  countRetry(service: string): void {
    this.retries.inc({ service });
  }

  countAuthFailure(service: string): void {
    this.authFailures.inc({ service });
  }

  /** The data listener's connections, read at scrape time. */
  watchConnections(connections: { openConnections(): number }): void {
    this.connections = connections;
  }

  countRejectedConnection(): void {
    this.rejectedConnections.inc();
  }

  /** Called by the autoscaler each time it decides. */
  setDesiredReplicas(service: string, replicas: number): void {
    this.desired.set({ service }, replicas);
  }

  /** Called by the autoscaler when a decision changes the replica count. */
  recordScalingDecision(service: string, from: number, to: number, reason: string): void {
    if (from === to) return;
    this.decisions.inc({ service, direction: to > from ? "up" : "down", reason });
    this.desired.set({ service }, to);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
