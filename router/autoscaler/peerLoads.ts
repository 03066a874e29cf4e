/**
 * Followers' load reports, as the leader sees them: the leader's scaling decisions
 * must count every router's in-flight and queued requests, not only its own.
 *
 * Any pod in the cluster can reach the admin port, so the endpoint trusts nothing it
 * is sent: a report must carry the peers' shared secret (checked in constant time,
 * before the body is read), it may speak only of services this router knows (others
 * are dropped, so made-up names cannot fill memory), and the board holds at most
 * `maxPeers` peers, each report evicted once stale, on every router whatever its role.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { PEER_LOAD_PATH, type PeerLoadReport, type ServiceLoad } from "../contract/backend.js";
import { MAX_ROUTER_REPLICAS } from "../contract/routerEnvironment.js";

/** A report is one tick's worth of state; older than this it no longer describes the peer. */
export const DEFAULT_PEER_REPORT_MAX_AGE_MS = 3_000;
/** Peers on the board at once: every router replica, with room for a rollout's surge. */
export const DEFAULT_MAX_PEERS = 2 * MAX_ROUTER_REPLICAS;
const MAX_REPORT_BYTES = 1024 * 1024;
/** A pod name: a DNS subdomain. */
const PEER_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface PeerLoadBoardOptions {
  /** Whether a service name is one this router serves; reports about others are dropped. */
  isService: (name: string) => boolean;
  maxAgeMs?: number;
  /** @default {@link DEFAULT_MAX_PEERS} */
  maxPeers?: number;
  now?: () => number;
}

/** The board is full of fresh reports from other peers: the report is refused (503). */
export class PeerBoardFullError extends Error {
  constructor(max: number) {
    super(`the load board already holds fresh reports from ${max} peers`);
    this.name = "PeerBoardFullError";
  }
}

export class PeerLoadBoard {
  private readonly reports = new Map<string, { receivedAt: number; report: PeerLoadReport }>();
  private readonly maxAgeMs: number;
  private readonly maxPeers: number;
  private readonly now: () => number;

  constructor(private readonly opts: PeerLoadBoardOptions) {
    this.maxAgeMs = opts.maxAgeMs ?? DEFAULT_PEER_REPORT_MAX_AGE_MS;
    this.maxPeers = opts.maxPeers ?? DEFAULT_MAX_PEERS;
    this.now = opts.now ?? Date.now;
  }

  /** Stores the newest report of a peer, keeping only services this router knows. Throws on a malformed one, or when full. */
  accept(value: unknown): void {
    const parsed = parsePeerLoadReport(value);
    const report = { ...parsed, loads: parsed.loads.filter((l) => this.opts.isService(l.service)) };
    const previous = this.reports.get(report.peer);
    if (previous && previous.report.sentAt > report.sentAt) return; // out-of-order delivery
    if (!previous && this.reports.size >= this.maxPeers) {
      this.evictStale();
      if (this.reports.size >= this.maxPeers) throw new PeerBoardFullError(this.maxPeers);
    }
    this.reports.set(report.peer, { receivedAt: this.now(), report });
  }

  /** Drops every stale report. Each router's autoscaler calls it every tick, leading or not. */
  evictStale(): void {
    const now = this.now();
    for (const [peer, { receivedAt }] of this.reports) if (now - receivedAt > this.maxAgeMs) this.reports.delete(peer);
  }

  /** Every peer's fresh load of services still known, summed per service. Staleness uses this router's clock (receipt time), so skewed peer clocks cannot keep a dead peer's load alive. */
  freshLoads(): ServiceLoad[] {
    this.evictStale();
    const sums = new Map<string, ServiceLoad>();
    for (const { report } of this.reports.values()) {
      for (const l of report.loads) {
        if (!this.opts.isService(l.service)) continue; // removed since the report came
        const s = sums.get(l.service) ?? { service: l.service, inFlight: 0, queued: 0 };
        s.inFlight += l.inFlight;
        s.queued += l.queued;
        sums.set(l.service, s);
      }
    }
    return [...sums.values()];
  }

  /** Peers with a fresh report. */
  peers(): string[] {
    this.evictStale();
    return [...this.reports.keys()];
  }

  /** Reports held (fresh or not yet evicted). */
  size(): number {
    return this.reports.size;
  }
}

export function parsePeerLoadReport(value: unknown): PeerLoadReport {
  const v = value as Partial<PeerLoadReport> | null;
  if (typeof v !== "object" || v === null) throw new Error("report must be a JSON object");
  if (typeof v.peer !== "string" || !PEER_NAME.test(v.peer))
    throw new Error("peer must be a pod name (lowercase letters, digits, '-' and '.', at most 253 characters)");
  if (typeof v.sentAt !== "number" || !Number.isFinite(v.sentAt)) throw new Error("sentAt must be a number");
  if (!Array.isArray(v.loads)) throw new Error("loads must be an array");
  const seen = new Set<string>();
  const loads: ServiceLoad[] = v.loads.map((l: unknown, i: number) => {
    const x = l as Partial<ServiceLoad> | null;
    const count = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
    if (
      typeof x !== "object" ||
      x === null ||
      typeof x.service !== "string" ||
      !count(x.inFlight) ||
      !count(x.queued)
    ) {
      throw new Error(`loads[${i}] must be {service: string, inFlight: integer >= 0, queued: integer >= 0}`);
    }
    // Twice the same service would count its load twice.
    if (seen.has(x.service)) throw new Error(`loads[${i}] repeats service ${JSON.stringify(x.service)}`);
    seen.add(x.service);
    return { service: x.service, inFlight: x.inFlight!, queued: x.queued! };
  });
  return { peer: v.peer, sentAt: v.sentAt, loads };
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Whether an Authorization header carries the peer secret (hashed first, so the comparison takes the same time whatever the lengths). */
export function hasPeerSecret(authorization: string | undefined, secret: string): boolean {
  const presented = /^Bearer (.+)$/.exec(authorization ?? "")?.[1] ?? "";
  return timingSafeEqual(digest(presented), digest(secret)) && presented.length > 0;
}

function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  // The body is left unread: close the connection rather than drain it.
  res.writeHead(status, { "content-type": "text/plain", connection: "close", ...headers }).end(`${message}\n`);
}

/**
 * Handler for `POST PEER_LOAD_PATH` on the admin port; the admin server mounts it.
 * `secret` gives the peers' shared secret. Returns false when the request is not for
 * it, so it can sit in a handler chain.
 */
export function handlePeerLoadRequest(
  board: PeerLoadBoard,
  req: IncomingMessage,
  res: ServerResponse,
  secret: () => string,
): boolean {
  const path = (req.url ?? "").split("?")[0];
  if (path !== PEER_LOAD_PATH) return false;
  if (req.method !== "POST") {
    refuse(res, 405, "POST only", { allow: "POST" });
    return true;
  }
  if (!hasPeerSecret(req.headers.authorization, secret())) {
    refuse(res, 401, "load reports need the router peers' shared secret", {
      "www-authenticate": 'Bearer realm="aksml-router-peers"',
    });
    return true;
  }
  const declared = Number(req.headers["content-length"]);
  if (declared > MAX_REPORT_BYTES) {
    refuse(res, 413, `load reports are at most ${MAX_REPORT_BYTES} bytes`);
    return true;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size > MAX_REPORT_BYTES) {
      if (!res.headersSent) refuse(res, 413, `load reports are at most ${MAX_REPORT_BYTES} bytes`);
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on("end", () => {
    if (res.headersSent) return;
    try {
      board.accept(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.writeHead(204).end();
    } catch (e) {
      const full = e instanceof PeerBoardFullError;
      res
        .writeHead(full ? 503 : 400, { "content-type": "text/plain" })
        .end(`${full ? "load report refused" : "bad load report"}: ${(e as Error).message}\n`);
    }
  });
  return true;
}

/** Sends one report to the leader with the peer secret; a lost report only costs one tick of accuracy. */
export async function sendPeerLoadReport(
  leaderUrl: string,
  report: PeerLoadReport,
  secret: string,
  timeoutMs = 800,
): Promise<void> {
  const res = await fetch(`${leaderUrl}${PEER_LOAD_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    body: JSON.stringify(report),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.body?.cancel();
  if (res.status !== 204) throw new Error(`leader answered ${res.status}`);
}
