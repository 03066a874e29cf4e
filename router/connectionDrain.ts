/**
 * How the data listener stops on SIGTERM without failing a request that a client sends
 * on a kept-alive connection (a rolling restart must not affect inferencing).
 *
 * `http.Server.close()` (Node >= 19) closes every idle keep-alive connection at once. A
 * client that is writing its next request on one just then sees the connection close
 * before any answer ("other side closed"): a failed request, and not one it may safely
 * retry (scoring is a POST). Under sustained load a connection is idle only for the
 * instant between an answer and the next request, so every restart failed a few.
 *
 * Instead the listener stops accepting and the open connections keep being served: each
 * answer while draining carries `Connection: close`, so its client opens its next
 * connection elsewhere (by then the pod is out of the endpoints). A connection its client
 * leaves unused for {@link DRAIN_LINGER_MS} is closed then, as are any left when the
 * in-flight requests are done.
 */
import type { Server as HttpServer } from "node:http";
import { Server as NetServer } from "node:net";

/** Longest wait for clients to use (and so learn to leave) their idle connections. */
export const DRAIN_LINGER_MS = 1_000;

/** Stops accepting connections, leaving open ones be; resolves once every connection has closed. */
export function stopAccepting(server: NetServer): Promise<void> {
  return new Promise((resolve) => NetServer.prototype.close.call(server, () => resolve()));
}

/**
 * Waits until every open connection is answering a request (then each closes after its
 * answer) or `lingerMs` has passed, then closes the connections that are still idle.
 */
export async function closeIdleAfterLinger(
  server: HttpServer,
  activeRequests: () => number,
  lingerMs = DRAIN_LINGER_MS,
): Promise<void> {
  const until = performance.now() + lingerMs;
  while (performance.now() < until && (await openConnections(server)) > activeRequests())
    await new Promise((r) => setTimeout(r, 20));
  server.closeIdleConnections();
}

function openConnections(server: NetServer): Promise<number> {
  return new Promise((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)));
}
