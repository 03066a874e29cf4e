/**
 * One exchange's capture: copies the request and response bodies as they pass, up to
 * the service's `maxBodyBytes` each, each chunk only after the capture buffer reserved
 * room for it. A body over the limit gives back what it held and is recorded by its size;
 * a full buffer drops the whole capture (counted). Never blocks or throws into the
 * request: every method is synchronous and bounded.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { ExchangeObserver, ExchangeOutcome } from "../exchangeObserver.js";
import type { CaptureProfile, FinishedCapture } from "./captureArena.js";
import type { CaptureBudget } from "./captureBudget.js";
import type { CapturedBody } from "./captureRecord.js";

/**
 * Buffer bytes every capture reserves up front for its record's own fields, so records
 * of empty bodies are bounded by the buffer too.
 */
export const RECORD_OVERHEAD_BYTES = 512;

/** Why a capture was not written. */
/** `writer_failed`: its writer thread ended unexpectedly before writing it (the thread is restarted). */
export type DropReason = "buffer_full" | "storage" | "shutdown" | "writer_failed";

/** What a tap needs from the capture it belongs to. */
export interface CaptureTarget {
  readonly budget: CaptureBudget;
  /** Takes a finished capture (its bytes reserved); drops it if capture has stopped. */
  enqueue(x: FinishedCapture): void;
  dropped(service: string, reason: DropReason): void;
}

/** One body being copied. */
class BodyCopy {
  bytes = 0;
  chunks: Buffer[] | undefined = [];
  held = 0;

  /** Copies `chunk` if it fits the limit and the buffer; false when the buffer is full. */
  add(chunk: Buffer, limit: number, budget: CaptureBudget, copy: boolean): boolean {
    this.bytes += chunk.length;
    if (!this.chunks) return true;
    if (this.bytes > limit) {
      budget.release(this.held);
      this.held = 0;
      this.chunks = undefined;
      return true;
    }
    if (!budget.tryReserve(chunk.length)) return false;
    this.held += chunk.length;
    this.chunks.push(copy ? Buffer.from(chunk) : chunk);
    return true;
  }

  body(contentType: string | undefined): CapturedBody {
    return { contentType, bytes: this.bytes, chunks: this.chunks };
  }
}

/** Created only once {@link RECORD_OVERHEAD_BYTES} are reserved for it (see ModelDataCapture.observe). */
export class CaptureTap implements ExchangeObserver {
  private readonly time = Date.now();
  private readonly input = new BodyCopy();
  private readonly output = new BodyCopy();
  private outputType: string | undefined;
  private full = false;

  constructor(
    private readonly target: CaptureTarget,
    private readonly profile: CaptureProfile,
    private readonly limit: number,
    private readonly requestId: string,
    private readonly req: IncomingMessage,
  ) {}

  requestBody(body: Buffer): void {
    // The exchange keeps this buffer for replays anyway; it is not copied, only accounted.
    if (!this.full && !this.input.add(body, this.limit, this.target.budget, false)) this.overflow();
  }

  requestChunk(chunk: Buffer): void {
    if (!this.full && !this.input.add(chunk, this.limit, this.target.budget, true)) this.overflow();
  }

  attemptStarted(): void {}

  attemptEnded(): void {}

  responseHead(_status: number, headers: IncomingHttpHeaders): void {
    const type = headers["content-type"];
    this.outputType = typeof type === "string" ? type : undefined;
  }

  responseChunk(chunk: Buffer): void {
    if (!this.full && !this.output.add(chunk, this.limit, this.target.budget, true)) this.overflow();
  }

  /** The buffer is full: give back what this capture holds and stop copying. */
  private overflow(): void {
    this.full = true;
    this.target.budget.release(RECORD_OVERHEAD_BYTES + this.input.held + this.output.held);
    this.input.held = this.output.held = 0;
  }

  finished(o: ExchangeOutcome): void {
    if (this.full) {
      this.target.dropped(this.profile.service, "buffer_full");
      return;
    }
    const type = this.req.headers["content-type"];
    this.target.enqueue({
      time: this.time,
      requestId: this.requestId,
      profile: this.profile,
      status: o.status,
      latencyMs: o.totalMs,
      input: this.input.body(typeof type === "string" ? type : undefined),
      output: this.output.body(this.outputType),
      reserved: RECORD_OVERHEAD_BYTES + this.input.held + this.output.held,
    });
  }
}
