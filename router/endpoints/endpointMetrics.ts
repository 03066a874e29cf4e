/**
 * The endpoints' Prometheus metrics, in the router's registry: requests per endpoint
 * version and status, mirrored copies by outcome, and the live traffic split (read at
 * scrape time). Labels come from configured endpoint and version names only, so their
 * number is bounded by the config (at most 6 versions per endpoint).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { EndpointRequestMetrics, EndpointTable } from "./endpointTable.js";
import type { MirrorMetrics, MirrorOutcome } from "./mirror.js";
import type { RolloutPhase } from "../contract/rolloutState.js";

export class EndpointMetrics implements EndpointRequestMetrics, MirrorMetrics {
  private readonly requests: Counter<"endpoint" | "version" | "code">;
  private readonly mirrored: Counter<"endpoint" | "version" | "outcome">;
  private readonly decisions: Counter<"endpoint" | "action">;

  constructor(registry: Registry, endpoints: EndpointTable) {
    const registers = [registry];
    this.requests = new Counter({
      name: "aksml_router_endpoint_requests_total",
      help: "Scoring requests through an endpoint, by the version that served them and HTTP status code.",
      labelNames: ["endpoint", "version", "code"],
      registers,
    });
    this.mirrored = new Counter({
      name: "aksml_router_mirrored_requests_total",
      help: "Mirrored copies by outcome: answered, failed (error or timeout), dropped (mirror saturated), skipped (streamed body, or version not deployed).",
      labelNames: ["endpoint", "version", "outcome"],
      registers,
    });
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
    endpoints.attachMetrics(this);
  }

  countEndpointRequest(endpoint: string, version: string, status: number): void {
    this.requests.inc({ endpoint, version, code: String(status) });
  }

  countMirror(endpoint: string, version: string, outcome: MirrorOutcome): void {
    this.mirrored.inc({ endpoint, version, outcome });
  }

  countRolloutDecision(endpoint: string, action: string): void {
    this.decisions.inc({ endpoint, action });
  }
}
