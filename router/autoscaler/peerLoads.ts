/**
 * Followers' load reports, as the leader sees them: the leader's scaling decisions
 * must count every router's in-flight and queued requests, not only its own.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { PEER_LOAD_PATH, type PeerLoadReport, type ServiceLoad } from "../contract/backend.js";

/** A report is one tick's worth of state; older than this it no longer describes the peer. */
export const DEFAULT_PEER_REPORT_MAX_AGE_MS = 3_000;
const MAX_REPORT_BYTES = 1024 * 1024;

export class PeerLoadBoard {
  private readonly reports = new Map<string, { receivedAt: number; report: PeerLoadReport }>();

  constructor(
    private readonly maxAgeMs = DEFAULT_PEER_REPORT_MAX_AGE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores the newest report of a peer. Throws on a malformed one. */
  accept(value: unknown): void {
    const report = parsePeerLoadReport(value);
    const previous = this.reports.get(report.peer);
    if (previous && previous.report.sentAt > report.sentAt) return; // out-of-order delivery
    this.reports.set(report.peer, { receivedAt: this.now(), report });
  }

  /** Every peer's fresh load summed per service. Staleness uses the leader's clock (receipt time), so skewed peer clocks cannot keep a dead peer's load alive. */
  freshLoads(): ServiceLoad[] {
    const now = this.now();
    const sums = new Map<string, ServiceLoad>();
    for (const [peer, { receivedAt, report }] of this.reports) {
      if (now - receivedAt > this.maxAgeMs) {
        this.reports.delete(peer);
        continue;
      }
      for (const l of report.loads) {
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
    const now = this.now();
    return [...this.reports].filter(([, r]) => now - r.receivedAt <= this.maxAgeMs).map(([peer]) => peer);
  }
}

export function parsePeerLoadReport(value: unknown): PeerLoadReport {
  const v = value as Partial<PeerLoadReport> | null;
  if (typeof v !== "object" || v === null) throw new Error("report must be a JSON object");
  if (typeof v.peer !== "string" || v.peer.length === 0 || v.peer.length > 253)
    throw new Error("peer must be a non-empty string");
  if (typeof v.sentAt !== "number" || !Number.isFinite(v.sentAt)) throw new Error("sentAt must be a number");
  if (!Array.isArray(v.loads)) throw new Error("loads must be an array");
  const loads: ServiceLoad[] = v.loads.map((l: unknown, i: number) => {
    const x = l as Partial<ServiceLoad> | null;
    const count = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0;
    if (
      typeof x !== "object" ||
      x === null ||
      typeof x.service !== "string" ||
      !count(x.inFlight) ||
      !count(x.queued)
    ) {
      throw new Error(`loads[${i}] must be {service: string, inFlight: integer >= 0, queued: integer >= 0}`);
    }
    return { service: x.service, inFlight: x.inFlight!, queued: x.queued! };
  });
  return { peer: v.peer, sentAt: v.sentAt, loads };
}

/**
 * Handler for `POST PEER_LOAD_PATH` on the admin port; the admin server mounts it.
 * Returns false when the request is not for it, so it can sit in a handler chain.
 */
export function handlePeerLoadRequest(board: PeerLoadBoard, req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? "").split("?")[0];
  if (path !== PEER_LOAD_PATH) return false;
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "POST" }).end();
    return true;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size > MAX_REPORT_BYTES) {
      res.writeHead(413).end();
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
      res.writeHead(400, { "content-type": "text/plain" }).end(`bad load report: ${(e as Error).message}\n`);
    }
  });
  return true;
}

/** Sends one report to the leader; a lost report only costs one tick of accuracy. */
export async function sendPeerLoadReport(leaderUrl: string, report: PeerLoadReport, timeoutMs = 800): Promise<void> {
  const res = await fetch(`${leaderUrl}${PEER_LOAD_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(report),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.body?.cancel();
  if (res.status !== 204) throw new Error(`leader answered ${res.status}`);
}
