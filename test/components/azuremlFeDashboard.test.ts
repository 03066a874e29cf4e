/**
 * The router's Grafana dashboard: the committed JSON is the one the component deploys,
 * and every PromQL expression names metrics the router really exports (read from a real
 * RouterMetrics registry, with a data-path worker's and model data capture's metrics registered on it).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { routerDashboard, routerDashboardJson } from "../../components/azuremlFe/grafanaDashboard.js";
import { RouterMetrics } from "../../router/metrics.js";
import { CaptureMetrics } from "../../router/capture/captureMetrics.js";
import { DataMetrics } from "../../router/dataMetrics.js";
import { createLogger } from "../../router/log.js";

const FILE = new URL("../../docs/grafana/aksml-router.json", import.meta.url);

function exprs(): string[] {
  const d = routerDashboard() as { panels: { targets: { expr: string }[] }[] };
  return d.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

describe("the router's Grafana dashboard", () => {
  it("docs/grafana/aksml-router.json is the dashboard the component deploys", () => {
    expect(
      readFileSync(FILE, "utf8"),
      "stale: regenerate with node --import tsx -e \"import('./components/azuremlFe/grafanaDashboard.ts').then(m => require('fs').writeFileSync('docs/grafana/aksml-router.json', m.routerDashboardJson()))\"",
    ).toBe(routerDashboardJson());
  });

  it("every expression references metrics the router exports", () => {
    const metrics = new RouterMetrics({ services: () => [], openConnections: () => 0 }, { defaultMetrics: false });
    new DataMetrics(metrics.registry, 0);
    const capture = new CaptureMetrics(metrics.registry, () => 0, createLogger("silent"));
    capture.stop();
    const exported = new Set<string>();
    for (const m of metrics.registry.getMetricsAsArray()) {
      exported.add(m.name);
      if (String(m.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) exported.add(`${m.name}${s}`);
    }
    const used = new Set(exprs().flatMap((e) => e.match(/aksml_router_[a-z_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(exported, `${name} is not a metric the router exports`).toContain(name);
  });

  it("covers requests, errors, latency, overhead, queues, replicas, scaling and capture", () => {
    const all = exprs().join("\n");
    for (const name of [
      "aksml_router_requests_total",
      "aksml_router_request_duration_seconds_bucket",
      "aksml_router_routing_overhead_seconds_bucket",
      "aksml_router_queue_length",
      "aksml_router_queue_wait_seconds_bucket",
      "aksml_router_current_replicas",
      "aksml_router_desired_replicas",
      "aksml_router_scaling_decisions_total",
      "aksml_router_capture_dropped_total",
    ])
      expect(all).toContain(name);
  });
});
