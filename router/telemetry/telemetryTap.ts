/**
 * One exchange's telemetry: the request span (SpanKind.SERVER, from the exchange's start
 * to its access line) and one dependency span (SpanKind.CLIENT) per replica attempt,
 * whose context goes to the replica as `traceparent`. A client's own `traceparent` makes
 * the request span its child, so the client's trace continues through the router.
 */
import type { IncomingMessage } from "node:http";
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { ExchangeObserver, ExchangeOutcome } from "../exchangeObserver.js";
import type { ServiceAction } from "../proxyContext.js";

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  get(carrier: IncomingMessage, key: string): string | string[] | undefined {
    return carrier.headers[key];
  },
  keys(carrier: IncomingMessage): string[] {
    return Object.keys(carrier.headers);
  },
};

/** The client's trace context (`traceparent`/`tracestate`), or `base` without one. */
export function parentContextOf(req: IncomingMessage, base: Context): Context {
  if (req.headers.traceparent === undefined) return base;
  return propagator.extract(base, req, headerGetter);
}

export class TelemetryTap implements ExchangeObserver {
  private readonly span: Span;
  private dependency: Span | undefined;

  constructor(
    private readonly tracer: Tracer,
    private readonly service: string,
    action: ServiceAction,
    req: IncomingMessage,
    requestId: string,
    parent: Context,
  ) {
    const route = `/api/v1/service/${service}/${action === "score" ? "score" : "swagger.json"}`;
    this.span = tracer.startSpan(
      `${req.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "http.request.method": req.method ?? "GET",
          "http.route": route,
          "url.path": route,
          "url.scheme": (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http",
          "client.address": req.socket.remoteAddress ?? "",
          "aksml.service": service,
          "aksml.request_id": requestId,
        },
      },
      parent,
    );
  }

  requestBody(): void {}

  requestChunk(): void {}

  attemptStarted(replicaUrl: string, method: string, path: string, headers: Record<string, string | string[]>): void {
    const url = new URL(path, replicaUrl);
    const dep = this.tracer.startSpan(
      `${method} ${url.pathname}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "http.request.method": method,
          "url.full": url.href,
          "server.address": url.hostname,
          "server.port": Number(url.port || 80),
          "aksml.service": this.service,
        },
      },
      trace.setSpan(ROOT_CONTEXT, this.span),
    );
    this.dependency = dep;
    const c = dep.spanContext();
    headers.traceparent = `00-${c.traceId}-${c.spanId}-0${c.traceFlags & 1}`;
    delete headers.tracestate;
  }

  attemptEnded(status: number, error: Error | undefined): void {
    const dep = this.dependency;
    if (!dep) return;
    this.dependency = undefined;
    if (status) dep.setAttribute("http.response.status_code", status);
    if (error || status >= 500 || status === 0)
      dep.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? `HTTP ${status}` });
    dep.end();
  }

  responseHead(): void {}

  responseChunk(): void {}

  finished(o: ExchangeOutcome): void {
    // An attempt the exchange gave up on (client gone, scoring timeout) ends with it.
    if (this.dependency) this.attemptEnded(0, new Error("attempt abandoned"));
    const span = this.span;
    span.setAttribute("http.response.status_code", o.status);
    if (o.overheadMs >= 0) span.setAttribute("aksml.routing_overhead_ms", Math.round(o.overheadMs * 1000) / 1000);
    if (o.replicaId) span.setAttribute("aksml.replica", o.replicaId);
    if (o.status >= 500 || o.status === 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${o.status}` });
    span.end();
  }
}
