// The bare relay: the physical floor of a Node data path, for the router benchmark.
// It does only what any Node proxy in front of the same replica must do, and nothing else:
//   node:http server -> one `Authorization: Bearer <BENCH_KEY>` compare (401 otherwise)
//   -> undici Pool.dispatch to the one upstream -> status, headers and body written back.
// No routing, request ids, queue, timeouts, client-abort handling, retries, metrics or logs.
//
// Request bodies: a body with Content-Length <= 64 KiB is read whole and sent as one Buffer,
// anything else (larger or chunked) is streamed, which is exactly what the router does
// (router/bodySource.ts, REPLAY_LIMIT_BYTES), so both parse and send small bodies the same way.
//
// Written to cost as little as possible per request: node:http builds this file's request
// and response subclasses, and the response object *is* the undici dispatch handler, so a
// request allocates no handler, closure or promise of its own, only the two header objects
// and the dispatch options. The pool is configured like the router's (router/router.ts).
//
// Environment: BENCH_KEY, BENCH_DATA_PORT (default 18090), BENCH_UPSTREAM (the replica's
// origin, default http://127.0.0.1:18081); requests go to <upstream>/score whatever the path.
// Prints {"dataUrl","pid"} on stderr once listening; SIGTERM exits (so --cpu-prof is written).
import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

// The undici the router resolves (router/node_modules/undici, or the hoisted copy npm
// workspaces install at the root), so the relay and the router run the same version.
const routerRequire = createRequire(new URL("../../router/package.json", import.meta.url));
const { Pool } = await import(pathToFileURL(routerRequire.resolve("undici")).href);

const SMALL_BODY_BYTES = 64 * 1024;
const expected = `Bearer ${process.env.BENCH_KEY ?? "bench-key-0123456789abcdef"}`;
const port = Number(process.env.BENCH_DATA_PORT ?? 18090);
const pool = new Pool(process.env.BENCH_UPSTREAM ?? "http://127.0.0.1:18081", {
  keepAliveTimeout: 1_500,
  keepAliveMaxTimeout: 600_000,
  connections: null,
  pipelining: 1,
  connect: { timeout: 5000 },
});

/** Compares every character whatever the first difference (the length is not secret). */
function authorized(header) {
  if (header === undefined || header.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= header.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

/** The client's headers minus its credential and the hop-by-hop ones (undici rejects most of those). */
function upstreamHeaders(headers) {
  const out = {};
  for (const name in headers) {
    switch (name) {
      case "authorization":
      case "host":
      case "connection":
      case "keep-alive":
      case "transfer-encoding":
      case "expect":
      case "upgrade":
      case "te":
      case "trailer":
      case "proxy-connection":
        continue;
    }
    out[name] = headers[name];
  }
  return out;
}

/** The replica's headers minus the hop-by-hop ones (node:http frames the client response itself). */
function clientHeaders(headers) {
  const out = {};
  for (const name in headers) {
    switch (name) {
      case "connection":
      case "keep-alive":
      case "transfer-encoding":
        continue;
    }
    out[name] = headers[name];
  }
  return out;
}

class RelayRequest extends IncomingMessage {
  /** @type {ServerResponse | null} */ response = null;
  /** @type {Buffer | null} */ body = null;
  /** @type {Buffer[] | null} */ more = null;
}

/** The client response, and the dispatch handler of the one upstream request behind it. */
class RelayResponse extends ServerResponse {
  controller = null;

  onRequestStart(controller) {
    this.controller = controller;
  }

  onResponseStart(_controller, statusCode, headers) {
    if (statusCode < 200) return; // informational; the final head follows
    this.writeHead(statusCode, clientHeaders(headers));
  }

  onResponseData(controller, chunk) {
    if (this.destroyed) return;
    if (!this.write(chunk)) {
      controller.pause();
      this.once("drain", resumeUpstream);
    }
  }

  onResponseEnd() {
    this.end();
  }

  onResponseError(_controller, _error) {
    if (this.headersSent) this.destroy();
    else this.writeHead(502, { "content-length": 0 }).end();
  }
}

// Listeners below are shared functions; node calls them with `this` = the emitter.
function resumeUpstream() {
  this.controller.resume();
}

function onBodyChunk(chunk) {
  if (this.body === null) this.body = chunk;
  else (this.more ??= []).push(chunk);
}

function onBodyEnd() {
  const body = this.more === null ? this.body : Buffer.concat([this.body, ...this.more]);
  dispatch(this, this.response, body);
}

function dispatch(req, res, body) {
  pool.dispatch(
    {
      path: "/score",
      method: req.method,
      headers: upstreamHeaders(req.headers),
      body,
      headersTimeout: 0,
      bodyTimeout: 0,
    },
    res,
  );
}

function onRequest(req, res) {
  const headers = req.headers;
  if (!authorized(headers.authorization)) {
    res.writeHead(401, { "content-length": 0, "www-authenticate": "Bearer", connection: "close" }).end();
    return;
  }
  const length = headers["content-length"];
  if (length !== undefined && Number(length) <= SMALL_BODY_BYTES) {
    req.response = res;
    req.on("data", onBodyChunk);
    req.on("end", onBodyEnd);
  } else dispatch(req, res, length === undefined && headers["transfer-encoding"] === undefined ? null : req);
}

const server = createServer({ IncomingMessage: RelayRequest, ServerResponse: RelayResponse }, onRequest);
// The router's data-listener settings (router/router.ts).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 0;
server.listen(port, "127.0.0.1", () => {
  process.stderr.write(`${JSON.stringify({ dataUrl: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);
});
process.once("SIGTERM", () => process.exit(0));
