/**
 * The capture writer: takes queued exchanges in batches (every `flushIntervalMs`, or
 * sooner once a batch's worth is queued), turns each into its two record lines, and
 * appends them to the writer's own blobs, one append at a time, off the request path.
 * Blobs roll with the hour and at `maxBlobBytes` (or the append blob's block limit). A
 * failed append is retried with exponential back-off (the batch keeps its buffer room
 * meanwhile, so new captures are dropped and counted while storage is out). Closing
 * writes what is queued until its deadline; whatever is left then is dropped and counted.
 */
import type { Log } from "../log.js";
import type { CaptureBuffer } from "./captureBuffer.js";
import {
  LineBuffer,
  oversizeLine,
  recordHead,
  recordLine,
  type CapturedExchange,
  type Designation,
} from "./captureRecord.js";
import { blobName, hourKey } from "./blobLayout.js";
import type { CaptureSink } from "./sinks.js";
import type { DropReason } from "./captureTap.js";

/** Largest append block the writer sends (the service's limit for older API versions, and Azurite's). */
export const MAX_APPEND_BYTES = 4 * 1024 * 1024;
/** Append blobs take at most 50 000 blocks; the writer rolls before. */
const MAX_BLOCKS_PER_BLOB = 49_000;
const DESIGNATIONS: readonly Designation[] = ["inputs", "predictions"];

export interface CaptureCounters {
  written(service: string, n: number): void;
  dropped(service: string, reason: DropReason, n: number): void;
  storageError(): void;
}

export interface CaptureWriterOptions {
  sink: CaptureSink;
  buffer: CaptureBuffer;
  /** This writer's name in its blob names (pod, thread and run): two writers never share a blob. */
  instance: string;
  flushIntervalMs: number;
  /** Raw captured bytes per batch. */
  batchBytes: number;
  /** A blob is rolled before it would pass this size. */
  maxBlobBytes: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  counters: CaptureCounters;
  log: Pick<Log, "warn">;
}

interface BlobState {
  seq: number;
  bytes: number;
  blocks: number;
}

/** The lines of a batch that go to one hour folder (of one designation): the batch's indices. */
interface FolderLines {
  designation: Designation;
  indices: number[];
}

export class CaptureWriter {
  private readonly blobs = new Map<string, BlobState>();
  /**
   * The one buffer lines are written into and appended from, reused: a fresh 4 MiB buffer
   * per append cost page faults on every first touch (a sixth of the writer's CPU in a
   * profile). Appends run one at a time and a sink is done with `data` when its promise
   * settles.
   */
  private readonly lines = new LineBuffer();
  private stopping = false;
  private deadline = Number.POSITIVE_INFINITY;
  private wakeUp: (() => void) | undefined;
  private wakeOnClose: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastErrorLog = 0;
  /** True once the loop has ended (after close): nothing queued later would be written. */
  finished = false;

  constructor(private readonly o: CaptureWriterOptions) {
    o.buffer.onBatchReady = () => this.wakeUp?.();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Writes what is queued until `deadlineMs` (epoch ms), then drops the rest. */
  async close(deadlineMs: number): Promise<void> {
    this.stopping = true;
    this.deadline = deadlineMs;
    this.wakeOnClose?.();
    this.start();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { buffer } = this.o;
    for (;;) {
      if (buffer.queued === 0) {
        if (this.stopping) {
          this.finished = true;
          return;
        }
        await this.sleep(this.o.flushIntervalMs, true);
        continue;
      }
      if (this.stopping && Date.now() >= this.deadline) {
        this.drop(buffer.take(Number.POSITIVE_INFINITY), "shutdown");
        continue;
      }
      await this.writeBatch(buffer.take(this.o.batchBytes));
      // Between batches, wait for the next interval unless a full batch is already queued.
      if (!this.stopping && buffer.queuedBytes < this.o.batchBytes) await this.sleep(this.o.flushIntervalMs, true);
    }
  }

  /** Sleeps up to `ms`; close wakes it early, and so does a full batch when `onBatch`. */
  private sleep(ms: number, onBatch = false): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        self.wakeOnClose = undefined;
        resolve();
      }
      this.wakeOnClose = done;
      if (onBatch) this.wakeUp = done;
    });
  }

  private async writeBatch(batch: CapturedExchange[]): Promise<void> {
    const heads: string[] = [];
    const folders = new Map<string, FolderLines>();
    for (let i = 0; i < batch.length; i++) {
      const x = batch[i]!;
      heads.push(recordHead(x));
      for (const designation of DESIGNATIONS) {
        const key = hourOf(x, designation);
        const folder = folders.get(key);
        if (folder) folder.indices.push(i);
        else folders.set(key, { designation, indices: [i] });
      }
    }
    const unwritten = new Set<CapturedExchange>();
    // An append never exceeds a blob's bound, so rolling before one keeps every blob within it.
    const limit = Math.min(MAX_APPEND_BYTES, this.o.maxBlobBytes);
    const out = this.lines;
    for (const [key, { designation, indices }] of folders) {
      out.length = 0;
      let chunk: number[] = [];
      for (const i of indices) {
        const x = batch[i]!;
        const start = out.length;
        recordLine(x, designation, out, heads[i]);
        if (out.length - start > MAX_APPEND_BYTES) {
          out.length = start;
          oversizeLine(x, designation, out, heads[i]);
        }
        if (out.length > limit && chunk.length) {
          // This line would pass the bound: append the lines before it, and it starts the next append.
          await this.appendLines(key, out.bytes.subarray(0, start), chunk, batch, unwritten);
          out.shift(start);
          chunk = [];
        }
        chunk.push(i);
      }
      await this.appendLines(key, out.bytes.subarray(0, out.length), chunk, batch, unwritten);
    }
    const written = new Map<string, number>();
    for (const x of batch) {
      if (unwritten.has(x)) continue;
      written.set(x.profile.service, (written.get(x.profile.service) ?? 0) + 1);
    }
    for (const [service, n] of written) this.o.counters.written(service, n);
    this.drop([...unwritten], "shutdown", false);
    for (const x of batch) this.o.buffer.release(x);
  }

  /** Appends the lines of `chunk` (indices into `batch`), or marks their exchanges unwritten. */
  private async appendLines(
    key: string,
    data: Buffer,
    chunk: readonly number[],
    batch: readonly CapturedExchange[],
    unwritten: Set<CapturedExchange>,
  ): Promise<void> {
    const pastDeadline = this.stopping && Date.now() >= this.deadline;
    if (!pastDeadline && (await this.appendWithRetry(key, data))) return;
    for (const i of chunk) unwritten.add(batch[i]!);
  }

  /** Appends one chunk to the hour's current blob, retrying until it lands or the close deadline passes. */
  private async appendWithRetry(key: string, data: Buffer): Promise<boolean> {
    let state = this.blobs.get(key);
    if (!state || state.bytes + data.length > this.o.maxBlobBytes || state.blocks >= MAX_BLOCKS_PER_BLOB) {
      state = { seq: state ? state.seq + 1 : 0, bytes: 0, blocks: 0 };
      this.blobs.set(key, state);
    }
    let delay = this.o.backoffInitialMs;
    for (;;) {
      try {
        await this.o.sink.append(blobName(key, this.o.instance, state.seq), data, state.bytes);
        state.bytes += data.length;
        state.blocks++;
        return true;
      } catch (e) {
        this.o.counters.storageError();
        this.logFailure(e);
        if (this.stopping && Date.now() + delay >= this.deadline) return false;
        await this.sleep(delay * (0.5 + Math.random() / 2));
        delay = Math.min(delay * 2, this.o.backoffMaxMs);
      }
    }
  }

  /** One line per 30 s at most while storage keeps failing. */
  private logFailure(e: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 30_000) return;
    this.lastErrorLog = now;
    this.o.log.warn(
      { err: (e as Error).message, destination: this.o.sink.description },
      "model data capture: storage write failed; retrying with back-off (new captures are dropped while the buffer is full)",
    );
  }

  private drop(batch: CapturedExchange[], reason: DropReason, release = true): void {
    const byService = new Map<string, number>();
    for (const x of batch) byService.set(x.profile.service, (byService.get(x.profile.service) ?? 0) + 1);
    for (const [service, n] of byService) this.o.counters.dropped(service, reason, n);
    if (release) for (const x of batch) this.o.buffer.release(x);
  }
}

/** The hour folder of a record, from its profile's few cached ones. */
function hourOf(x: CapturedExchange, d: Designation): string {
  const slot = Math.floor(x.time / 3_600_000) * 2 + (d === "inputs" ? 0 : 1);
  const keys = x.profile.hourKeys;
  let key = keys.get(slot);
  if (key === undefined) {
    if (keys.size >= 8) keys.clear();
    key = hourKey(x.profile.service, x.profile.models, d, x.time);
    keys.set(slot, key);
  }
  return key;
}
