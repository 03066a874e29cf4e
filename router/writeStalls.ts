/**
 * Responses that make no write progress. A client that stops reading holds its
 * connection and the bytes buffered for it, and, until the exchange deadline, its
 * replica slot. One shared sweep, not a timer per response: a response joins the watch
 * when the client socket is full (`res.write` returned false) or when bytes are still
 * unsent at `res.end()`, and leaves it on `drain` or once finished. A response still
 * stalled after `stallMs` is destroyed, and the client connection with it.
 *
 * The sweep runs every `stallMs / 4` (at least 50 ms) and only while something is
 * stalled, so a stalled response is destroyed between `stallMs` and `1.25 * stallMs`.
 */
import type { ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";

export class WriteStallWatch {
  /** Stalled responses and since when (performance.now()). */
  private readonly stalled = new Map<ServerResponse, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly sweepMs: number;

  constructor(readonly stallMs: number) {
    this.sweepMs = Math.max(50, Math.floor(stallMs / 4));
  }

  /** `res` could not take more bytes: it must drain within `stallMs`. */
  writeBlocked(res: ServerResponse): void {
    if (!this.stalled.has(res)) this.stalled.set(res, performance.now());
    this.timer ??= setInterval(this.sweep, this.sweepMs).unref();
  }

  /** `res` drained. */
  progressed(res: ServerResponse): void {
    this.stalled.delete(res);
  }

  /** `res` was ended; when bytes are still unsent, they must go out within `stallMs`. */
  ended(res: ServerResponse): void {
    if (!res.writableFinished && res.writableLength > 0) this.writeBlocked(res);
  }

  /** Responses being watched now. */
  size(): number {
    return this.stalled.size;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stalled.clear();
  }

  private readonly sweep = (): void => {
    const now = performance.now();
    for (const [res, since] of this.stalled) {
      if (res.destroyed || res.writableFinished) this.stalled.delete(res);
      else if (now - since >= this.stallMs) {
        this.stalled.delete(res);
        res.destroy();
      }
    }
    if (this.stalled.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  };
}
