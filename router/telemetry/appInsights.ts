/**
 * Application Insights from the router: a request item for every scoring request of a
 * service with `appInsightsEnabled` (service, operation name, status, duration, routing
 * overhead, request id) and a dependency item for each replica call, with W3C
 * `traceparent` sent to the replica so the model's own telemetry joins the router's
 * operation. OpenTelemetry spans, sampled when created (Application Insights' own
 * sampler, so the model's SDK keeps or drops the same operations) and exported in
 * batches by Microsoft's exporter, off the request path: a full queue drops spans, an
 * unreachable endpoint only fails exports.
 *
 * Loaded only when the router has a connection string (`APPLICATIONINSIGHTS_CONNECTION_STRING`),
 * so a router without one loads none of this.
 */
import type { IncomingMessage } from "node:http";
import { threadId } from "node:worker_threads";
import { ApplicationInsightsSampler, AzureMonitorTraceExporter } from "@azure/monitor-opentelemetry-exporter";
import { ROOT_CONTEXT, type Tracer } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { Counter, Registry } from "prom-client";
import { Counter as PromCounter } from "prom-client";
import type { ExchangeObserver, ExchangeObservers } from "../exchangeObserver.js";
import type { Logger } from "../log.js";
import type { ServiceAction } from "../proxyContext.js";
import type { ServiceState } from "../serviceState.js";
import { TelemetryTap, parentContextOf } from "./telemetryTap.js";

export interface AppInsightsOptions {
  /** The resource's connection string (`InstrumentationKey=...;IngestionEndpoint=https://<region>.in.applicationinsights.azure.com/;...`). */
  connectionString: string;
  /** Share of operations kept, 0 to 1 (Application Insights sampling). @default 1 */
  samplingRatio?: number;
  /** The router pod, as the items' cloud role instance. */
  podName: string;
  /** Spans waiting for export, at most; more are dropped. @default 2048 */
  maxQueueSize?: number;
  /** @default 5000 */
  exportIntervalMs?: number;
}

/**
 * Statsbeat is the SDK's own usage telemetry to Microsoft's endpoints; the router sends
 * only what the operator asked for, to the connection string's endpoint.
 */
function disableSdkSelfTelemetry(): void {
  process.env.APPLICATION_INSIGHTS_NO_STATSBEAT ??= "true";
  process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED ??= "true";
  process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED ??= "true";
}

/** Its metric: name, help, type (the main thread mirrors it by name from the data-path workers). */
export const TELEMETRY_METRICS = {
  spans: {
    name: "aksml_router_telemetry_spans_total",
    help: "Telemetry items (requests and dependencies) exported to Application Insights, by the exporter's result (it reports a transport failure as exported when it would have kept the items on disk, which the router turns off).",
    type: "counter",
  },
} as const;

export class AppInsightsTelemetry implements ExchangeObservers {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly exported: Counter<"result">;

  constructor(
    options: AppInsightsOptions,
    registry: Registry,
    private readonly log: Logger,
  ) {
    disableSdkSelfTelemetry();
    this.exported = new PromCounter({
      ...TELEMETRY_METRICS.spans,
      labelNames: ["result"],
      registers: [registry],
    });
    // Offline storage would write spans to disk (the pod's /tmp); telemetry is best effort.
    const exporter = new AzureMonitorTraceExporter({
      connectionString: options.connectionString,
      disableOfflineStorage: true,
    });
    const exported = this.exported;
    const counting: typeof exporter = Object.create(exporter);
    counting.export = (spans, done) =>
      exporter.export(spans, (result) => {
        exported.inc({ result: result.code === 0 ? "exported" : "failed" }, spans.length);
        done(result);
      });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        "service.name": "aksml-router",
        "service.instance.id": `${options.podName}-w${threadId}`,
      }),
      sampler: new ApplicationInsightsSampler(options.samplingRatio ?? 1),
      spanProcessors: [
        new BatchSpanProcessor(counting, {
          maxQueueSize: options.maxQueueSize ?? 2048,
          maxExportBatchSize: 512,
          scheduledDelayMillis: options.exportIntervalMs ?? 5000,
          exportTimeoutMillis: 30_000,
        }),
      ],
    });
    this.tracer = this.provider.getTracer("aksml-router");
  }

  observe(
    svc: ServiceState,
    action: ServiceAction,
    req: IncomingMessage,
    requestId: string,
  ): ExchangeObserver | undefined {
    if (!svc.config.appInsightsEnabled) return undefined;
    return new TelemetryTap(this.tracer, svc.name, action, req, requestId, parentContextOf(req, ROOT_CONTEXT));
  }

  /** Exports what is queued, bounded by `deadlineMs` (epoch ms). */
  async shutdown(deadlineMs: number): Promise<void> {
    const left = Math.max(0, deadlineMs - Date.now());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.provider
        .shutdown()
        .catch((e: Error) => this.log.warn({ err: e.message }, "telemetry export on shutdown failed")),
      new Promise((resolve) => (timer = setTimeout(resolve, left))),
    ]);
    clearTimeout(timer);
  }
}
