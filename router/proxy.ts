/**
 * The data path for one model service request, as a sequence of steps:
 * resolve the service (or endpoint) -> authenticate -> an endpoint's version -> room in the queue -> read or stream the body ->
 * acquire a replica slot (maybe queued) -> relay through the upstream pool -> release ->
 * finish (metrics and the access line). A failed attempt may go back to "acquire" for another replica
 * (the retry rule, retryDecision.ts).
 *
 * This function is the sequence; a ServiceExchange (serviceExchange.ts) holds one
 * request's state and implements each step synchronously, so the only awaits here are
 * on real I/O (a token check, a small body, a queued slot, the replica) and the fast
 * path allocates no closure beyond the client-close listener.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./auth/authenticate.js";
import type { Lease } from "./serviceState.js";
import { ServiceExchange } from "./serviceExchange.js";
import type { ProxyContext, ServiceAction } from "./proxyContext.js";

export type { ProxyContext, ServiceAction };

export async function proxyServiceRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  serviceName: string,
  action: ServiceAction,
  query: string,
  requestId: string,
): Promise<void> {
  const x = new ServiceExchange(ctx, req, res, serviceName, requestId);
  const credentials = x.resolveService(action);
  if (!credentials) return;
  x.watchClient();

  const auth = authenticate(credentials, req.headers.authorization); // synchronous for keys, a promise for tokens
  if (!x.authorized(auth instanceof Promise ? await auth : auth)) return;
  if (!x.routeVersion()) return;
  if (!x.roomInQueue()) return;

  const reading = x.startBody();
  if (reading) {
    try {
      x.bodyBuffered(await reading);
    } catch (e) {
      return x.bodyFailed(e);
    }
  }

  x.prepareUpstream(action, query);
  x.mirror();
  for (;;) {
    let lease: Lease;
    try {
      const got = x.acquireSlot();
      lease = got instanceof Promise ? await got : got;
    } catch (e) {
      return x.slotRefused(e);
    }
    if (!x.granted(lease)) return;

    const call = x.relay(lease);
    const head = await call.started;
    if (!head.ok) {
      if (x.attemptFailed(lease, head.error) === "retry") continue;
      return;
    }
    return x.relayed(lease, await call.finished);
  }
}
