/**
 * The request body as the upstream sees it.
 *
 * - No body, or a small one (Content-Length <= {@link REPLAY_LIMIT_BYTES}): read
 *   into memory once, so it can be replayed on another replica after a failed
 *   connection.
 * - Anything larger, or chunked: streamed. A {@link StreamedBody} pulls from the
 *   client only when the upstream connection asks for data, so until its first
 *   read the client's bytes are untouched and a fresh StreamedBody can be handed
 *   to another replica. It counts bytes and fails with {@link BodyTooLargeError}
 *   the moment the count passes the limit, without reading further.
 */
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { RequestBodyTap } from "./exchangeObserver.js";

export const REPLAY_LIMIT_BYTES = 64 * 1024;

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

export class ClientBodyError extends Error {
  constructor(cause: unknown) {
    super("client request body failed", { cause });
    this.name = "ClientBodyError";
  }
}

export class StreamedBody extends Readable {
  /** True once any byte may have left the client request. Then it cannot be replayed. */
  pulled = false;
  private bytes = 0;
  private readonly onData = (chunk: Buffer) => {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      this.detach();
      this.destroy(new BodyTooLargeError(this.limit));
      return;
    }
    this.tap?.requestChunk(chunk);
    if (!this.push(chunk)) this.req.pause();
  };
  private readonly onEnd = () => {
    this.detach();
    this.push(null);
  };
  private readonly onError = (err: unknown) => {
    this.detach();
    this.destroy(new ClientBodyError(err));
  };
  private readonly onAborted = () => this.onError(new Error("client aborted the request"));

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: number,
    /** Sees each chunk as it passes (model data capture). */
    private readonly tap?: RequestBodyTap,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _read(): void {
    if (!this.pulled) {
      this.pulled = true;
      if (this.req.readableEnded) {
        this.push(null);
        return;
      }
      this.req.on("data", this.onData);
      this.req.on("end", this.onEnd);
      this.req.on("error", this.onError);
      this.req.on("aborted", this.onAborted);
    }
    this.req.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.detach();
    cb(err);
  }

  private detach(): void {
    this.req.off("data", this.onData);
    this.req.off("end", this.onEnd);
    this.req.off("error", this.onError);
    this.req.off("aborted", this.onAborted);
    this.req.pause();
  }
}

export class BodyTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`the request body did not arrive within ${ms} ms`);
    this.name = "BodyTimeoutError";
  }
}

/** Told when a small body has been read whole, or could not be. */
export interface SmallBodySink {
  smallBodyRead(body: Buffer): void;
  /** The client failed or left ({@link ClientBodyError}). */
  smallBodyFailed(err: Error): void;
}

const kReading = Symbol("aksml.smallBody");

interface Reading {
  readonly sink: SmallBodySink;
  readonly expected: number;
  size: number;
  first: Buffer | undefined;
  more: Buffer[] | undefined;
}

type ReadRequest = IncomingMessage & { [kReading]?: Reading };

/**
 * Reads a small body whole and tells `sink`. Shared listeners and one small state object
 * per request (no closure, no promise). The data server runs without node's
 * requestTimeout (large uploads may be slow), so the caller bounds the wait: a client
 * that declares a body and stalls is cut off with {@link abandonSmallBody}.
 */
export function readSmallBody(req: IncomingMessage, expected: number, sink: SmallBodySink): void {
  (req as ReadRequest)[kReading] = { sink, expected, size: 0, first: undefined, more: undefined };
  req.on("data", onSmallData);
  req.on("end", onSmallEnd);
  req.on("error", onSmallError);
  req.on("aborted", onSmallAborted);
}

/** Stops reading (the caller's deadline passed); the sink hears nothing more. */
export function abandonSmallBody(req: IncomingMessage): void {
  detachSmall(req as ReadRequest);
  req.pause();
}

function detachSmall(req: ReadRequest): Reading | undefined {
  const r = req[kReading];
  if (r === undefined) return undefined;
  req[kReading] = undefined;
  req.off("data", onSmallData);
  req.off("end", onSmallEnd);
  req.off("error", onSmallError);
  req.off("aborted", onSmallAborted);
  return r;
}

function onSmallData(this: ReadRequest, c: Buffer): void {
  const r = this[kReading]!;
  r.size += c.length;
  if (r.size > r.expected) return; // node stops at Content-Length; never keep more than declared
  if (r.first === undefined) r.first = c;
  else {
    r.more ??= [r.first];
    r.more.push(c);
  }
}

function onSmallEnd(this: ReadRequest): void {
  const r = detachSmall(this);
  if (!r) return;
  r.sink.smallBodyRead(r.more ? Buffer.concat(r.more) : (r.first ?? Buffer.alloc(0)));
}

function onSmallError(this: ReadRequest, e: unknown): void {
  detachSmall(this)?.sink.smallBodyFailed(new ClientBodyError(e));
}

function onSmallAborted(this: ReadRequest): void {
  detachSmall(this)?.sink.smallBodyFailed(new ClientBodyError(new Error("client aborted the request")));
}
