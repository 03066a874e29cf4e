/**
 * The endpoints' Prometheus metrics, in two halves. The data path's (one per data-path
 * worker, summed over workers into the pod's scrape like the other request metrics):
 * requests per endpoint version and status, mirrored copies by outcome. The main
 * thread's (from its catalog): the live traffic split and the rollout's phase (read at
 * scrape time, so never summed over workers) and the leader's rollout decisions. Labels
 * come from configured endpoint and version names only, so their number is bounded by
 * the config (at most 6 versions per endpoint).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { EndpointRequestMetrics, EndpointTable } from "./endpointTable.js";
import type { MirrorMetrics, MirrorOutcome } from "./mirror.js";
import type { RolloutPhase } from "../contract/rolloutState.js";

/** The data path's endpoint metrics: name, help, type (the main thread mirrors them by name from the workers). */
export const ENDPOINT_TRAFFIC_METRICS = {
  requests: {
    name: "aksml_router_endpoint_requests_total",
    help: "Scoring requests through an endpoint, by the version that served them and HTTP status code.",
    type: "counter",
  },
  mirrored: {
    name: "aksml_router_mirrored_requests_total",
    help: "Mirrored copies by outcome: answered, failed (error or timeout), dropped (mirror saturated), skipped (streamed body, or version not deployed).",
    type: "counter",
  },
} as const;

/** One data-path worker's endpoint counters (attached to its registry's endpoint table and MirrorSender). */
export class EndpointTrafficMetrics implements EndpointRequestMetrics, MirrorMetrics {
  private readonly requests: Counter<"endpoint" | "version" | "code">;
  private readonly mirrored: Counter<"endpoint" | "version" | "outcome">;

  constructor(registry: Registry, endpoints: EndpointTable) {
    const registers = [registry];
    const m = ENDPOINT_TRAFFIC_METRICS;
    this.requests = new Counter({ ...m.requests, labelNames: ["endpoint", "version", "code"], registers });
    this.mirrored = new Counter({ ...m.mirrored, labelNames: ["endpoint", "version", "outcome"], registers });
    endpoints.attachMetrics(this);
  }

  countEndpointRequest(endpoint: string, version: string, status: number): void {
    this.requests.inc({ endpoint, version, code: String(status) });
  }

  countMirror(endpoint: string, version: string, outcome: MirrorOutcome): void {
    this.mirrored.inc({ endpoint, version, outcome });
  }
}

/** The main thread's endpoint metrics: the split in force and the rollouts, from its catalog's endpoint table. */
export class EndpointMetrics {
  private readonly decisions: Counter<"endpoint" | "action">;

  constructor(registry: Registry, endpoints: EndpointTable) {
    const registers = [registry];
    this.decisions = new Counter({
      name: "aksml_router_rollout_decisions_total",
      help: "Rollout decisions taken by this router as scaling leader: start, advance, promote, rollback.",
      labelNames: ["endpoint", "action"],
      registers,
    });
    new Gauge({
      name: "aksml_router_endpoint_traffic_percent",
      help: "The traffic split in force, per endpoint version (the rollout's live weights during a rollout).",
      labelNames: ["endpoint", "version"],
      registers,
      collect() {
        this.reset();
        for (const ep of endpoints.all())
          for (const [version, percent] of Object.entries(ep.weights))
            this.set({ endpoint: ep.name, version }, percent);
      },
    });
    const phases: RolloutPhase[] = ["progressing", "promoted", "rolledBack"];
    new Gauge({
      name: "aksml_router_rollout_phase",
      help: "1 for the phase of each endpoint's rollout (progressing, promoted, rolledBack).",
      labelNames: ["endpoint", "phase"],
      registers,
      collect() {
        this.reset();
        for (const ep of endpoints.all()) {
          const phase = ep.config.rollout && ep.rollout?.phase;
          if (phase) for (const p of phases) this.set({ endpoint: ep.name, phase: p }, p === phase ? 1 : 0);
        }
      },
    });
  }

  countRolloutDecision(endpoint: string, action: string): void {
    this.decisions.inc({ endpoint, action });
  }
}
