/**
 * The data path for one model service request:
 * auth -> body -> replica lease (maybe queued) -> upstream (undici pool) -> stream back.
 *
 * Retry rule (a dead replica costs no request that had not reached it): when the
 * upstream attempt fails before any response byte arrived, the request goes to
 * another replica if its body can be sent again, which is when the body is absent,
 * was small enough to hold (<= 64 KiB by Content-Length), or is streamed but not a
 * byte of it was read from the client yet. Connection refused / connect timeout /
 * unreachable (the request never reached the replica) retry on every replica once;
 * a reset or close after connecting (the replica may have started the request)
 * retries at most once, so a request that crashes replicas cannot take down many.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Agent, Dispatcher } from "undici";
import { UpstreamCall } from "./upstreamCall.js";
import { authenticate, type AuthOutcome } from "./auth/authenticate.js";
import { acquire, eject, release, QueueTimeoutError, ServiceGoneError, WithdrawnError } from "./dispatcher.js";
import {
  BodyTimeoutError,
  BodyTooLargeError,
  ClientBodyError,
  REPLAY_LIMIT_BYTES,
  StreamedBody,
  readSmallBody,
} from "./bodySource.js";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.js";
import type { Lease } from "./serviceState.js";
import type { ServiceRegistry } from "./registry.js";
import type { RouterMetrics } from "./metrics.js";
import type { Logger } from "./log.js";

export interface ProxyContext {
  registry: ServiceRegistry;
  metrics: RouterMetrics;
  log: Logger;
  agent: Agent;
  maxRequestBytes: number;
  /** True once shutdown began: responses then carry `Connection: close`. */
  draining(): boolean;
}

export type ServiceAction = "score" | "swagger";

const NEVER_REACHED = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const DROPPED_BEFORE_RESPONSE = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
/** How long a replica that refused a connection is skipped (the backend removes it soon after). */
const EJECT_MS = 2000;

type Body = { kind: "none" } | { kind: "buffer"; data: Buffer } | { kind: "stream"; current: StreamedBody | undefined };

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 3 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  requestId: string,
  extra?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: status, message, requestId } });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-ms-request-id": requestId,
    ...extra,
  });
  res.end(body);
}

export async function proxyServiceRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  serviceName: string,
  action: ServiceAction,
  query: string,
  requestId: string,
): Promise<void> {
  const started = performance.now();
  const svc = ctx.registry.get(serviceName);
  let status = 0;
  let overheadMs = -1;
  let replicaId: string | undefined;
  const finish = () => {
    const totalMs = performance.now() - started;
    ctx.metrics.observeRequest(svc ? serviceName : "(unknown)", status, totalMs / 1000, overheadMs / 1000);
    ctx.log.info(
      {
        reqId: requestId,
        service: serviceName,
        method: req.method,
        status,
        replica: replicaId,
        ms: Math.round(totalMs * 100) / 100,
      },
      "request",
    );
  };
  const fail = (code: number, message: string, extra?: Record<string, string>) => {
    status = code;
    sendError(res, code, message, requestId, extra);
    finish();
  };
  const hasBody =
    req.headers["content-length"] !== undefined
      ? req.headers["content-length"] !== "0"
      : req.headers["transfer-encoding"] !== undefined;
  // An error answered before the body was read closes the connection instead of draining the body.
  const closeIfBody: Record<string, string> | undefined = hasBody ? { connection: "close" } : undefined;

  if (!svc) return fail(404, `no service named ${JSON.stringify(serviceName)}`, closeIfBody);
  const method = req.method;
  if (action === "score" ? method !== "POST" && method !== "GET" : method !== "GET") {
    return fail(405, `method ${method} not allowed`, {
      allow: action === "score" ? "GET, POST" : "GET",
      ...closeIfBody,
    });
  }
  const declared = req.headers["content-length"] === undefined ? undefined : Number(req.headers["content-length"]);
  if (declared !== undefined && declared > ctx.maxRequestBytes) {
    return fail(413, `request body of ${declared} bytes exceeds the limit of ${ctx.maxRequestBytes} bytes`, {
      connection: "close",
    });
  }

  // The client going away or the scoring timeout ends the current upstream attempt.
  // Listened for before the first await (token verification): a client that leaves
  // during it must not be sent on to a replica, where a streamed body that never comes
  // would hold the replica's slot until the scoring timeout.
  let aborted = false;
  let timedOut = false;
  let current: UpstreamCall | undefined;
  let onAbort: (() => void) | undefined;
  const doAbort = (reason: string) => {
    if (aborted) return;
    aborted = true;
    current?.abort(new Error(reason));
    onAbort?.();
  };
  let scoringTimer: NodeJS.Timeout | undefined;
  res.once("close", () => {
    clearTimeout(scoringTimer);
    if (!res.writableFinished) doAbort("client connection closed");
  });

  let outcome: AuthOutcome | Promise<AuthOutcome> = authenticate(svc.auth, req.headers.authorization);
  if (outcome instanceof Promise) outcome = await outcome;
  if (!outcome.ok) {
    ctx.metrics.countAuthFailure(serviceName);
    return fail(401, "missing or invalid credentials", { "www-authenticate": outcome.challenge, ...closeIfBody });
  }
  if (aborted) {
    status = 499;
    return finish();
  }

  let body: Body = { kind: "none" };
  if (hasBody) {
    if (declared !== undefined && declared <= REPLAY_LIMIT_BYTES) {
      try {
        body = { kind: "buffer", data: await readSmallBody(req, declared, svc.config.scoringTimeoutMs) };
      } catch (e) {
        if (e instanceof BodyTimeoutError) return fail(408, e.message, { connection: "close" });
        status = 499;
        res.destroy();
        return finish();
      }
    } else body = { kind: "stream", current: undefined };
  }

  const dropAuth = svc.auth.mode === "key";
  const headers = upstreamRequestHeaders(req.headers, requestId, dropAuth, req.socket.remoteAddress);
  const path = (action === "score" ? "/score" : "/swagger.json") + query;
  const timeout = svc.config.scoringTimeoutMs;
  const tried = new Set<string>();
  let resets = 0;

  for (;;) {
    let lease: Lease;
    try {
      const got = acquire(svc, tried.size ? tried : undefined, (withdraw) => (onAbort = withdraw));
      lease = got instanceof Promise ? await got : got;
    } catch (e) {
      if (e instanceof WithdrawnError) {
        // Withdrawn by doAbort: the scoring timeout (a retry waiting for another replica) or the client leaving.
        if (timedOut)
          return fail(504, `replica did not answer within ${timeout} ms (scoringTimeoutMs)`, closeIfBodyUnread(body));
        status = 499;
        return finish();
      }
      if (e instanceof QueueTimeoutError) {
        ctx.metrics.observeQueueWait(serviceName, e.waitedMs / 1000);
        return fail(
          503,
          `all replicas busy: no replica became free within ${e.waitedMs} ms (maxRequestWaitTimeMs)`,
          closeIfBodyUnread(body),
        );
      }
      if (e instanceof ServiceGoneError) return fail(503, e.message, closeIfBodyUnread(body));
      throw e;
    }
    onAbort = undefined;
    replicaId = lease.replica.endpoint.id;
    if (lease.queuedMs > 0) ctx.metrics.observeQueueWait(serviceName, lease.queuedMs / 1000);
    if (aborted) {
      release(lease);
      status = 499;
      return finish();
    }

    let sendBody: Dispatcher.DispatchOptions["body"] = null;
    if (body.kind === "buffer") sendBody = body.data;
    else if (body.kind === "stream") sendBody = body.current = new StreamedBody(req, ctx.maxRequestBytes);

    const dispatchedAt = performance.now();
    scoringTimer ??= setTimeout(() => {
      timedOut = true;
      doAbort("scoring timeout");
    }, timeout);
    let headersAt = 0;
    const call = new UpstreamCall(res, (statusCode, upstreamHeaders) => {
      clearTimeout(scoringTimer);
      headersAt = performance.now();
      status = statusCode;
      const outHeaders = clientResponseHeaders(upstreamHeaders, requestId);
      // A replica may answer before it has read the whole body. The router then stops
      // reading the client's body, so the connection cannot carry another request: close
      // it after this response instead of leaving the client stuck on its unread upload.
      if (ctx.draining() || (body.kind === "stream" && !req.complete)) outHeaders.connection = "close";
      res.writeHead(statusCode, outHeaders);
      overheadMs = performance.now() - started - lease.queuedMs - (headersAt - dispatchedAt);
    });
    current = call;
    ctx.agent.dispatch(
      {
        origin: lease.replica.endpoint.url,
        path,
        method: method!,
        headers,
        body: sendBody,
        headersTimeout: 0,
        bodyTimeout: timeout,
      },
      call,
    );
    const outcome = await call.started;
    if (!outcome.ok) {
      const e = outcome.error;
      release(lease);
      if (timedOut)
        return fail(504, `replica did not answer within ${timeout} ms (scoringTimeoutMs)`, closeIfBodyUnread(body));
      if (aborted) {
        status = 499;
        return finish();
      }
      if (e instanceof BodyTooLargeError) return fail(413, e.message, { connection: "close" });
      if (e instanceof ClientBodyError) {
        status = 400;
        res.destroy();
        return finish();
      }
      const code = errorCode(e);
      const replayable = body.kind !== "stream" || !body.current!.pulled;
      const neverReached = code !== undefined && NEVER_REACHED.has(code);
      const dropped = code !== undefined && DROPPED_BEFORE_RESPONSE.has(code) && resets < 1;
      if (replayable && (neverReached || dropped)) {
        tried.add(lease.replica.endpoint.id);
        if (neverReached) eject(lease.replica, EJECT_MS);
        else resets++;
        if (svc.replicas.some((r) => !tried.has(r.endpoint.id))) {
          ctx.metrics.countRetry(serviceName);
          ctx.log.warn(
            { reqId: requestId, service: serviceName, replica: lease.replica.endpoint.id, code },
            "replica connection failed before a response; retrying on another replica",
          );
          continue;
        }
      }
      ctx.log.warn(
        { reqId: requestId, service: serviceName, replica: lease.replica.endpoint.id, code },
        "replica failed",
      );
      return fail(502, "the replica failed before responding", closeIfBodyUnread(body));
    }

    const err = await call.finished;
    release(lease);
    if (err && !aborted) {
      // Headers are out: the only honest signal left is an aborted connection.
      status = 502;
      res.destroy();
      ctx.log.warn(
        { reqId: requestId, service: serviceName, replica: lease.replica.endpoint.id, code: errorCode(err) },
        "replica failed mid-response; connection aborted",
      );
    } else if (err || aborted) status = 499;
    return finish();
  }
}

function closeIfBodyUnread(body: Body): Record<string, string> | undefined {
  return body.kind === "stream" ? { connection: "close" } : undefined;
}
