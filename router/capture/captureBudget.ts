/**
 * The capture's byte budget: every body byte copied and every record waiting to be
 * written is reserved here first, so the budget bounds all of capture's memory (but the
 * one batch being serialized and the data path's current arena). When it is exhausted a
 * capture is dropped and counted, never waited for.
 *
 * The cells live in a SharedArrayBuffer so a data-path thread reserves and its writer
 * thread releases the same budget without messages: cell 0 is the bytes in use, cell 1
 * the bytes the writer side ever released (modulo 2^32), which lets the data path work
 * out what a writer thread that died was holding (see writerLink.ts).
 */
export class CaptureBudget {
  private readonly cells: Int32Array;

  /** `shared`: the cells of an existing budget (a writer thread's view of its data path's). */
  constructor(
    readonly capacityBytes: number,
    shared?: SharedArrayBuffer,
  ) {
    // The contract caps the capacity at 1 GiB, so in-use plus any one reservation stays an Int32.
    if (!Number.isInteger(capacityBytes) || capacityBytes < 0 || capacityBytes > 2 ** 30)
      throw new RangeError(`capture budget must be 0..2^30 bytes, got ${capacityBytes}`);
    this.cells = new Int32Array(shared ?? new SharedArrayBuffer(8));
  }

  /** The cells, for the writer thread. */
  get shared(): SharedArrayBuffer {
    return this.cells.buffer as SharedArrayBuffer;
  }

  /** Reserves `n` bytes; false (nothing reserved) when the budget cannot hold them. */
  tryReserve(n: number): boolean {
    if (n > this.capacityBytes) return false;
    const before = Atomics.add(this.cells, 0, n);
    if (before + n <= this.capacityBytes) return true;
    Atomics.sub(this.cells, 0, n);
    return false;
  }

  /** Gives back bytes reserved on this side (a capture dropped or written in this thread). */
  release(n: number): void {
    Atomics.sub(this.cells, 0, n);
  }

  /** Gives back bytes of records handed to the writer side, and counts them as released there. */
  releaseHandedOver(n: number): void {
    Atomics.sub(this.cells, 0, n);
    Atomics.add(this.cells, 1, n);
  }

  /** Bytes the writer side released so far, modulo 2^32 (compare with what was handed over, also modulo 2^32). */
  get releasedHandedOver(): number {
    return Atomics.load(this.cells, 1) >>> 0;
  }

  /** Bytes reserved now: exchanges being captured plus records not yet written. */
  get bytes(): number {
    return Atomics.load(this.cells, 0);
  }
}
