/**
 * One request to one replica through undici's low-level `dispatch` handler API.
 *
 * Cheaper per request than `Agent.request` (no Readable and no Promise chain per
 * response): response bytes go straight from undici's parser callbacks into the
 * client's ServerResponse, with backpressure (pause undici while the client socket is
 * full; the write-stall watch destroys a response that stays full too long). The response head is written synchronously in `onResponseStart`, because
 * undici may deliver body chunks in the same tick.
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import type { WriteStallWatch } from "./writeStalls.js";
import type { ResponseBodyTap } from "./exchangeObserver.js";

export type StartOutcome = { ok: true } | { ok: false; error: Error };

/** Writes the client's response head from the replica's (synchronously: body chunks may follow in the same tick). */
export interface ResponseHeadWriter {
  writeResponseHead(statusCode: number, headers: IncomingHttpHeaders): void;
}

export class UpstreamCall implements Dispatcher.DispatchHandler {
  /** Settles once: the replica answered (headers written to the client), or failed before. */
  readonly started: Promise<StartOutcome>;
  /** Settles once the response has been relayed (undefined) or broke off after the head (the error). */
  readonly finished: Promise<Error | undefined>;
  private resolveStarted!: (o: StartOutcome) => void;
  private resolveFinished!: (e: Error | undefined) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private pendingAbort: Error | undefined;
  private headSent = false;
  private readonly resume = () => {
    this.stalls.progressed(this.res);
    this.controller?.resume();
  };

  constructor(
    private readonly res: ServerResponse,
    private readonly head: ResponseHeadWriter,
    private readonly stalls: WriteStallWatch,
    /** Sees each response chunk as it is relayed (model data capture). */
    private readonly tap?: ResponseBodyTap,
  ) {
    this.started = new Promise((r) => (this.resolveStarted = r));
    this.finished = new Promise((r) => (this.resolveFinished = r));
  }

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
    this.head.writeResponseHead(statusCode, headers);
    this.resolveStarted({ ok: true });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.res.destroyed) return;
    this.tap?.responseChunk(chunk);
    if (!this.res.write(chunk)) {
      controller.pause();
      this.stalls.writeBlocked(this.res);
      this.res.once("drain", this.resume);
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.stalls.ended(this.res);
    this.resolveFinished(undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.headSent) this.resolveFinished(error);
    else this.resolveStarted({ ok: false, error });
  }
}
