/**
 * The one hook the data path offers to model data capture (router/capture/) and
 * telemetry (router/telemetry/): an observer per exchange, created only for a service
 * that has capture or telemetry on, so a request of any other service allocates
 * nothing. It sees the bytes as they pass and the outcome, and must never block,
 * await or throw into the request: everything it keeps is bounded by its owner.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { ServiceState } from "./serviceState.js";
import type { ServiceAction } from "./proxyContext.js";

/** How an exchange ended, as the access line records it. */
export interface ExchangeOutcome {
  status: number;
  totalMs: number;
  /** Time the router itself added, or -1 when no replica answered. */
  overheadMs: number;
  replicaId: string | undefined;
}

/** Sees one request's bytes as they pass (synchronously; copies what it keeps). */
export interface RequestBodyTap {
  requestChunk(chunk: Buffer): void;
}

export interface ResponseBodyTap {
  responseChunk(chunk: Buffer): void;
}

export interface ExchangeObserver extends RequestBodyTap, ResponseBodyTap {
  /** A small body read whole before dispatch (the same buffer is sent to every attempt). */
  requestBody(body: Buffer): void;
  /** One attempt on a replica is about to be sent: its headers may be extended (trace context). */
  attemptStarted(replicaUrl: string, method: string, path: string, headers: Record<string, string | string[]>): void;
  /** That attempt ended: its status, or the error before a response (0). */
  attemptEnded(status: number, error: Error | undefined): void;
  responseHead(status: number, headers: IncomingHttpHeaders): void;
  /** Once per exchange, at its access line. */
  finished(outcome: ExchangeOutcome): void;
}

/** Decides per exchange whether anything observes it. */
export interface ExchangeObservers {
  observe(
    svc: ServiceState,
    action: ServiceAction,
    req: IncomingMessage,
    requestId: string,
  ): ExchangeObserver | undefined;
}

/** Both observers of one exchange (capture and telemetry). */
export class ObserverPair implements ExchangeObserver {
  constructor(
    private readonly a: ExchangeObserver,
    private readonly b: ExchangeObserver,
  ) {}
  requestBody(body: Buffer): void {
    this.a.requestBody(body);
    this.b.requestBody(body);
  }
  requestChunk(chunk: Buffer): void {
    this.a.requestChunk(chunk);
    this.b.requestChunk(chunk);
  }
  attemptStarted(replicaUrl: string, method: string, path: string, headers: Record<string, string | string[]>): void {
    this.a.attemptStarted(replicaUrl, method, path, headers);
    this.b.attemptStarted(replicaUrl, method, path, headers);
  }
  attemptEnded(status: number, error: Error | undefined): void {
    this.a.attemptEnded(status, error);
    this.b.attemptEnded(status, error);
  }
  responseHead(status: number, headers: IncomingHttpHeaders): void {
    this.a.responseHead(status, headers);
    this.b.responseHead(status, headers);
  }
  responseChunk(chunk: Buffer): void {
    this.a.responseChunk(chunk);
    this.b.responseChunk(chunk);
  }
  finished(outcome: ExchangeOutcome): void {
    this.a.finished(outcome);
    this.b.finished(outcome);
  }
}

/** The observers of a router (capture, telemetry), as one; undefined when it has none. */
export function combineObservers(...all: (ExchangeObservers | undefined)[]): ExchangeObservers | undefined {
  const present = all.filter((o): o is ExchangeObservers => o !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  const [a, b] = present as [ExchangeObservers, ExchangeObservers];
  return {
    observe(svc, action, req, requestId) {
      const x = a.observe(svc, action, req, requestId);
      const y = b.observe(svc, action, req, requestId);
      return x && y ? new ObserverPair(x, y) : (x ?? y);
    },
  };
}
