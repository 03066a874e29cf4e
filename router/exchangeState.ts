/**
 * One model service request's state, and how the request is answered and accounted for
 * (the error answers, the access line and metrics, once): what the steps of a
 * ServiceExchange (serviceExchange.ts) read and set.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { UpstreamCall } from "./upstreamCall.js";
import {
  cancelWait,
  release,
  QueueFullError,
  QueueTimeoutError,
  ServiceGoneError,
  WithdrawnError,
  type Waiter,
} from "./dispatcher.js";
import type { StreamedBody } from "./bodySource.js";
import { sendError } from "./errorResponse.js";
import type { Lease, ServiceState } from "./serviceState.js";
import type { ProxyContext, ServiceAction } from "./proxyContext.js";
import type { ExchangeObserver } from "./exchangeObserver.js";
import { DEPLOYMENT_HEADER } from "./contract/endpointConfig.js";
import type { EndpointRoute, EndpointState } from "./endpoints/endpointTable.js";
import type { Deadline } from "./deadlines.js";

/** Extra headers of an answer after which the connection cannot carry another request. Never mutated. */
export const CLOSE: Readonly<Record<string, string>> = Object.freeze({ connection: "close" });
/** A busy service's 503: try again in a second (the queue wait is 500 ms by default). */
export const RETRY_AFTER: Readonly<Record<string, string>> = Object.freeze({ "retry-after": "1" });
export const RETRY_AFTER_CLOSE: Readonly<Record<string, string>> = Object.freeze({
  "retry-after": "1",
  connection: "close",
});

/** One request's state from arrival to the access line. */
export abstract class ExchangeState {
  protected readonly started = performance.now();
  protected svc!: ServiceState;
  protected known = false;
  protected status = 0;
  protected replicaId: string | undefined;
  /** Routing overhead of the answered attempt (ms); negative until a replica answered. */
  protected overheadMs = -1;
  protected readonly hasBody: boolean;
  protected readonly declared: number | undefined;
  // The client going away or the scoring timeout ends the current upstream attempt.
  protected aborted = false;
  protected timedOut = false;
  protected finished = false;
  protected call: UpstreamCall | undefined;
  /** The request's place in the queue while it waits for a slot. */
  protected waiter: Waiter | undefined;
  /** The request's one deadline: the small body's, then the exchange's (on the worker's shared timer). */
  protected deadline: Deadline | undefined;
  /** A small body is being read (the deadline is its 408). */
  protected readingBody = false;
  /** Dispatched at least once (the deadline is the exchange's 504). */
  protected dispatched = false;
  protected body: "none" | "buffer" | "stream" = "none";
  protected bodyData: Buffer | undefined;
  /** The current attempt's streamed body (a fresh one per attempt). */
  protected bodyStream: StreamedBody | undefined;
  protected upstreamHeaders: Record<string, string | string[]> | undefined;
  protected path = "";
  protected timeout = 0;
  /** Replicas this request was sent to and failed on; allocated on the first retry. */
  protected tried: Set<string> | undefined;
  protected resets = 0;
  /** The attempt in flight: its slot and when it was dispatched (for the routing overhead). */
  protected lease: Lease | undefined;
  protected dispatchedAt = 0;
  /** Capture and telemetry of this exchange, when its service has either on (else nothing is allocated). */
  protected obs: ExchangeObserver | undefined;
  /** Set when the name is an endpoint: then `svc` is the chosen version's service (routeVersion). */
  protected endpoint: EndpointState | undefined;
  protected route: EndpointRoute | undefined;

  constructor(
    protected readonly ctx: ProxyContext,
    protected readonly req: IncomingMessage,
    protected readonly res: ServerResponse,
    protected readonly serviceName: string,
    protected readonly requestId: string,
    protected readonly action: ServiceAction,
    protected readonly query: string,
  ) {
    const length = req.headers["content-length"];
    this.hasBody = length !== undefined ? length !== "0" : req.headers["transfer-encoding"] !== undefined;
    this.declared = length === undefined ? undefined : Number(length);
  }

  protected queueFull(extra: Readonly<Record<string, string>>): void {
    this.fail(
      503,
      `all replicas busy and ${this.svc.config.maxQueuedRequests} requests already queued (maxQueuedRequests)`,
      extra,
    );
  }

  /** No slot: withdrawn (scoring timeout 504, or the client left 499), the queue wait passed (503), the service went (503). */
  protected slotRefused(e: unknown): void {
    if (e instanceof WithdrawnError) {
      // Withdrawn by abort(): the scoring timeout (a retry waiting for another replica) or the client leaving.
      if (this.timedOut) this.scoringTimeoutAnswer();
      else this.clientGone();
    } else if (e instanceof QueueTimeoutError) {
      this.ctx.metrics.observeQueueWait(this.serviceName, e.waitedMs / 1000);
      this.fail(
        503,
        `all replicas busy: no replica became free within ${e.waitedMs} ms (maxRequestWaitTimeMs)`,
        this.body === "stream" ? RETRY_AFTER_CLOSE : RETRY_AFTER,
      );
    } else if (e instanceof QueueFullError) this.queueFull(this.body === "stream" ? RETRY_AFTER_CLOSE : RETRY_AFTER);
    else if (e instanceof ServiceGoneError) this.fail(503, e.message, this.closeIfBodyUnread());
    else throw e;
  }

  protected scoringTimeoutAnswer(): void {
    this.fail(504, `replica did not answer within ${this.timeout} ms (scoringTimeoutMs)`, this.closeIfBodyUnread());
  }

  /** A streamed body that was not read to the end leaves the connection unusable. */
  protected closeIfBodyUnread(): Readonly<Record<string, string>> | undefined {
    return this.body === "stream" ? CLOSE : undefined;
  }

  /** The client left before an answer: nothing to send, logged as 499. */
  protected clientGone(): void {
    this.status = 499;
    this.finish();
  }

  protected fail(code: number, message: string, extra?: Readonly<Record<string, string>>): undefined {
    if (this.finished) return undefined;
    this.status = code;
    const version = this.route ? { [DEPLOYMENT_HEADER]: this.route.version } : undefined;
    sendError(this.res, code, message, this.requestId, version ? { ...extra, ...version } : extra);
    this.finish();
    return undefined;
  }

  /** A bug: answer 500 (or abort the response), give back the slot or queue place, and log it. */
  protected crashed(err: unknown): void {
    this.ctx.log.error({ reqId: this.requestId, err: (err as Error)?.message }, "request handler failed");
    if (this.finished) return;
    this.aborted = true;
    if (this.waiter) cancelWait(this.svc, this.waiter);
    this.waiter = undefined;
    this.fail(500, "internal router error");
    // Finished now: the attempt's callbacks only give the slot back.
    this.call?.abort(new Error("internal router error"));
    if (this.lease) release(this.lease);
  }

  /** Step: metrics and the access line, once per request. */
  protected finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.deadline) this.ctx.deadlines.cancel(this.deadline);
    const totalMs = performance.now() - this.started;
    this.obs?.finished({ status: this.status, totalMs, overheadMs: this.overheadMs, replicaId: this.replicaId });
    if (this.route && this.action === "score") this.ctx.registry.endpoints.observe(this.route, this.status, totalMs);
    this.ctx.metrics.observeRequest(
      this.known ? this.serviceName : "(unknown)",
      this.status,
      totalMs / 1000,
      this.overheadMs / 1000,
    );
    this.ctx.accessLog(
      this.requestId,
      this.serviceName,
      this.req.method,
      this.status,
      this.replicaId,
      Math.round(totalMs * 100) / 100,
      this.route?.version,
    );
  }
}
