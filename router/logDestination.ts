/**
 * The router's stdout log destination: lines are gathered and written in batches of up to
 * 64 KiB (nginx's `access_log ... buffer=64k`) with asynchronous writes, at the latest
 * 200 ms after the first unwritten line, so an access line per request costs no system
 * call per request and the event loop never waits on a slow log reader. Bounded: while the
 * reader lags, at most 16 MiB are held; lines past that are dropped and counted in a line
 * written once the reader caught up. What is still held at exit is written synchronously.
 *
 * Cheaper than pino's SonicBoom destination for this use: that one measures the byte length
 * of its growing buffer on every line.
 */
import { write, writeSync } from "node:fs";
import type { DestinationStream } from "pino";

export interface BatchedDestinationOptions {
  /** Written once this many characters are held. */
  batchChars: number;
  /** Written at the latest this long after the first unwritten line. */
  flushMs: number;
  /** Most characters held while a write is slow; lines past it are dropped and counted. */
  maxHeldChars: number;
}

export const BATCHED_DESTINATION_DEFAULTS: BatchedDestinationOptions = {
  batchChars: 64 * 1024,
  flushMs: 200,
  maxHeldChars: 16 * 1024 * 1024,
};

const live = new Set<BatchedDestination>();
let exitHooked = false;

export class BatchedDestination implements DestinationStream {
  private lines: string[] = [];
  private chars = 0;
  private dropped = 0;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private flushed: Array<() => void> = [];
  private readonly opts: BatchedDestinationOptions;

  constructor(
    private readonly fd: number,
    opts: Partial<BatchedDestinationOptions> = {},
  ) {
    this.opts = { ...BATCHED_DESTINATION_DEFAULTS, ...opts };
    live.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on("exit", () => {
        for (const d of live) d.flushSync();
      });
    }
  }

  write(line: string): void {
    if (this.chars + line.length > this.opts.maxHeldChars) {
      this.dropped++;
      return;
    }
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= this.opts.batchChars) this.start();
    else this.timer ??= setTimeout(this.start, this.opts.flushMs).unref();
  }

  /** Calls `cb` once everything written so far is out. */
  flush(cb?: () => void): void {
    if (cb) this.flushed.push(cb);
    this.start();
    if (!this.writing && this.chars === 0) this.settleFlushes();
  }

  /** Writes what is held now, synchronously (at exit; an asynchronous write under way is not waited for). */
  flushSync(): void {
    const text = this.take();
    if (text === undefined) return;
    try {
      writeSync(this.fd, text);
    } catch {
      // Nowhere left to report it.
    }
  }

  /** No more writes from this destination (tests). */
  end(): void {
    this.flushSync();
    clearTimeout(this.timer);
    live.delete(this);
  }

  private take(): string | undefined {
    if (this.chars === 0 && this.dropped === 0) return undefined;
    let text = this.lines.join("");
    if (this.dropped > 0)
      text += `${JSON.stringify({ level: "warn", time: Date.now(), svc: "aksml-router", dropped: this.dropped, msg: "log lines dropped: the log reader was too slow" })}\n`;
    this.lines = [];
    this.chars = 0;
    this.dropped = 0;
    return text;
  }

  private readonly start = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing) return;
    const text = this.take();
    if (text === undefined) return;
    this.writing = true;
    this.send(Buffer.from(text));
  };

  private send(buf: Buffer): void {
    write(this.fd, buf, 0, buf.length, null, (err, n) => {
      if (err && (err.code === "EAGAIN" || err.code === "EBUSY")) {
        setTimeout(() => this.send(buf), 10).unref();
        return;
      }
      if (!err && n < buf.length) {
        this.send(buf.subarray(n));
        return;
      }
      // Another error (the reader is gone): the batch is lost, the next one is tried.
      this.writing = false;
      if (this.chars > 0 && (this.chars >= this.opts.batchChars || this.flushed.length > 0)) this.start();
      else if (this.chars > 0) this.timer ??= setTimeout(this.start, this.opts.flushMs).unref();
      else this.settleFlushes();
    });
  }

  private settleFlushes(): void {
    for (const cb of this.flushed.splice(0)) cb();
  }
}
