/**
 * What a scoring request's attempt on a replica ends in, the second half of a
 * ServiceExchange (serviceExchange.ts): the replica's response head relayed to the
 * client, or a failure before any response byte (the slot released, then 413/400/499/504,
 * or the retry rule, retryDecision.ts: another replica, or 502), or the end of the relay
 * (the slot released; a response broken off after its head closes the connection).
 */
import type { IncomingHttpHeaders } from "node:http";
import type { UpstreamObserver } from "./upstreamCall.js";
import { eject, release } from "./dispatcher.js";
import { BodyTooLargeError, ClientBodyError } from "./bodySource.js";
import { decideRetry, errorCode, neverReachedReplica } from "./retryDecision.js";
import { clientResponseHeaders } from "./headers.js";
import type { Lease } from "./serviceState.js";
import { CLOSE, ExchangeState } from "./exchangeState.js";
import { DEPLOYMENT_HEADER } from "./contract/endpointConfig.js";

/** How long a replica that refused a connection is skipped (the backend removes it soon after). */
const EJECT_MS = 2000;

/** A shared callback (no closure per request). */
function failedAttemptNextTick(x: ReplicaOutcome, e: Error): void {
  x.afterFailedAttempt(e);
}

/** The replica's side of an exchange; the exchange's steps supply `attempt` (a slot again, for a retry). */
export abstract class ReplicaOutcome extends ExchangeState implements UpstreamObserver {
  /** Step: a replica slot at once, or a place in the queue. */
  protected abstract attempt(): void;

  /** UpstreamObserver: the replica answered; its head goes to the client now. */
  writeResponseHead(statusCode: number, upstreamHeaders: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.obs?.responseHead(statusCode, upstreamHeaders);
    const outHeaders = clientResponseHeaders(upstreamHeaders, this.requestId);
    if (this.route) outHeaders[DEPLOYMENT_HEADER] = this.route.version;
    // A replica may answer before it has read the whole body. The router then stops
    // reading the client's body, so the connection cannot carry another request: close
    // it after this response instead of leaving the client stuck on its unread upload.
    if (this.ctx.draining() || (this.body === "stream" && !this.req.complete)) outHeaders.connection = "close";
    this.res.writeHead(statusCode, outHeaders);
    // End to end minus queue wait minus replica time, up to the head: arrival to this attempt's dispatch, not queued.
    this.overheadMs = this.dispatchedAt - this.started - this.lease!.queuedMs;
  }

  /** UpstreamObserver: the attempt failed before any response byte; handled on the next tick (a retry dispatches again). */
  upstreamFailed(error: Error): void {
    process.nextTick(failedAttemptNextTick, this, error);
  }

  /** Step: the attempt failed before any response byte. Releases the slot; may send the request on. */
  afterFailedAttempt(e: Error): void {
    try {
      const lease = this.lease!;
      release(lease);
      if (this.finished) return;
      this.obs?.attemptEnded(0, e);
      if (this.timedOut) this.scoringTimeoutAnswer();
      else if (this.aborted) this.clientGone();
      else if (e instanceof BodyTooLargeError) this.fail(413, e.message, CLOSE);
      else if (e instanceof ClientBodyError) {
        this.status = 400;
        this.res.destroy();
        this.finish();
      } else if (this.retryOrFail(lease, e)) this.attempt();
    } catch (err) {
      this.crashed(err);
    }
  }

  /** The replica failed the request (see retryDecision.ts for when it goes to another one). True: retry. */
  private retryOrFail(lease: Lease, e: Error): boolean {
    const code = errorCode(e);
    const replica = lease.replica;
    const id = replica.endpoint.id;
    // A replica that refused the connection is skipped for a while, whether or not this request goes on.
    if (neverReachedReplica(code)) eject(this.svc, replica, EJECT_MS);
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
      return true;
    }
    log.warn({ reqId: this.requestId, service: this.serviceName, replica: id, code }, "replica failed");
    this.fail(502, "the replica failed before responding", this.closeIfBodyUnread());
    return false;
  }

  /** Ready replicas other than `failed` that this request has not been sent to. */
  private untriedReplicas(failed: string): number {
    let n = 0;
    for (const r of this.svc.replicas) if (r.endpoint.id !== failed && !this.tried?.has(r.endpoint.id)) n++;
    return n;
  }

  /** UpstreamObserver, step: the response was relayed, or broke off after its head. Releases the slot and finishes. */
  upstreamFinished(err: Error | undefined): void {
    try {
      const lease = this.lease!;
      release(lease);
      if (this.finished) return;
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
          {
            reqId: this.requestId,
            service: this.serviceName,
            replica: lease.replica.endpoint.id,
            code: errorCode(err),
          },
          "replica failed mid-response; connection aborted",
        );
      } else if (err || this.aborted) this.status = 499;
      this.finish();
    } catch (e) {
      this.crashed(e);
    }
  }
}
