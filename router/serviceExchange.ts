/**
 * One model service request from arrival to the access line, as a sequence of steps:
 * resolve the service (or endpoint) -> authenticate -> an endpoint's version -> room in the
 * queue -> read or stream the body -> (mirrored copies) ->
 * acquire a replica slot (maybe queued) -> relay through the upstream pool -> release ->
 * finish (metrics and the access line). A failed attempt may go back to "acquire" for
 * another replica (the retry rule, retryDecision.ts). The statuses are listed in
 * router/README.md; an error answered while the client's body is unread carries
 * `Connection: close`.
 *
 * The exchange is the listener of every event it waits for (the token check, the small
 * body, the queue, the replica, its deadline, the client leaving), so a request costs one
 * object, a lease, an upstream call and one deadline: no closure, promise or async function
 * on the way of a key-auth request (a token check is a promise).
 *
 * One deadline bounds the request (on the worker's shared timer, deadlines.ts): armed when
 * a small body starts being read (408 if it has not arrived within `scoringTimeoutMs`),
 * re-armed at the first dispatch for the exchange with a replica, which is not cleared by
 * the response head. Past it, a request still without a head gets 504; one whose response
 * is still being relayed (a slow replica, or a client that does not read) has its relay
 * aborted and its client connection closed (logged 504). Either way the replica slot is
 * free no later than `scoringTimeoutMs` after dispatch.
 */
import type { ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Dispatcher } from "undici";
import { UpstreamCall } from "./upstreamCall.js";
import { authenticate, type AuthOutcome } from "./auth/authenticate.js";
import { acquire, release, withdraw, type QueueObserver, type Waiter } from "./dispatcher.js";
import { REPLAY_LIMIT_BYTES, StreamedBody, abandonSmallBody, readSmallBody, type SmallBodySink } from "./bodySource.js";
import { upstreamRequestHeaders } from "./headers.js";
import type { Lease, ServiceState } from "./serviceState.js";
import { CLOSE, RETRY_AFTER, RETRY_AFTER_CLOSE } from "./exchangeState.js";
import { ReplicaOutcome } from "./replicaOutcome.js";
import type { ServiceAuth } from "./auth/authenticate.js";
import { DEPLOYMENT_HEADER } from "./contract/endpointConfig.js";
import { ENDPOINT_SERVICE_CLASH_REASON } from "./endpoints/endpointTable.js";
import { Deadline, type DeadlineHolder } from "./deadlines.js";

const kExchange = Symbol("aksml.exchange");
type ExchangeResponse = ServerResponse & { [kExchange]?: ServiceExchange };

/** A shared listener (no closure per request): it finds the exchange from its emitter. */
function clientClosed(this: ExchangeResponse): void {
  this[kExchange]?.clientClosed();
}

/** One request: the steps, each continuing from the event it waited for. */
export class ServiceExchange extends ReplicaOutcome implements QueueObserver, SmallBodySink, DeadlineHolder {
  /** Runs the steps up to the first wait. */
  start(): void {
    try {
      const credentials = this.resolveService();
      if (!credentials) return;
      this.watchClient();
      const auth = authenticate(credentials, this.req.headers.authorization);
      if (auth instanceof Promise)
        auth.then(
          (outcome) => this.authenticated(outcome),
          (e) => this.crashed(e),
        );
      else this.authenticated(auth);
    } catch (e) {
      this.crashed(e);
    }
  }

  /**
   * Step: the service (or endpoint), the method, the declared size. Answers 404/405/413
   * itself, and 503 for a withdrawn name or one an endpoint and a service both claim.
   * An endpoint's version is chosen later (routeVersion), once the client is authenticated.
   */
  private resolveService(): ServiceAuth | undefined {
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
    this.endpoint = endpoint;
    this.known = true;
    if (svc) this.useService(svc);
    const method = this.req.method;
    const score = this.action === "score";
    if (score ? method !== "POST" && method !== "GET" : method !== "GET") {
      return this.fail(405, `method ${method} not allowed`, {
        allow: score ? "GET, POST" : "GET",
        ...closeIfBody,
      });
    }
    const max = this.ctx.maxRequestBytes;
    if (this.declared !== undefined && this.declared > max)
      return this.fail(413, `request body of ${this.declared} bytes exceeds the limit of ${max} bytes`, CLOSE);
    return endpoint ? endpoint.auth : svc!.auth;
  }

  /** The service that serves the request (an endpoint's once its version is chosen), and its observers. */
  private useService(svc: ServiceState): void {
    this.svc = svc;
    this.timeout = svc.config.scoringTimeoutMs;
    this.obs = this.ctx.observers?.observe(svc, this.action, this.req, this.requestId);
  }

  /**
   * Step: an endpoint's version, pinned by the `azureml-model-deployment` header or by
   * weight (400 for an unknown pinned version, 503 when none is available). False when
   * answered. A plain service has nothing to choose.
   */
  private routeVersion(): boolean {
    const endpoint = this.endpoint;
    if (!endpoint) return true;
    const outcome = this.ctx.registry.endpoints.route(endpoint, this.req.headers[DEPLOYMENT_HEADER]);
    if (!outcome.ok) {
      this.fail(outcome.status, outcome.message, this.hasBody ? CLOSE : undefined);
      return false;
    }
    this.route = outcome.route;
    this.useService(outcome.route.service);
    return true;
  }

  /** Step: copies for the endpoint's mirror versions (this worker's MirrorSender), never holding up this request. */
  private mirror(): void {
    if (!this.route || this.action !== "score" || !this.ctx.mirrors) return;
    const targets = this.ctx.registry.endpoints.mirrorTargets(this.route);
    if (targets.length === 0) return;
    this.ctx.mirrors.send(this.route.endpoint.name, targets, {
      method: this.req.method!,
      path: this.path,
      headers: this.upstreamHeaders!,
      // A streamed body cannot be copied without buffering it: such requests are not mirrored (and counted).
      body: this.body === "stream" ? "streamed" : (this.bodyData ?? null),
    });
  }

  /**
   * Step: listen for the client going away, before the first wait (token verification):
   * a client that leaves during it must not be sent on to a replica, where a streamed
   * body that never comes would hold the replica's slot until the scoring timeout.
   */
  private watchClient(): void {
    (this.res as ExchangeResponse)[kExchange] = this;
    this.res.on("close", clientClosed);
  }

  clientClosed(): void {
    if (this.deadline) this.ctx.deadlines.cancel(this.deadline);
    if (this.res.writableFinished) return;
    if (this.readingBody) {
      // The body's events may never come now: stop reading and account for the request.
      this.readingBody = false;
      this.aborted = true;
      abandonSmallBody(this.req);
      this.clientGone();
      return;
    }
    this.abort("client connection closed");
  }

  /** Ends the exchange's current wait: the upstream attempt, or its place in the queue. */
  private abort(reason: string): void {
    if (this.aborted) return;
    this.aborted = true;
    this.call?.abort(new Error(reason));
    if (this.waiter) withdraw(this.svc, this.waiter); // refused with WithdrawnError
  }

  deadlineReached(): void {
    try {
      if (this.readingBody) {
        // The small body did not arrive in time.
        this.readingBody = false;
        abandonSmallBody(this.req);
        this.fail(408, `the request body did not arrive within ${this.timeout} ms`, CLOSE);
      } else if (this.dispatched) {
        this.timedOut = true;
        this.abort("scoring timeout");
      }
      // Otherwise the body arrived and the request waits for its first slot: the queue wait bounds that.
    } catch (e) {
      this.crashed(e);
    }
  }

  /** Step: the credential's verdict (a refusal, or the client left meanwhile), then the queue bound and the body. */
  private authenticated(outcome: AuthOutcome): void {
    try {
      if (!outcome.ok) {
        // A 503 (the token issuer cannot be reached) is not the client's failure.
        if (outcome.status !== 503) this.ctx.metrics.countAuthFailure(this.serviceName);
        this.fail(outcome.status, outcome.message, {
          ...(outcome.challenge ? { "www-authenticate": outcome.challenge } : { "retry-after": "5" }),
          ...(this.hasBody ? CLOSE : undefined),
        });
        return;
      }
      if (this.aborted) {
        this.clientGone();
        return;
      }
      if (!this.routeVersion()) return;
      if (!this.roomInQueue()) return;
      if (this.startBody()) return; // continues in smallBodyRead
      this.attempt();
    } catch (e) {
      this.crashed(e);
    }
  }

  /**
   * Step: with the queue already full, 503 at once, before reading a body that could not
   * be served. False when answered. (With nobody queued a free replica may take it.)
   */
  private roomInQueue(): boolean {
    const queued = this.svc.queued;
    if (queued === 0 || queued < this.svc.config.maxQueuedRequests) return true;
    this.queueFull(this.hasBody ? RETRY_AFTER_CLOSE : RETRY_AFTER);
    return false;
  }

  /**
   * Step: a small body (declared, <= REPLAY_LIMIT_BYTES) is read whole so it can be
   * replayed (true: the exchange goes on once it is read). Anything larger or chunked is
   * streamed to the replica later.
   */
  private startBody(): boolean {
    if (!this.hasBody) return false;
    if (this.declared !== undefined && this.declared <= REPLAY_LIMIT_BYTES) {
      this.body = "buffer";
      this.readingBody = true;
      this.deadline = new Deadline(this);
      this.ctx.deadlines.arm(this.deadline, this.timeout);
      readSmallBody(this.req, this.declared, this);
      return true;
    }
    this.body = "stream";
    return false;
  }

  smallBodyRead(data: Buffer): void {
    try {
      this.readingBody = false;
      this.bodyData = data;
      this.obs?.requestBody(data);
      if (this.aborted) {
        this.clientGone();
        return;
      }
      this.attempt();
    } catch (e) {
      this.crashed(e);
    }
  }

  /** The small body did not arrive: the client failed or left (499). */
  smallBodyFailed(_e: Error): void {
    try {
      this.readingBody = false;
      this.res.destroy();
      this.clientGone();
    } catch (e) {
      this.crashed(e);
    }
  }

  /** Step: a replica slot at once, or a place in the queue (never on a replica this request already failed on). */
  protected attempt(): void {
    if (this.upstreamHeaders === undefined) {
      const { req } = this;
      // The client's credential is for the endpoint when it called one.
      const dropAuth = (this.endpoint?.auth ?? this.svc.auth).mode === "key";
      this.upstreamHeaders = upstreamRequestHeaders(req.headers, this.requestId, dropAuth, req.socket.remoteAddress);
      this.path = (this.action === "score" ? "/score" : "/swagger.json") + this.query;
      this.mirror();
    }
    let lease: Lease | undefined;
    try {
      lease = acquire(this.svc, this.tried, this);
    } catch (e) {
      this.slotRefused(e);
      return;
    }
    if (lease) this.slotGranted(lease);
  }

  /** QueueObserver: the request waits in the queue. */
  queued(waiter: Waiter): void {
    this.waiter = waiter;
  }

  /** QueueObserver: a slot became free for it. */
  granted(lease: Lease): void {
    try {
      this.waiter = undefined;
      this.slotGranted(lease);
    } catch (e) {
      this.crashed(e);
    }
  }

  /** QueueObserver: no slot. */
  refused(err: Error): void {
    try {
      this.waiter = undefined;
      this.slotRefused(err);
    } catch (e) {
      this.crashed(e);
    }
  }

  /** A slot: relayed, unless the client left while it waited (the slot is given back). */
  private slotGranted(lease: Lease): void {
    this.replicaId = lease.replica.endpoint.id;
    if (lease.queuedMs > 0) this.ctx.metrics.observeQueueWait(this.serviceName, lease.queuedMs / 1000);
    if (this.aborted || this.finished) {
      release(lease);
      if (!this.finished) this.clientGone();
      return;
    }
    this.relay(lease);
  }

  /** Step: one attempt on the leased replica; the response streams straight to the client. */
  private relay(lease: Lease): void {
    let sendBody: Dispatcher.DispatchOptions["body"] = null;
    if (this.body === "buffer") sendBody = this.bodyData!;
    else if (this.body === "stream")
      sendBody = this.bodyStream = new StreamedBody(this.req, this.ctx.maxRequestBytes, this.obs);
    this.lease = lease;
    this.dispatchedAt = performance.now();
    if (!this.dispatched) {
      this.dispatched = true;
      // The small body's deadline, re-armed (also one that already passed) from the dispatch.
      this.deadline ??= new Deadline(this);
      this.ctx.deadlines.arm(this.deadline, this.timeout, this.dispatchedAt);
    }
    this.obs?.attemptStarted(lease.replica.endpoint.url, this.req.method!, this.path, this.upstreamHeaders!);
    const call = new UpstreamCall(this.res, this, this.ctx.writeStalls, this.obs);
    this.call = call;
    this.ctx.agent.dispatch(
      {
        origin: lease.replica.endpoint.url,
        path: this.path,
        method: this.req.method!,
        headers: this.upstreamHeaders,
        body: sendBody,
        // No undici timers: the exchange's deadline (scoringTimeoutMs from the first dispatch,
        // retries included) bounds the head and the body, and aborts the call when it passes.
        // undici's own body timeout would be one more timer set and cleared per request.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      call,
    );
  }
}
