/**
 * Mirrored (shadow) traffic: a copy of a share of an endpoint's requests goes to a
 * mirror version, its answer is discarded, and nothing about it can hold up or fail the
 * live request:
 * - the copy is sent after the live request was handed on (setImmediate), never awaited;
 * - it takes a replica slot of the mirror version only if one is free at once, and at
 *   most `maxInFlightPerVersion` copies per version are out at a time: otherwise it is
 *   dropped and counted (never queued);
 * - it is bounded by the mirror version's scoringTimeoutMs from dispatch to the last byte;
 * - only bodies the router already holds in memory (none, or a small body read whole)
 *   are copied; a streamed body cannot be without buffering it: skipped and counted.
 * Mirrored copies count in the mirror version's load (its autoscaler sees them), not in
 * any version's canary statistics.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { release, tryAcquire } from "../dispatcher.js";
import type { Lease } from "../serviceState.js";
import type { MirrorTarget } from "./endpointTable.js";

/** What a copy is: the live request's method, path, headers and body (or that its body was streamed). */
export interface MirrorRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | null | "streamed";
}

/**
 * `answered`: the mirror replied (any status); `failed`: it failed or timed out;
 * `dropped`: no free slot or too many copies in flight; `skipped`: streamed body, or the
 * mirror version is not deployed.
 */
export type MirrorOutcome = "answered" | "failed" | "dropped" | "skipped";

export interface MirrorMetrics {
  countMirror(endpoint: string, version: string, outcome: MirrorOutcome): void;
}

export interface MirrorSenderOptions {
  /** Copies in flight per mirror version at most (besides its replicas' free slots). @default 64 */
  maxInFlightPerVersion?: number;
  metrics?: MirrorMetrics;
}

/** Marks a copy so a model can tell it from live traffic (its answer goes nowhere). */
export const MIRRORED_HEADER = "x-aksml-mirrored";

export class MirrorSender {
  private readonly inFlight = new Map<string, number>();
  private readonly max: number;
  private closed = false;

  constructor(
    private readonly agent: Dispatcher,
    private readonly opts: MirrorSenderOptions = {},
  ) {
    this.max = opts.maxInFlightPerVersion ?? 64;
  }

  /** Copies in flight to one version's service (for tests and status). */
  inFlightTo(service: string): number {
    return this.inFlight.get(service) ?? 0;
  }

  /** Sends a copy of `req` to each target, later; returns at once. */
  send(endpoint: string, targets: readonly MirrorTarget[], req: MirrorRequest): void {
    if (this.closed) return;
    setImmediate(() => {
      for (const t of targets) this.sendOne(endpoint, t, req);
    });
  }

  /** No copy is sent after this (router shutdown); those in flight end with the pool. */
  close(): void {
    this.closed = true;
  }

  private sendOne(endpoint: string, target: MirrorTarget, req: MirrorRequest): void {
    const count = (outcome: MirrorOutcome) => this.opts.metrics?.countMirror(endpoint, target.version, outcome);
    const svc = target.service;
    if (this.closed || !svc || svc.removed || req.body === "streamed") {
      count("skipped");
      return;
    }
    const out = this.inFlight.get(svc.name) ?? 0;
    const lease = out < this.max ? tryAcquire(svc) : undefined;
    if (!lease) {
      count("dropped");
      return;
    }
    this.inFlight.set(svc.name, out + 1);
    const call = new MirrorCall(lease, svc.config.scoringTimeoutMs, (error) => {
      release(lease);
      const left = (this.inFlight.get(svc.name) ?? 1) - 1;
      if (left > 0) this.inFlight.set(svc.name, left);
      else this.inFlight.delete(svc.name);
      count(error ? "failed" : "answered");
    });
    try {
      this.agent.dispatch(
        {
          origin: lease.replica.endpoint.url,
          path: req.path,
          method: req.method,
          headers: { ...req.headers, [MIRRORED_HEADER]: "1" },
          body: req.body,
          headersTimeout: 0,
          bodyTimeout: svc.config.scoringTimeoutMs,
        },
        call,
      );
    } catch (e) {
      call.onResponseError(undefined, e as Error);
    }
  }
}

/** One copy: every byte of the answer is discarded; settles once, within the timeout. */
class MirrorCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly lease: Lease,
    timeoutMs: number,
    private readonly done: (error: Error | undefined) => void,
  ) {
    this.timer = setTimeout(() => {
      const e = new Error(`mirror did not answer within ${timeoutMs} ms`);
      this.controller?.abort(e);
      this.settle(e);
    }, timeoutMs);
    this.timer.unref();
  }

  private settle(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.done(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error("mirror timed out"));
  }

  onResponseStart(_c: Dispatcher.DispatchController, _status: number, _headers: IncomingHttpHeaders): void {}

  onResponseData(_c: Dispatcher.DispatchController, _chunk: Buffer): void {}

  onResponseEnd(): void {
    this.settle(undefined);
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, error: Error): void {
    this.settle(error);
  }
}
