/**
 * The router's Grafana dashboard, built here and committed as docs/grafana/aksml-router.json
 * (a test keeps the two equal and checks every expression against the metrics the router
 * exports). Requests and errors by service, latency and routing overhead percentiles,
 * queue length and wait, replicas current/desired/ready and scaling decisions, model data
 * capture. Works with Azure Managed Grafana on Azure Monitor managed Prometheus.
 */

interface Target {
  expr: string;
  legendFormat: string;
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana template variable, filled in by Grafana at import.
const ds = { type: "prometheus", uid: "${datasource}" };
const svc = 'service=~"$service"';

function panel(id: number, title: string, unit: string, targets: Target[], gridPos: { x: number; y: number }) {
  return {
    id,
    title,
    type: "timeseries",
    datasource: ds,
    gridPos: { ...gridPos, w: 12, h: 8 },
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: { legend: { displayMode: "table", placement: "bottom", calcs: ["lastNotNull", "max"] } },
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: ds, ...t })),
  };
}

const quantile = (q: number, metric: string, by = "service") =>
  `histogram_quantile(${q}, sum by (le, ${by}) (rate(${metric}_bucket{${svc}}[$__rate_interval])))`;

export function routerDashboard(): Record<string, unknown> {
  const panels = [
    panel(
      1,
      "Requests per second by service",
      "reqps",
      [
        {
          expr: `sum by (service) (rate(aksml_router_requests_total{${svc}}[$__rate_interval]))`,
          legendFormat: "{{service}}",
        },
      ],
      { x: 0, y: 0 },
    ),
    panel(
      2,
      "Errors per second by service and status",
      "reqps",
      [
        {
          expr: `sum by (service, code) (rate(aksml_router_requests_total{${svc}, code=~"4..|5.."}[$__rate_interval]))`,
          legendFormat: "{{service}} {{code}}",
        },
      ],
      { x: 12, y: 0 },
    ),
    panel(
      3,
      "Latency (end to end) p50 / p90 / p99",
      "s",
      [0.5, 0.9, 0.99].map((q) => ({
        expr: quantile(q, "aksml_router_request_duration_seconds"),
        legendFormat: `{{service}} p${q * 100}`,
      })),
      { x: 0, y: 8 },
    ),
    panel(
      4,
      "Routing overhead p50 / p90 / p99",
      "s",
      [0.5, 0.9, 0.99].map((q) => ({
        expr: quantile(q, "aksml_router_routing_overhead_seconds"),
        legendFormat: `{{service}} p${q * 100}`,
      })),
      { x: 12, y: 8 },
    ),
    panel(
      5,
      "Queue length (all router pods)",
      "short",
      [{ expr: `sum by (service) (aksml_router_queue_length{${svc}})`, legendFormat: "{{service}}" }],
      { x: 0, y: 16 },
    ),
    panel(
      6,
      "Queue wait p50 / p99",
      "s",
      [0.5, 0.99].map((q) => ({
        expr: quantile(q, "aksml_router_queue_wait_seconds"),
        legendFormat: `{{service}} p${q * 100}`,
      })),
      { x: 12, y: 16 },
    ),
    panel(
      7,
      "Replicas: current, desired, ready",
      "short",
      [
        { expr: `max by (service) (aksml_router_current_replicas{${svc}})`, legendFormat: "{{service}} current" },
        { expr: `max by (service) (aksml_router_desired_replicas{${svc}})`, legendFormat: "{{service}} desired" },
        { expr: `max by (service) (aksml_router_ready_replicas{${svc}})`, legendFormat: "{{service}} ready" },
      ],
      { x: 0, y: 24 },
    ),
    panel(
      8,
      "Scaling decisions",
      "short",
      [
        {
          expr: `sum by (service, direction, reason) (increase(aksml_router_scaling_decisions_total{${svc}}[$__rate_interval]))`,
          legendFormat: "{{service}} {{direction}} ({{reason}})",
        },
      ],
      { x: 12, y: 24 },
    ),
    panel(
      9,
      "Model data capture: written and dropped per second",
      "reqps",
      [
        {
          expr: `sum by (service) (rate(aksml_router_capture_records_total{${svc}}[$__rate_interval]))`,
          legendFormat: "{{service}} written",
        },
        {
          expr: `sum by (service, reason) (rate(aksml_router_capture_dropped_total{${svc}}[$__rate_interval]))`,
          legendFormat: "{{service}} dropped ({{reason}})",
        },
      ],
      { x: 0, y: 32 },
    ),
    panel(
      10,
      "Model data capture buffer and storage errors",
      "bytes",
      [
        { expr: "sum by (pod) (aksml_router_capture_buffer_bytes)", legendFormat: "{{pod}} buffered" },
        {
          expr: "sum (rate(aksml_router_capture_storage_errors_total[$__rate_interval]))",
          legendFormat: "storage errors/s",
        },
      ],
      { x: 12, y: 32 },
    ),
  ];
  return {
    title: "aksml router",
    uid: "aksml-router",
    description: "The aksml router (azureml-fe equivalent): traffic, latency, queues, replicas and model data capture.",
    tags: ["aksml", "azureml-fe"],
    timezone: "utc",
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-3h", to: "now" },
    templating: {
      list: [
        { name: "datasource", type: "datasource", query: "prometheus", label: "Prometheus" },
        {
          name: "service",
          type: "query",
          label: "Service",
          datasource: ds,
          query: "label_values(aksml_router_requests_total, service)",
          refresh: 2,
          includeAll: true,
          multi: true,
          current: { text: "All", value: "$__all" },
        },
      ],
    },
    panels,
  };
}

/** The dashboard file's text (docs/grafana/aksml-router.json and the ConfigMap's data). */
export const routerDashboardJson = () => `${JSON.stringify(routerDashboard(), null, 2)}\n`;
