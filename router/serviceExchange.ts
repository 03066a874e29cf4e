/**
 * One model service request's state from arrival to the access line, and the steps
 * proxyServiceRequest (proxy.ts) runs in order. Every step is synchronous; the caller
 * awaits the I/O between them. The statuses are listed in router/README.md; an error
 * answered while the client's body is unread carries `Connection: close`.
 *
 * The scoring timeout bounds the whole exchange with a replica: armed at the first
 * dispatch, it is not cleared by the response head. Past it, a request still without a
 * head gets 504; one whose response is still being relayed (a slow replica, or a client
 * that does not read) has its relay aborted and its client connection closed (logged 504).
 * Either way the replica slot is free no later than `scoringTimeoutMs` after dispatch.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Dispatcher } from "undici";
import { UpstreamCall, type ResponseHeadWriter } from "./upstreamCall.js";
import type { AuthOutcome } from "./auth/authenticate.js";
import {
  acquire,
  eject,
  release,
  QueueFullError,
  QueueTimeoutError,
  ServiceGoneError,
  WithdrawnError,
  type QueueObserver,
} from "./dispatcher.js";
import {
  BodyTimeoutError,
  BodyTooLargeError,
  ClientBodyError,
  REPLAY_LIMIT_BYTES,
  StreamedBody,
  readSmallBody,
} from "./bodySource.js";
import { decideRetry, errorCode, neverReachedReplica } from "./retryDecision.js";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.js";
import { sendError } from "./errorResponse.js";
import type { Lease, ServiceState } from "./serviceState.js";
import type { ProxyContext, ServiceAction } from "./proxyContext.js";
import type { ExchangeObserver } from "./exchangeObserver.js";
import type { ServiceAuth } from "./auth/authenticate.js";
import { DEPLOYMENT_HEADER } from "./contract/endpointConfig.js";
import { ENDPOINT_SERVICE_CLASH_REASON, type EndpointRoute, type EndpointState } from "./endpoints/endpointTable.js";

/** How long a replica that refused a connection is skipped (the backend removes it soon after). */
const EJECT_MS = 2000;
/** Extra headers of an answer after which the connection cannot carry another request. Never mutated. */
const CLOSE: Readonly<Record<string, string>> = Object.freeze({ connection: "close" });
/** A busy service's 503: try again in a second (the queue wait is 500 ms by default). */
const RETRY_AFTER: Readonly<Record<string, string>> = Object.freeze({ "retry-after": "1" });
const RETRY_AFTER_CLOSE: Readonly<Record<string, string>> = Object.freeze({ "retry-after": "1", connection: "close" });

/** Settles a scoring timeout without a closure per request (setTimeout passes the exchange). */
function scoringTimedOut(x: ServiceExchange): void {
  x.scoringTimedOut();
}

/** One request's state from arrival to the access line. Each method is one step of proxyServiceRequest. */
export class ServiceExchange implements QueueObserver, ResponseHeadWriter {
  private readonly started = performance.now();
  /** Set by resolveService; every later step runs only when it was found. */
  private svc!: ServiceState;
  private known = false;
  private status = 0;
  private overheadMs = -1;
  private replicaId: string | undefined;
  private readonly hasBody: boolean;
  private readonly declared: number | undefined;
  // The client going away or the scoring timeout ends the current upstream attempt.
  private aborted = false;
  private timedOut = false;
  private call: UpstreamCall | undefined;
  /** Takes the request out of the queue while it waits for a slot. */
  private withdraw: (() => void) | undefined;
  private scoringTimer: NodeJS.Timeout | undefined;
  private body: "none" | "buffer" | "stream" = "none";
  private bodyData: Buffer | undefined;
  /** The current attempt's streamed body (a fresh one per attempt). */
  private bodyStream: StreamedBody | undefined;
  private upstreamHeaders!: Record<string, string | string[]>;
  private path = "";
  private timeout = 0;
  /** Replicas this request was sent to and failed on; allocated on the first retry. */
  private tried: Set<string> | undefined;
  private resets = 0;
  /** The attempt in flight: its slot and when it was dispatched (for the routing overhead). */
  private lease: Lease | undefined;
  private dispatchedAt = 0;
  /** Capture and telemetry of this exchange, when its service has either on (else nothing is allocated). */
  private obs: ExchangeObserver | undefined;
  /** Set when the name is an endpoint: then `svc` is the chosen version's service (routeVersion). */
  private endpoint: EndpointState | undefined;
  private route: EndpointRoute | undefined;
  private action: ServiceAction = "score";

  constructor(
    private readonly ctx: ProxyContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly serviceName: string,
    private readonly requestId: string,
  ) {
    const length = req.headers["content-length"];
    this.hasBody = length !== undefined ? length !== "0" : req.headers["transfer-encoding"] !== undefined;
    this.declared = length === undefined ? undefined : Number(length);
  }

  /**
   * Step: the service (or endpoint), the method, the declared size. Answers 404/405/413
   * itself, and 503 for a withdrawn name or one an endpoint and a service both claim.
   * An endpoint's version is chosen later (routeVersion), once the client is authenticated.
   */
  resolveService(action: ServiceAction): ServiceAuth | undefined {
    const { registry } = this.ctx;
    const svc = registry.get(this.serviceName);
    const endpoint = registry.endpoints.get(this.serviceName);
    // An error answered before the body was read closes the connection instead of draining the body.
    const closeIfBody = this.hasBody ? CLOSE : undefined;
    if (svc && endpoint)
      return this.fail(
        503,
        `${JSON.stringify(this.serviceName)} is unavailable: ${ENDPOINT_SERVICE_CLASH_REASON}`,
        closeIfBody,
      );
    if (!svc && !endpoint) {
      const withdrawn =
        registry.unavailableReason(this.serviceName) ?? registry.endpoints.unavailableReason(this.serviceName);
      if (withdrawn !== undefined) return this.fail(503, withdrawn, closeIfBody);
      // The name is not echoed back: the data port says nothing about what it does not serve.
      return this.fail(404, "no such service", closeIfBody);
    }
    if (svc) this.svc = svc;
    this.endpoint = endpoint;
    this.action = action;
    this.known = true;
    // An endpoint's request is observed as its version's, once routeVersion has chosen it.
    if (svc) this.obs = this.ctx.observers?.observe(svc, action, this.req, this.requestId);
    const method = this.req.method;
    if (action === "score" ? method !== "POST" && method !== "GET" : method !== "GET") {
      return this.fail(405, `method ${method} not allowed`, {
        allow: action === "score" ? "GET, POST" : "GET",
        ...closeIfBody,
      });
    }
    const max = this.ctx.maxRequestBytes;
    if (this.declared !== undefined && this.declared > max)
      return this.fail(413, `request body of ${this.declared} bytes exceeds the limit of ${max} bytes`, CLOSE);
    return endpoint ? endpoint.auth : svc!.auth;
  }

  /**
   * Step: an endpoint's version, pinned by the `azureml-model-deployment` header or by
   * weight (400 for an unknown pinned version, 503 when none is available). False when
   * answered. A plain service has nothing to choose.
   */
  routeVersion(): boolean {
    const endpoint = this.endpoint;
    if (!endpoint) return true;
    const outcome = this.ctx.registry.endpoints.route(endpoint, this.req.headers[DEPLOYMENT_HEADER]);
    if (!outcome.ok) {
      this.fail(outcome.status, outcome.message, this.hasBody ? CLOSE : undefined);
      return false;
    }
    this.route = outcome.route;
    this.svc = outcome.route.service;
    this.obs = this.ctx.observers?.observe(this.svc, this.action, this.req, this.requestId);
    return true;
  }

  /** Step: copies for the endpoint's mirror versions, sent without ever holding up this request. */
  mirror(): void {
    if (!this.route || this.action !== "score" || !this.ctx.mirrors) return;
    const targets = this.ctx.registry.endpoints.mirrorTargets(this.route);
    if (targets.length === 0) return;
    this.ctx.mirrors.send(this.route.endpoint.name, targets, {
      method: this.req.method!,
      path: this.path,
      headers: this.upstreamHeaders,
      // A streamed body cannot be copied without buffering it: such requests are not mirrored (and counted).
      body: this.body === "stream" ? "streamed" : (this.bodyData ?? null),
    });
  }

  /**
   * Step: listen for the client going away, before the first await (token verification):
   * a client that leaves during it must not be sent on to a replica, where a streamed
   * body that never comes would hold the replica's slot until the scoring timeout.
   */
  watchClient(): void {
    this.res.once("close", () => {
      clearTimeout(this.scoringTimer);
      if (!this.res.writableFinished) this.abort("client connection closed");
    });
  }

  /** Ends the exchange's current wait: the upstream attempt, or its place in the queue. */
  private abort(reason: string): void {
    if (this.aborted) return;
    this.aborted = true;
    this.call?.abort(new Error(reason));
    this.withdraw?.();
  }

  scoringTimedOut(): void {
    this.timedOut = true;
    this.abort("scoring timeout");
  }

  /** Step: the credential's verdict. False when the exchange is over (401, or the client left meanwhile). */
  authorized(outcome: AuthOutcome): boolean {
    if (!outcome.ok) {
      if (outcome.status !== 503) this.ctx.metrics.countAuthFailure(this.serviceName);
      this.fail(outcome.status, outcome.message, {
        ...(outcome.challenge ? { "www-authenticate": outcome.challenge } : { "retry-after": "5" }),
        ...(this.hasBody ? CLOSE : undefined),
      });
      return false;
    }
    if (this.aborted) {
      this.clientGone();
      return false;
    }
    return true;
  }

  /**
   * Step: with the queue already full, 503 at once, before reading a body that could not
   * be served. False when answered. (With nobody queued a free replica may take it.)
   */
  roomInQueue(): boolean {
    const queued = this.svc.queued;
    if (queued === 0 || queued < this.svc.config.maxQueuedRequests) return true;
    this.queueFull(this.hasBody ? RETRY_AFTER_CLOSE : RETRY_AFTER);
    return false;
  }

  private queueFull(extra: Readonly<Record<string, string>>): void {
    this.fail(
      503,
      `all replicas busy and ${this.svc.config.maxQueuedRequests} requests already queued (maxQueuedRequests)`,
      extra,
    );
  }

  /**
   * Step: a small body (declared, <= REPLAY_LIMIT_BYTES) is read whole so it can be
   * replayed; the promise of it is returned. Anything larger or chunked is streamed to
   * the replica later (undefined).
   */
  startBody(): Promise<Buffer> | undefined {
    if (!this.hasBody) return undefined;
    if (this.declared !== undefined && this.declared <= REPLAY_LIMIT_BYTES) {
      this.body = "buffer";
      return readSmallBody(this.req, this.declared, this.svc.config.scoringTimeoutMs);
    }
    this.body = "stream";
    return undefined;
  }

  bodyBuffered(data: Buffer): void {
    this.bodyData = data;
    this.obs?.requestBody(data);
  }

  /** The small body did not arrive: 408 when it stalled, otherwise the client failed or left (499). */
  bodyFailed(e: unknown): void {
    if (e instanceof BodyTimeoutError) this.fail(408, e.message, CLOSE);
    else {
      this.res.destroy();
      this.clientGone();
    }
  }

  /** Step: what every attempt sends. */
  prepareUpstream(action: ServiceAction, query: string): void {
    const { req, svc } = this;
    // The client's credential is for the endpoint when it called one.
    const dropAuth = (this.endpoint?.auth ?? svc.auth).mode === "key";
    this.upstreamHeaders = upstreamRequestHeaders(req.headers, this.requestId, dropAuth, req.socket.remoteAddress);
    this.path = (action === "score" ? "/score" : "/swagger.json") + query;
    this.timeout = svc.config.scoringTimeoutMs;
  }

  /** Step: a replica slot at once, or a queued wait for one (never on a replica this request already failed on). */
  acquireSlot(): Lease | Promise<Lease> {
    return acquire(this.svc, this.tried, this);
  }

  /** QueueObserver: the request is waiting in the queue. */
  queued(withdraw: () => void): void {
    this.withdraw = withdraw;
  }

  /** No slot: withdrawn (scoring timeout 504, or the client left 499), the queue wait passed (503), the service went (503). */
  slotRefused(e: unknown): void {
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

  /** A slot was granted. False when the client left while it waited (the slot is given back). */
  granted(lease: Lease): boolean {
    this.withdraw = undefined;
    this.replicaId = lease.replica.endpoint.id;
    if (lease.queuedMs > 0) this.ctx.metrics.observeQueueWait(this.serviceName, lease.queuedMs / 1000);
    if (this.aborted) {
      release(lease);
      this.clientGone();
      return false;
    }
    return true;
  }

  /** Step: one attempt on the leased replica; the response streams straight to the client. */
  relay(lease: Lease): UpstreamCall {
    let sendBody: Dispatcher.DispatchOptions["body"] = null;
    if (this.body === "buffer") sendBody = this.bodyData!;
    else if (this.body === "stream")
      sendBody = this.bodyStream = new StreamedBody(this.req, this.ctx.maxRequestBytes, this.obs);
    this.lease = lease;
    this.dispatchedAt = performance.now();
    this.scoringTimer ??= setTimeout(scoringTimedOut, this.timeout, this);
    this.obs?.attemptStarted(lease.replica.endpoint.url, this.req.method!, this.path, this.upstreamHeaders);
    const call = new UpstreamCall(this.res, this, this.ctx.writeStalls, this.obs);
    this.call = call;
    this.ctx.agent.dispatch(
      {
        origin: lease.replica.endpoint.url,
        path: this.path,
        method: this.req.method!,
        headers: this.upstreamHeaders,
        body: sendBody,
        headersTimeout: 0,
        bodyTimeout: this.timeout,
      },
      call,
    );
    return call;
  }

  /** ResponseHeadWriter: the replica answered; its head goes to the client now. */
  writeResponseHead(statusCode: number, upstreamHeaders: IncomingHttpHeaders): void {
    const headersAt = performance.now();
    this.status = statusCode;
    this.obs?.responseHead(statusCode, upstreamHeaders);
    const outHeaders = clientResponseHeaders(upstreamHeaders, this.requestId);
    if (this.route) outHeaders[DEPLOYMENT_HEADER] = this.route.version;
    // A replica may answer before it has read the whole body. The router then stops
    // reading the client's body, so the connection cannot carry another request: close
    // it after this response instead of leaving the client stuck on its unread upload.
    if (this.ctx.draining() || (this.body === "stream" && !this.req.complete)) outHeaders.connection = "close";
    this.res.writeHead(statusCode, outHeaders);
    this.overheadMs = performance.now() - this.started - this.lease!.queuedMs - (headersAt - this.dispatchedAt);
  }

  /** Step: the attempt failed before any response byte. Releases the slot; "retry" sends the request on. */
  attemptFailed(lease: Lease, e: Error): "retry" | "done" {
    release(lease);
    this.obs?.attemptEnded(0, e);
    if (this.timedOut) this.scoringTimeoutAnswer();
    else if (this.aborted) this.clientGone();
    else if (e instanceof BodyTooLargeError) this.fail(413, e.message, CLOSE);
    else if (e instanceof ClientBodyError) {
      this.status = 400;
      this.res.destroy();
      this.finish();
    } else return this.retryOrFail(lease, e);
    return "done";
  }

  /** The replica failed the request (see retryDecision.ts for when it goes to another one). */
  private retryOrFail(lease: Lease, e: Error): "retry" | "done" {
    const code = errorCode(e);
    const replica = lease.replica;
    const id = replica.endpoint.id;
    // A replica that refused the connection is skipped for a while, whether or not this request goes on.
    if (neverReachedReplica(code)) eject(replica, EJECT_MS);
    const replayable = this.body !== "stream" || !this.bodyStream!.pulled;
    const decision = decideRetry(code, replayable, this.resets, this.untriedReplicas(id));
    const { log } = this.ctx;
    if (decision !== "fail-502") {
      this.tried ??= new Set();
      this.tried.add(id);
      if (decision === "retry-once-after-reset") this.resets++;
      this.ctx.metrics.countRetry(this.serviceName);
      log.warn(
        { reqId: this.requestId, service: this.serviceName, replica: id, code },
        "replica connection failed before a response; retrying on another replica",
      );
      return "retry";
    }
    log.warn({ reqId: this.requestId, service: this.serviceName, replica: id, code }, "replica failed");
    this.fail(502, "the replica failed before responding", this.closeIfBodyUnread());
    return "done";
  }

  /** Ready replicas other than `failed` that this request has not been sent to. */
  private untriedReplicas(failed: string): number {
    let n = 0;
    for (const r of this.svc.replicas) if (r.endpoint.id !== failed && !this.tried?.has(r.endpoint.id)) n++;
    return n;
  }

  /** Step: the response was relayed, or broke off after its head. Releases the slot and finishes. */
  relayed(lease: Lease, err: Error | undefined): void {
    release(lease);
    this.obs?.attemptEnded(this.status, err);
    if (this.timedOut && err) {
      // The head went out but the rest was not relayed within the scoring timeout: a slow
      // replica or a client that does not read. Only closing the connection says so.
      this.status = 504;
      this.res.destroy();
      this.ctx.log.warn(
        { reqId: this.requestId, service: this.serviceName, replica: lease.replica.endpoint.id },
        "response not relayed within scoringTimeoutMs; connection closed",
      );
    } else if (err && !this.aborted) {
      // Headers are out: the only honest signal left is an aborted connection.
      this.status = 502;
      this.res.destroy();
      this.ctx.log.warn(
        { reqId: this.requestId, service: this.serviceName, replica: lease.replica.endpoint.id, code: errorCode(err) },
        "replica failed mid-response; connection aborted",
      );
    } else if (err || this.aborted) this.status = 499;
    this.finish();
  }

  private scoringTimeoutAnswer(): void {
    this.fail(504, `replica did not answer within ${this.timeout} ms (scoringTimeoutMs)`, this.closeIfBodyUnread());
  }

  /** A streamed body that was not read to the end leaves the connection unusable. */
  private closeIfBodyUnread(): Readonly<Record<string, string>> | undefined {
    return this.body === "stream" ? CLOSE : undefined;
  }

  /** The client left before an answer: nothing to send, logged as 499. */
  private clientGone(): void {
    this.status = 499;
    this.finish();
  }

  private fail(code: number, message: string, extra?: Readonly<Record<string, string>>): undefined {
    this.status = code;
    const version = this.route ? { [DEPLOYMENT_HEADER]: this.route.version } : undefined;
    sendError(this.res, code, message, this.requestId, version ? { ...extra, ...version } : extra);
    this.finish();
    return undefined;
  }

  /** Step: metrics and the access line, once per request. */
  private finish(): void {
    clearTimeout(this.scoringTimer);
    const totalMs = performance.now() - this.started;
    this.obs?.finished({ status: this.status, totalMs, overheadMs: this.overheadMs, replicaId: this.replicaId });
    if (this.route && this.action === "score") this.ctx.registry.endpoints.observe(this.route, this.status, totalMs);
    this.ctx.metrics.observeRequest(
      this.known ? this.serviceName : "(unknown)",
      this.status,
      totalMs / 1000,
      this.overheadMs / 1000,
    );
    this.ctx.log.info(
      {
        reqId: this.requestId,
        service: this.serviceName,
        method: this.req.method,
        status: this.status,
        version: this.route?.version,
        replica: this.replicaId,
        ms: Math.round(totalMs * 100) / 100,
      },
      "request",
    );
  }
}
