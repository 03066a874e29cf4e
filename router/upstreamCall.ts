/**
 * One request to one replica through undici's low-level `dispatch` handler API.
 *
 * Cheaper per request than `Agent.request` (no Readable and no Promise per response):
 * response bytes go straight from undici's parser callbacks into the client's
 * ServerResponse, with backpressure (pause undici while the client socket is full; the
 * write-stall watch destroys a response that stays full too long). The response head is
 * written synchronously in `onResponseStart`, because undici may deliver body chunks in
 * the same tick. The outcome is told to an observer (the exchange) from within undici's
 * callbacks: it must not dispatch another request there (a retry waits a tick).
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import type { WriteStallWatch } from "./writeStalls.js";
import type { ResponseBodyTap } from "./exchangeObserver.js";

/** What an upstream call tells the request it serves. */
export interface UpstreamObserver {
  /** The replica answered: write the client's response head (synchronously: body chunks may follow in the same tick). */
  writeResponseHead(statusCode: number, headers: IncomingHttpHeaders): void;
  /** The attempt failed before any response byte. */
  upstreamFailed(error: Error): void;
  /** After the head: the response was relayed (undefined) or broke off (the error). */
  upstreamFinished(error: Error | undefined): void;
}

export class UpstreamCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private pendingAbort: Error | undefined;
  private headSent = false;
  private settled = false;
  /** Made on the first backpressure only: most responses never need it. */
  private resume: (() => void) | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly observer: UpstreamObserver,
    private readonly stalls: WriteStallWatch,
    /** Sees each response chunk as it is relayed (model data capture). */
    private readonly tap?: ResponseBodyTap,
  ) {}

  abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort ??= reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // informational; the final head follows
    this.headSent = true;
    this.observer.writeResponseHead(statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.res.destroyed) return;
    this.tap?.responseChunk(chunk);
    if (!this.res.write(chunk)) {
      controller.pause();
      this.stalls.writeBlocked(this.res);
      this.resume ??= () => {
        this.stalls.progressed(this.res);
        this.controller?.resume();
      };
      this.res.once("drain", this.resume);
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.stalls.ended(this.res);
    this.settle(undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle(error);
  }

  private settle(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    if (this.headSent) this.observer.upstreamFinished(error);
    else this.observer.upstreamFailed(error ?? new Error("the replica ended the response before its head"));
  }
}
