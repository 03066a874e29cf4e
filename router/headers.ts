/**
 * Header handling at the proxy boundary: hop-by-hop headers (RFC 9110 7.6.1) and
 * the ones named in `Connection` stay on their own hop; the request id is taken
 * from the client when sane, otherwise generated; the router's key never reaches
 * model code.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

// `expect` too: the router answers `100-continue` to its client itself (node:http does),
// and the upstream request is sent with its body already flowing.
const HOP_BY_HOP = new Set([
  "expect",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,100}$/;

export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers["x-ms-request-id"] ?? headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID_RE.test(given) ? given : randomUUID();
}

function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  // What replicas (and most clients) send: nothing to strip beyond the hop-by-hop set.
  if (value === undefined || value === "keep-alive" || value === "close") return undefined;
  const joined = Array.isArray(value) ? value.join(",") : value;
  const tokens = joined
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t && t !== "close" && t !== "keep-alive");
  return tokens.length ? new Set(tokens) : undefined;
}

export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  requestId: string,
  dropAuthorization: boolean,
  clientAddress: string | undefined,
): Record<string, string | string[]> {
  const extra = connectionTokens(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    if (dropAuthorization && name === "authorization") continue;
    const v = headers[name];
    if (v !== undefined) out[name] = v;
  }
  out["x-ms-request-id"] = requestId;
  out["x-request-id"] = requestId;
  if (clientAddress) {
    const prior = headers["x-forwarded-for"];
    out["x-forwarded-for"] = prior
      ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${clientAddress}`
      : clientAddress;
  }
  return out;
}

export function clientResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
  requestId: string,
): OutgoingHttpHeaders {
  const extra = connectionTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    const v = headers[name];
    if (v !== undefined) out[name] = v;
  }
  out["x-ms-request-id"] = requestId;
  return out;
}
