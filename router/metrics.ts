/**
 * The router pod's Prometheus metrics (prom-client, in the router's own Registry so tests
 * and several routers in one process never collide), in the main thread. Gauges of live
 * state (in flight, queued, ready replicas, open connections) are read at scrape time from
 * the catalog and the slot table, so they cover every worker; the request-path counters
 * and histograms are the data-path workers' (dataMetrics.ts): in this registry itself with
 * one worker, summed from every worker at scrape time with several (podMetrics.ts).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** What the gauges read at scrape time. */
export interface LiveState {
  services(): Iterable<{
    name: string;
    inFlight: number;
    queued: number;
    readyReplicas: number;
    currentReplicas: number;
  }>;
  /** Client connections open on the data port over all workers. */
  openConnections(): number;
}

export class RouterMetrics {
  readonly registry = new Registry();
  private readonly desired: Gauge<"service">;
  private readonly decisions: Counter<"service" | "direction" | "reason">;

  constructor(live: LiveState, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // Process-wide (CPU, memory, descriptors) and the main thread's event loop and heap.
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: "aksml_router_" });
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
    new Gauge({
      name: "aksml_router_open_connections",
      help: "Client connections open on the data port, over all workers of this router pod.",
      registers,
      collect() {
        this.set(live.openConnections());
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
      "Requests being processed by replicas, over all workers of this router pod.",
      (s) => s.inFlight,
    );
    liveGauge(
      "aksml_router_queue_length",
      "Requests waiting for a free replica, over all workers of this router pod.",
      (s) => s.queued,
    );
    liveGauge("aksml_router_ready_replicas", "Ready replicas the router can send to.", (s) => s.readyReplicas);
    liveGauge(
      "aksml_router_current_replicas",
      "Replicas the backend runs or has asked for (ready or not).",
      (s) => s.currentReplicas,
    );
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
