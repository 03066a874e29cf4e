/**
 * A client on a bare TCP socket, for what an HTTP client library will not do on purpose:
 * pipeline requests, stop reading, send headers one byte at a time, lie about lengths.
 */
import { connect, type Socket } from "node:net";
import { once } from "node:events";

export interface RawConnection {
  readonly socket: Socket;
  /** Every byte received so far (empty when the connection does not read: see `paused`). */
  received(): Buffer;
  /** Settles when the socket closed, from either side. */
  readonly closed: Promise<void>;
}

/**
 * Opens a TCP connection to `url`'s host and port. With `paused`, nothing is read from it
 * (the kernel receive buffer is kept small, so the router sees a client that stopped reading).
 */
export async function openRaw(url: string, opts: { paused?: boolean } = {}): Promise<RawConnection> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  const chunks: Buffer[] = [];
  socket.on("error", () => undefined);
  const closed = once(socket, "close").then(() => undefined);
  await once(socket, "connect");
  if (opts.paused) socket.pause();
  else socket.on("data", (c: Buffer) => chunks.push(c));
  return { socket, received: () => Buffer.concat(chunks), closed };
}

/** One HTTP/1.1 request as text. */
export function requestText(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body: string | Buffer = "",
): Buffer {
  const h: Record<string, string> = { host: "router", ...headers };
  if (body.length > 0 && h["transfer-encoding"] === undefined) h["content-length"] ??= String(body.length);
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(h)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body)]);
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * The complete responses in `data`, in order (Content-Length or chunked bodies). Stops at
 * the first incomplete one.
 */
export function parseResponses(data: Buffer): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf("\r\n\r\n", at, "latin1");
    if (end === -1) return out;
    const lines = data.subarray(at, end).toString("latin1").split("\r\n");
    const status = Number(lines[0]!.split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    let p = end + 4;
    let body: Buffer;
    if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      if (data.length < p + n) return out;
      body = data.subarray(p, p + n);
      p += n;
    } else if (headers["transfer-encoding"] === "chunked") {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf("\r\n", p, "latin1");
        if (lineEnd === -1) return out;
        const size = Number.parseInt(data.subarray(p, lineEnd).toString("latin1"), 16);
        if (data.length < lineEnd + 2 + size + 2) return out;
        parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else body = Buffer.alloc(0);
    out.push({ status, headers, body });
    at = p;
  }
}
