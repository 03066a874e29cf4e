/**
 * Log lines of a worker thread go to the main thread, in batches, which writes them to the
 * router's one log destination: one writer, so lines from several workers never
 * interleave mid-line (a container's stdout is a pipe, where writes over 4 KiB from two
 * threads could), and a test's log sink sees every worker's lines.
 */
import type { MessagePort } from "node:worker_threads";
import type { DestinationStream } from "pino";
import type { FromWorker } from "./workerMessages.js";

/** Flushed when this much is buffered, or this long after the first unflushed line. */
const BATCH_CHARS = 16 * 1024;
const BATCH_MS = 25;

/** A pino destination in a worker thread: buffers lines and posts them to the main thread. */
export class ForwardedLog implements DestinationStream {
  private buffered = "";
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly port: MessagePort) {}

  write(line: string): void {
    this.buffered += line;
    if (this.buffered.length >= BATCH_CHARS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS).unref();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffered.length === 0) return;
    const message: FromWorker = { type: "log", text: this.buffered };
    this.buffered = "";
    this.port.postMessage(message);
  }
}
