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

/**
 * Reads a small body whole. Rejects with ClientBodyError if the client fails, and with
 * BodyTimeoutError if the body is not complete within `timeoutMs`: the data server runs
 * without node's requestTimeout (large uploads may be slow), so without this a client
 * that declares a body and stalls would hold its connection and this handler forever.
 */
export function readSmallBody(req: IncomingMessage, expected: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      req.removeAllListeners("data");
      req.pause();
      reject(new BodyTimeoutError(timeoutMs));
    }, timeoutMs);
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= expected) chunks.push(c);
    });
    req.on("end", () => {
      clearTimeout(timer);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(new ClientBodyError(e));
    });
    req.on("aborted", () => {
      clearTimeout(timer);
      reject(new ClientBodyError(new Error("client aborted the request")));
    });
  });
}
