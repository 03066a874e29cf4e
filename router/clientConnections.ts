/**
 * The data listener's client connections in one data-path worker: how many the router pod
 * serves (counted over all workers in the slot table), one request at a time on each, and
 * how many requests are being answered (for the graceful stop).
 *
 * - One request at a time per connection. A pipelined request (written before the answer
 *   to the one ahead of it) waits, unstarted, until that answer is finished, and the
 *   connection is not read meanwhile; more than {@link MAX_PIPELINED_REQUESTS} waiting
 *   closes the connection. Node's server never emits `close` on a response queued behind
 *   another when the client goes away, so a pipelined request started at once could never
 *   learn that its client left: it held its replica slot, and the graceful stop waited for
 *   it, for good. Unstarted, it holds nothing and is dropped with the connection.
 * - At most `maxConnections` connections are served by the pod, whichever worker the
 *   kernel gave them to. Each one past that gets a 503
 *   (`Retry-After`, `Connection: close`) to its first request and is closed after it; one
 *   that sends nothing is closed after {@link REJECTED_CONNECTION_IDLE_MS} of silence (and
 *   by the headers timeout at the latest). Past `maxConnections` + {@link connectionHardLimit}'s
 *   headroom on one worker, node closes new connections at once, unanswered (so a pod of N
 *   workers holds at most N times that many sockets, all but `maxConnections` of them
 *   rejected ones, each closed within seconds).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { sendError } from "./errorResponse.js";
import { requestIdOf } from "./headers.js";
import type { SlotTable } from "./slotTable.js";

/** Pipelined requests one connection may have waiting behind the one being answered. */
export const MAX_PIPELINED_REQUESTS = 16;
/** A connection over the limit that sends nothing is closed after this much silence. */
export const REJECTED_CONNECTION_IDLE_MS = 2_000;
/** Seconds a client over the connection limit is told to wait (`Retry-After`). */
const RETRY_AFTER_SECONDS = "1";

/** Where node itself starts dropping connections: the limit plus room for the 503s. */
export function connectionHardLimit(maxConnections: number): number {
  return maxConnections + Math.max(64, Math.ceil(maxConnections / 4));
}

const kConnection = Symbol("aksml.connection");
type TrackedSocket = Socket & { [kConnection]?: Connection };

class Connection {
  /** A request of this connection is being answered. */
  busy = false;
  /** Over the connection limit: its first request gets a 503. */
  rejected = false;
  /** Pipelined requests waiting their turn, as request, response, request, response... */
  pending: Array<IncomingMessage | ServerResponse> | undefined;

  constructor(
    readonly owner: ClientConnections,
    readonly socket: TrackedSocket,
  ) {}
}

export interface ConnectionObserver {
  countRejectedConnection(): void;
}

export class ClientConnections {
  private open = 0;
  private active = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handle: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly maxConnections: number,
    /** Counts the pod's connections and requests over all workers. */
    private readonly table: SlotTable,
    private readonly worker: number,
    private readonly observer?: ConnectionObserver,
  ) {}

  /** Serves `server`'s requests through this object; `secure` for an HTTPS server. */
  attach(server: Server, secure: boolean): void {
    server.on(secure ? "secureConnection" : "connection", this.onConnection);
    server.on("request", this.onRequest);
    server.on("drop", this.onDrop);
    server.maxConnections = connectionHardLimit(this.maxConnections);
  }

  /** Connections open on this worker now. */
  openConnections(): number {
    return this.open;
  }

  /** Requests being answered by this worker now. */
  activeRequests(): number {
    return this.active;
  }

  /** Resolves when no request is being answered (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly onConnection = (socket: TrackedSocket): void => {
    const c = new Connection(this, socket);
    socket[kConnection] = c;
    this.open++;
    socket.on("close", connectionClosed);
    if (this.table.connectionOpened(this.worker) > this.maxConnections) {
      c.rejected = true;
      socket.setTimeout(REJECTED_CONNECTION_IDLE_MS);
      this.observer?.countRejectedConnection();
    }
  };

  private readonly onDrop = (): void => {
    this.observer?.countRejectedConnection();
  };

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket as TrackedSocket;
    const c = socket[kConnection];
    if (c === undefined || socket.destroyed) return; // closed while node parsed the rest of its bytes
    if (c.rejected) {
      sendError(res, 503, "this router has too many open connections; retry shortly", requestIdOf(req.headers), {
        "retry-after": RETRY_AFTER_SECONDS,
        connection: "close",
      });
      return;
    }
    if (!c.busy) {
      this.start(c, req, res);
      return;
    }
    c.pending ??= [];
    const pending = c.pending;
    if (pending.length >= 2 * MAX_PIPELINED_REQUESTS) {
      socket.destroy();
      return;
    }
    pending.push(req, res);
    // Node reads on (and parses more pipelined requests) until its queued answers pass the
    // socket's high-water mark; these are not started, so nothing would stop it.
    socket.pause();
  };

  private start(c: Connection, req: IncomingMessage, res: ServerResponse): void {
    c.busy = true;
    this.active++;
    this.table.requestStarted(this.worker);
    res.on("close", responseClosed);
    this.handle(req, res);
  }

  /** The answer on `c` is over (sent, or the connection closed): start the next pipelined request. */
  requestDone(c: Connection): void {
    this.active--;
    this.table.requestFinished(this.worker);
    c.busy = false;
    const pending = c.pending;
    if (pending !== undefined && pending.length > 0) {
      const req = pending.shift() as IncomingMessage;
      const res = pending.shift() as ServerResponse;
      // Node hands the socket to the next queued response when the previous one finished,
      // unless that one closed the connection: then this one would never be sent or closed.
      if (res.socket === c.socket && !c.socket.destroyed) {
        if (pending.length === 0) c.socket.resume();
        this.start(c, req, res);
        return;
      }
      c.pending = undefined;
      c.socket.destroy();
    }
    if (this.active === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  connectionClosed(c: Connection): void {
    this.open--;
    this.table.connectionClosed(this.worker);
    c.pending = undefined; // never started: they hold nothing
  }
}

/** Shared listeners (no closure per request or connection): `this` is the emitter. */
function responseClosed(this: ServerResponse): void {
  const c = (this.req.socket as TrackedSocket)[kConnection]!;
  c.owner.requestDone(c);
}

function connectionClosed(this: TrackedSocket): void {
  const c = this[kConnection]!;
  c.owner.connectionClosed(c);
}
