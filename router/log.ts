/**
 * Structured JSON logs (pino). Request lines carry a request id and never a key,
 * token or body: the router only ever logs fields it chose, and the redact paths
 * are a second line of defence should a header object ever be passed in.
 */
import { pino, type Logger, type DestinationStream } from "pino";
import { BatchedDestination } from "./logDestination.js";

export type { Logger };

/**
 * The logging the control half needs (backends, elections, the autoscaler): the
 * router's pino Logger is one, and a test may pass any object with these two methods.
 */
export interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Explicit paths only: wildcard paths make pino's redaction walk every object on every
 * line, which showed up at ~2 % of router CPU under load.
 */
export const REDACTED_PATHS = [
  "authorization",
  "headers.authorization",
  "req.headers.authorization",
  "request.headers.authorization",
  "keys",
  "primaryKey",
  "secondaryKey",
  "token",
  "body",
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { svc: "aksml-router" },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    // pino's default epoch-milliseconds `time`: cheaper than an ISO string per line.
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // Default: stdout through an asynchronous, batching destination (logDestination.ts), so
  // an access line per request does not cost a write(2) per request.
  return pino(options, destination ?? new BatchedDestination(1));
}

/** The destination a pino logger writes to (the access lines, and the workers' lines in the main thread, go there directly). */
export function destinationOf(log: Logger): DestinationStream {
  return (log as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]!;
}

/** Writes one request's access line. */
export type AccessLog = (
  reqId: string,
  service: string,
  method: string | undefined,
  status: number,
  replica: string | undefined,
  ms: number,
  /** The endpoint version that served it, for a request to an endpoint. */
  version?: string,
) => void;

/**
 * The access line, written straight to `log`'s destination in the shape pino gives every
 * line of a logger from {@link createLogger} (level, time, the logger's bindings, the
 * fields, msg), at a fraction of a pino call: the fields are fixed, all the router's own,
 * and nothing in them needs redacting. Honours the logger's level (info) as it is at the
 * time of each request.
 */
export function accessLog(log: Logger): AccessLog {
  const out = destinationOf(log);
  const bound = JSON.stringify(log.bindings()).slice(1, -1);
  const head = bound ? `,${bound}` : "";
  return (reqId, service, method, status, replica, ms, version) => {
    if (!log.isLevelEnabled("info")) return;
    const ver = version === undefined ? "" : `,"version":${JSON.stringify(version)}`;
    const rep = replica === undefined ? "" : `,"replica":${JSON.stringify(replica)}`;
    out.write(
      `{"level":"info","time":${Date.now()}${head},"reqId":${JSON.stringify(reqId)},"service":${JSON.stringify(service)},"method":${JSON.stringify(method ?? "")},"status":${status}${ver}${rep},"ms":${ms},"msg":"request"}\n`,
    );
  };
}

/**
 * The default destination (stdout, batched), also handing every line to `onLine`, e.g.
 * to keep the router's recent lines for `aksml logs --router --local`.
 */
export function teeToStdout(
  onLine: (line: string) => void,
): DestinationStream & { flush(cb?: (err?: Error) => void): void } {
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  return {
    write(msg: string) {
      stdout.write(msg);
      for (const line of msg.split("\n")) if (line) onLine(line);
    },
    flush(cb?: (err?: Error) => void) {
      stdout.flush(cb);
    },
  };
}
