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
  oversizeLine,
  recordHead,
  recordLine,
  type CapturedExchange,
  type Designation,
  type LineBytes,
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

interface Line {
  bytes: LineBytes;
  x: CapturedExchange;
}

export class CaptureWriter {
  private readonly blobs = new Map<string, BlobState>();
  /**
   * The one buffer appends are joined in, reused: a fresh 4 MiB buffer per append cost
   * page faults on every first touch (a sixth of the writer's CPU in a profile). Appends
   * run one at a time and a sink is done with `data` when its promise settles.
   */
  private scratch = Buffer.alloc(0);
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
    const groups = new Map<string, Line[]>();
    for (const x of batch) {
      const head = Buffer.from(recordHead(x));
      for (const d of DESIGNATIONS) {
        let bytes = recordLine(x, d, head);
        if (bytes.length > MAX_APPEND_BYTES) bytes = oversizeLine(x, d, head);
        const key = hourOf(x, d);
        const lines = groups.get(key);
        if (lines) lines.push({ bytes, x });
        else groups.set(key, [{ bytes, x }]);
      }
    }
    const unwritten = new Set<CapturedExchange>();
    for (const [key, lines] of groups) {
      // A chunk never exceeds a blob's bound, so rolling before an append keeps every blob within it.
      for (const chunk of appendChunks(lines, Math.min(MAX_APPEND_BYTES, this.o.maxBlobBytes))) {
        const pastDeadline = this.stopping && Date.now() >= this.deadline;
        if (!pastDeadline && (await this.appendWithRetry(key, chunk))) continue;
        for (const l of chunk) unwritten.add(l.x);
      }
    }
    const written = new Map<string, number>();
    for (const x of batch) {
      if (unwritten.has(x)) continue;
      written.set(x.profile.service, (written.get(x.profile.service) ?? 0) + 1);
    }
    for (const [service, n] of written) this.o.counters.written(service, n);
    this.drop([...unwritten], "shutdown", false);
    for (const x of batch) this.o.buffer.release(x.reserved);
  }

  /** Appends one chunk to the hour's current blob, retrying until it lands or the close deadline passes. */
  private async appendWithRetry(key: string, chunk: Line[]): Promise<boolean> {
    const data = this.join(chunk);
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

  /** The bytes of lines, in the scratch buffer (each part copied once). */
  private join(lines: readonly Line[]): Buffer {
    let length = 0;
    for (const l of lines) length += l.bytes.length;
    if (this.scratch.length < length) this.scratch = Buffer.allocUnsafeSlow(Math.max(length, 64 * 1024));
    let at = 0;
    for (const l of lines) for (const p of l.bytes.parts) at += p.copy(this.scratch, at);
    return this.scratch.subarray(0, length);
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
    if (release) for (const x of batch) this.o.buffer.release(x.reserved);
  }
}

/**
 * Lines in chunks of at most `maxBytes` (a line longer than that is a chunk of its own;
 * none is longer than MAX_APPEND_BYTES, oversize lines were reduced).
 */
function* appendChunks(lines: Line[], maxBytes: number): Generator<Line[]> {
  let chunk: Line[] = [];
  let bytes = 0;
  for (const l of lines) {
    if (bytes + l.bytes.length > maxBytes && chunk.length) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(l);
    bytes += l.bytes.length;
  }
  if (chunk.length) yield chunk;
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
