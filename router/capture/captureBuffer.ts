/**
 * The capture buffer of one writer: a byte budget shared by the exchanges being
 * captured (their copied bodies) and the records waiting to be written. Nothing is
 * copied without a reservation, so the budget bounds all of capture's memory but the
 * one batch being serialized; when it is exhausted a capture is dropped and counted,
 * never waited for.
 */
import type { CapturedExchange } from "./captureRecord.js";

export class CaptureBuffer {
  private reservedBytes = 0;
  private queue: CapturedExchange[] = [];
  /** Called when the queued bytes pass `batchBytes`, so the writer need not wait for its timer. */
  onBatchReady: (() => void) | undefined;
  private queuedByteCount = 0;

  constructor(
    readonly capacityBytes: number,
    private readonly batchBytes: number,
  ) {}

  /** Reserves `n` bytes; false (nothing reserved) when the budget cannot hold them. */
  tryReserve(n: number): boolean {
    if (this.reservedBytes + n > this.capacityBytes) return false;
    this.reservedBytes += n;
    return true;
  }

  release(n: number): void {
    this.reservedBytes -= n;
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

  /** Bytes reserved: exchanges being captured plus queued records. */
  get bytes(): number {
    return this.reservedBytes;
  }
}
