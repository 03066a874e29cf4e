/**
 * `aksml local`'s admin API, mounted on the router's admin port (127.0.0.1 only), which the
 * day-2 commands call with `--local`:
 *
 *   GET  /admin/v1/services                     every service: state, replicas, auth, scoring URI
 *   GET  /admin/v1/services/<name>              one service (the same shape)
 *   GET  /admin/v1/services/<name>/keys         {primaryKey, secondaryKey}
 *   POST /admin/v1/services/<name>/regen-key    {"key": "primary"|"secondary", "value"?} -> the new pair
 *   POST /admin/v1/services/<name>/token        a token from the built-in issuer, with refreshBy
 *   GET  /admin/v1/services/<name>/logs         ?tail=N&follow=1&replica=local-2 (NDJSON lines)
 *   GET  /admin/v1/router/logs                  the router's own log lines (?tail, ?follow)
 *   GET  /oidc/.well-known/openid-configuration, /oidc/jwks   the built-in issuer (public)
 *
 * Everything under /admin/v1/ needs `Authorization: Bearer <admin token>` (adminState.ts
 * says why) and a loopback peer. Bodies are bounded; followers are bounded (LogStore) and
 * dropped when they stop reading.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AdminRouteHandler } from "../../router/startRouter.js";
import type { LocalProcessBackend } from "../../router/backends/local/localBackend.js";
import { LOCAL_ISSUER_PATH, type LocalIssuer } from "../../router/backends/local/localIssuer.js";
import { TooManyFollowersError, type LogLine, type LogStore } from "../../router/backends/local/logStore.js";
import type { LogLineReport, RegenKeyReport, ServiceSummary } from "../day2/model.js";
import { rotatedKeys, slotField } from "../day2/keyValues.js";
import { localServiceState } from "./localServiceState.js";

export const ADMIN_API_PREFIX = "/admin/v1/";
/** Largest request body the admin API reads (a regen-key body with the longest valid key fits). */
const MAX_ADMIN_BODY_BYTES = 16 * 1024;
/** A follower that has this much unsent output is not reading; it is dropped. */
const MAX_FOLLOWER_BACKLOG_BYTES = 1024 * 1024;
/** Largest `tail` honoured (the stores keep fewer lines anyway). */
const MAX_TAIL = 100_000;

export interface AdminApiContext {
  backend: LocalProcessBackend;
  routerLogs: LogStore;
  /** The built-in issuer, when a service uses it. */
  issuer?: LocalIssuer;
  /** Services served with the built-in issuer. */
  builtInIssuer: ReadonlySet<string>;
  adminToken: string;
  dataUrl(): string;
  /** Writes a regenerated key where the service's keys live; says where that is. */
  persistKey(service: string, oldKey: string, newKey: string): string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function isLoopback(address: string | undefined): boolean {
  return !!address && (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."));
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(header ?? "")?.[1] ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ADMIN_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_ADMIN_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (!size) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "request body is not JSON");
  }
}

function tailParam(q: URLSearchParams): number | undefined {
  const v = q.get("tail");
  if (v === null || v === "") return undefined;
  if (!/^\d+$/.test(v)) throw new HttpError(400, `tail must be a non-negative integer, got ${JSON.stringify(v)}`);
  return Math.min(Number(v), MAX_TAIL);
}

const report = (l: LogLine): LogLineReport => ({ source: l.source, at: new Date(l.at).toISOString(), text: l.text });

/** Streams NDJSON log lines: the tail, then (with follow) every new line until the client goes. */
function streamLogs(req: IncomingMessage, res: ServerResponse, store: LogStore, q: URLSearchParams): void {
  const source = q.get("replica") ?? undefined;
  const follow = q.get("follow") === "1" || q.get("follow") === "true";
  if (source !== undefined && !store.sources().some((s) => s.source === source))
    throw new HttpError(
      404,
      `no replica ${JSON.stringify(source)}; replicas with logs: ${
        store
          .sources()
          .map((s) => s.source + (s.exited ? " (exited)" : ""))
          .join(", ") || "none yet"
      }`,
    );
  const tail = tailParam(q);
  let stop: (() => void) | undefined;
  if (follow) {
    try {
      stop = store.follow((line) => {
        if (source !== undefined && line.source !== source) return;
        if (res.writableLength > MAX_FOLLOWER_BACKLOG_BYTES) {
          stop?.();
          res.destroy();
          return;
        }
        res.write(`${JSON.stringify(report(line))}\n`);
      });
    } catch (e) {
      if (e instanceof TooManyFollowersError) throw new HttpError(429, e.message);
      throw e;
    }
    req.socket.setTimeout(0);
    res.once("close", () => stop?.());
  }
  res.writeHead(200, { "content-type": "application/x-ndjson", "cache-control": "no-store" });
  for (const line of store.tail(tail, source)) res.write(`${JSON.stringify(report(line))}\n`);
  if (!follow) res.end();
  else res.flushHeaders();
}

export function adminApiRoutes(ctx: AdminApiContext): Map<string, AdminRouteHandler> {
  const { backend } = ctx;
  const known = (name: string) => {
    const spec = backend.spec(name);
    if (!spec)
      throw new HttpError(
        404,
        `no service ${JSON.stringify(name)} in this aksml local; services: ${backend.serviceNames().join(", ")}`,
      );
    return spec;
  };
  const summary = (name: string): ServiceSummary => {
    const spec = known(name);
    const status = backend.status(name);
    const state = status
      ? localServiceState(status)
      : { state: "Transitioning" as const, reason: "starting", replicas: { ready: 0, desired: 0 } };
    return {
      name,
      ...state,
      authMode: spec.config.auth.mode,
      scoringUri: `${ctx.dataUrl()}/api/v1/service/${name}/score`,
    };
  };

  const service = async (req: IncomingMessage, res: ServerResponse, name: string, action: string) => {
    const method = req.method ?? "GET";
    const spec = known(name);
    const mode = spec.config.auth.mode;
    const expect = (m: string) => {
      if (method !== m) throw new HttpError(405, `use ${m} for ${action || "the service"}`);
    };
    switch (action) {
      case "":
        expect("GET");
        return sendJson(res, 200, summary(name));
      case "keys":
        expect("GET");
        if (mode !== "key" || !spec.keys) throw new HttpError(409, `service ${name} uses ${mode} auth and has no keys`);
        return sendJson(res, 200, { primaryKey: spec.keys.primaryKey, secondaryKey: spec.keys.secondaryKey });
      case "regen-key": {
        expect("POST");
        const body = (await readBody(req)) as { key?: unknown; value?: unknown };
        if (body.key !== "primary" && body.key !== "secondary")
          throw new HttpError(400, 'body must be {"key": "primary"|"secondary"} (optionally "value")');
        if (body.value !== undefined && typeof body.value !== "string")
          throw new HttpError(400, "value must be a string");
        if (mode !== "key" || !spec.keys)
          throw new HttpError(409, `service ${name} uses ${mode} auth and has no keys to regenerate`);
        let next: ReturnType<typeof rotatedKeys>;
        try {
          next = rotatedKeys(spec.keys, body.key, body.value);
        } catch (e) {
          throw new HttpError(400, (e as Error).message);
        }
        const field = slotField(body.key);
        const old = spec.keys[field];
        backend.setKeys(name, next);
        const persisted = ctx.persistKey(name, old, next[field]);
        const answer: RegenKeyReport = { ...next, regenerated: body.key, persisted };
        return sendJson(res, 200, answer);
      }
      case "token": {
        expect("POST");
        if (mode !== "token")
          throw new HttpError(409, `service ${name} uses ${mode} auth; tokens are for token-auth services`);
        if (!ctx.issuer || !ctx.builtInIssuer.has(name))
          throw new HttpError(
            409,
            `service ${name} trusts the issuer ${spec.config.auth.issuer}, not aksml local's; get a token from that issuer`,
          );
        const role = spec.config.auth.requiredRole;
        return sendJson(
          res,
          200,
          await ctx.issuer.mint(spec.config.auth.audience!, { roles: role ? [role] : undefined }),
        );
      }
      case "logs": {
        expect("GET");
        const store = backend.logs(name);
        if (!store) throw new HttpError(409, `service ${name} has not started yet`);
        return streamLogs(req, res, store, new URL(req.url ?? "/", "http://x").searchParams);
      }
      default:
        throw new HttpError(404, `unknown action ${JSON.stringify(action)}; use keys, regen-key, token or logs`);
    }
  };

  const admin: AdminRouteHandler = async (req, res) => {
    try {
      if (!isLoopback(req.socket.remoteAddress)) throw new HttpError(403, "the admin API answers this machine only");
      if (!tokenMatches(req.headers.authorization, ctx.adminToken))
        throw new HttpError(
          401,
          "missing or wrong admin token; the day-2 commands read it from the state file aksml local wrote",
        );
      const url = new URL(req.url ?? "/", "http://x");
      const rest = url.pathname.slice(ADMIN_API_PREFIX.length).split("/");
      if (rest[0] === "services" && rest.length === 1) {
        if (req.method !== "GET") throw new HttpError(405, "use GET");
        return sendJson(res, 200, backend.serviceNames().map(summary));
      }
      if (rest[0] === "services" && (rest.length === 2 || rest.length === 3) && rest[1])
        return await service(req, res, decodeURIComponent(rest[1]), rest[2] ?? "");
      if (rest[0] === "router" && rest[1] === "logs" && rest.length === 2)
        return streamLogs(req, res, ctx.routerLogs, url.searchParams);
      throw new HttpError(404, `no admin route ${url.pathname}`);
    } catch (e) {
      if (res.headersSent) return void res.destroy();
      const status = e instanceof HttpError ? e.status : 500;
      sendJson(res, status, { error: { code: status, message: (e as Error).message } });
    }
  };

  const issuer: AdminRouteHandler = (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (!ctx.issuer)
      return sendJson(res, 404, { error: { code: 404, message: "no service uses the built-in issuer" } });
    if (path === `${LOCAL_ISSUER_PATH}/.well-known/openid-configuration`)
      return sendJson(res, 200, ctx.issuer.discovery());
    if (path === `${LOCAL_ISSUER_PATH}/jwks`) return sendJson(res, 200, ctx.issuer.jwks());
    sendJson(res, 404, { error: { code: 404, message: `no issuer route ${path}` } });
  };

  return new Map([
    [ADMIN_API_PREFIX, admin],
    [`${LOCAL_ISSUER_PATH}/`, issuer],
  ]);
}
