/**
 * Load for routers with several data-path workers: every request on a connection of its
 * own, so the kernel's SO_REUSEPORT hashing spreads them over the workers, and readings of
 * the per-worker counters that show it did.
 */
import { request } from "node:http";
import type { ReplicaBehaviour } from "./upstream.js";
import { sleep } from "./upstream.js";

export interface Answer {
  status: number;
  body: string;
}

/** One request on a fresh connection; rejects on a connection error. */
export function sendFresh(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
  body = "{}",
): Promise<Answer> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** `aksml_router_worker_requests_total` per worker index, from one scrape. */
export async function requestsByWorker(adminUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^aksml_router_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm))
    out.set(m[1]!, Number(m[2]));
  return out;
}

/** A metric's value from one scrape (0 when absent); `labels` is the exact label text, e.g. `service="m",code="200"`. */
export async function metricValue(adminUrl: string, name: string, labels = ""): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
}

/** A replica that holds each request `holdMs` and records the most it ever had at once. */
export function concurrencyRecorder(holdMs: number): { behaviour: ReplicaBehaviour; maxSeen(): number } {
  let active = 0;
  let max = 0;
  return {
    behaviour: async (_req, res) => {
      active++;
      max = Math.max(max, active);
      await sleep(holdMs);
      // Counted out before the answer leaves: the router can only send the next request
      // after it has the answer, so a second request seen meanwhile is a real overlap.
      active--;
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true}');
    },
    maxSeen: () => max,
  };
}
