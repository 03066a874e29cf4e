/**
 * The writer side's queue: captured exchanges handed over by the data path, waiting to
 * be written, oldest first. Their bytes stay reserved in the capture budget
 * (captureBudget.ts) until the writer releases them, written or dropped.
 */
import type { CaptureBudget } from "./captureBudget.js";
import type { CapturedExchange } from "./captureRecord.js";

export class CaptureBuffer {
  private queue: CapturedExchange[] = [];
  /** Called when the queued bytes pass `batchBytes`, so the writer need not wait for its timer. */
  onBatchReady: (() => void) | undefined;
  /** Called with an arena once every exchange that came in it is written or dropped. */
  onArenaDone: ((buffer: ArrayBuffer) => void) | undefined;
  private queuedByteCount = 0;

  constructor(
    private readonly budget: CaptureBudget,
    private readonly batchBytes: number,
  ) {}

  /** Gives back the budget bytes of an exchange written or dropped (and its arena, with the last). */
  release(x: CapturedExchange): void {
    this.budget.releaseHandedOver(x.reserved);
    const a = x.arena;
    if (a && --a.left === 0) this.onArenaDone?.(a.buffer);
  }

  /** Queues a captured exchange (its bytes are already reserved). */
  enqueue(x: CapturedExchange): void {
    this.queue.push(x);
    this.queuedByteCount += x.reserved;
    if (this.queuedByteCount >= this.batchBytes) this.onBatchReady?.();
  }

  /** Takes queued exchanges, oldest first, up to about `maxBytes` (at least one). */
  take(maxBytes: number): CapturedExchange[] {
    let n = 0;
    let bytes = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.reserved <= maxBytes)) {
      bytes += this.queue[n]!.reserved;
      n++;
    }
    const batch = this.queue.splice(0, n);
    this.queuedByteCount -= bytes;
    return batch;
  }

  /** Puts a batch that could not be written back at the front (kept in order). */
  putBack(batch: CapturedExchange[]): void {
    this.queue = batch.concat(this.queue);
    for (const x of batch) this.queuedByteCount += x.reserved;
  }

  /** Bytes of the queued records. */
  get queuedBytes(): number {
    return this.queuedByteCount;
  }

  get queued(): number {
    return this.queue.length;
  }
}
