/**
 * HTTP request handlers of the two listeners:
 * - data port: `/api/v1/service/<name>/score|swagger.json`, `/healthz`, `/readyz`
 *   (readiness only: the public port names no service and no configuration problem);
 * - admin port: `/metrics`, `/healthz`, `/readyz` (with the number of services and every
 *   rejected service's problem) and routes mounted by the control half (the peer load
 *   endpoint) or by the command composing the router (`aksml local`'s admin API, by exact
 *   path or under a prefix ending in "/"), never exposed through the LoadBalancer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { proxyServiceRequest, type ProxyContext } from "./proxy.js";
import { sendError } from "./errorResponse.js";
import { requestIdOf } from "./headers.js";
import type { ServiceProblem } from "./catalog.js";
import type { RouterMetrics } from "./metrics.js";
import type { Logger } from "./log.js";

/** What the admin port's /readyz details: the catalog (catalog.ts). */
export interface ServiceListing {
  names(): string[];
  problemList(): ServiceProblem[];
}

export type AdminRouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Health {
  ready(): boolean;
  draining(): boolean;
}

const SERVICE_PREFIX = "/api/v1/service/";

function sendText(res: ServerResponse, status: number, contentType: string, body: string, close: boolean): void {
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
  };
  if (close) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(body);
}

/** `/healthz` and `/readyz`; with a `registry`, `/readyz` details the services (admin port only). */
function healthRoutes(path: string, res: ServerResponse, health: Health, registry?: ServiceListing): boolean {
  if (path === "/healthz") {
    sendText(res, 200, "text/plain", "ok\n", health.draining());
    return true;
  }
  if (path === "/readyz") {
    const ready = health.ready() && !health.draining();
    const body = JSON.stringify(
      registry
        ? { ready, draining: health.draining(), services: registry.names().length, problems: registry.problemList() }
        : { ready, draining: health.draining() },
    );
    sendText(res, ready ? 200 : 503, "application/json", body, health.draining());
    return true;
  }
  return false;
}

function crash(log: Logger, res: ServerResponse, requestId: string, err: unknown): void {
  log.error({ reqId: requestId, err: (err as Error)?.message }, "request handler failed");
  sendError(res, 500, "internal router error", requestId);
}

export function dataHandler(ctx: ProxyContext, health: Health): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (path.startsWith(SERVICE_PREFIX)) {
      const rest = path.slice(SERVICE_PREFIX.length);
      const slash = rest.indexOf("/");
      const action = slash === -1 ? "" : rest.slice(slash + 1);
      const requestId = requestIdOf(req.headers);
      if (slash > 0 && (action === "score" || action === "swagger.json")) {
        let name = rest.slice(0, slash);
        if (name.includes("%")) {
          try {
            name = decodeURIComponent(name);
          } catch {
            return sendError(res, 400, "malformed service name", requestId);
          }
        }
        proxyServiceRequest(
          ctx,
          req,
          res,
          name,
          action === "score" ? "score" : "swagger",
          q === -1 ? "" : url.slice(q),
          requestId,
        );
        return;
      }
      return sendError(res, 404, "unknown route; use /api/v1/service/<name>/score or /swagger.json", requestId);
    }
    if (healthRoutes(path, res, health)) return;
    sendError(res, 404, "not found", requestIdOf(req.headers));
  };
}

/** A route mounted under a prefix (a key ending in "/") that `path` is below, the longest first. */
function prefixRoute(routes: ReadonlyMap<string, AdminRouteHandler>, path: string): AdminRouteHandler | undefined {
  let best: string | undefined;
  for (const key of routes.keys())
    if (key.endsWith("/") && path.startsWith(key) && (!best || key.length > best.length)) best = key;
  return best === undefined ? undefined : routes.get(best);
}

export function adminHandler(
  registry: ServiceListing,
  metrics: RouterMetrics,
  health: Health,
  log: Logger,
  routes: ReadonlyMap<string, AdminRouteHandler>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const mounted = routes.get(path) ?? prefixRoute(routes, path);
    if (mounted) {
      Promise.resolve()
        .then(() => mounted(req, res))
        .catch((e) => crash(log, res, requestIdOf(req.headers), e));
      return;
    }
    if (path === "/metrics") {
      metrics
        .render()
        .then(({ contentType, body }) => sendText(res, 200, contentType, body, false))
        .catch((e) => crash(log, res, requestIdOf(req.headers), e));
      return;
    }
    if (healthRoutes(path, res, health, registry)) return;
    sendError(res, 404, "not found", requestIdOf(req.headers));
  };
}
