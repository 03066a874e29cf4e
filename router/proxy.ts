/**
 * The data path for one model service request: a ServiceExchange (serviceExchange.ts)
 * holds the request's state and runs its steps (resolve the service -> authenticate ->
 * room in the queue -> read or stream the body -> acquire a replica slot (maybe queued)
 * -> relay -> release -> finish), each continuing from the event it waited for.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ServiceExchange } from "./serviceExchange.js";
import type { ProxyContext, ServiceAction } from "./proxyContext.js";

export type { ProxyContext, ServiceAction };

export function proxyServiceRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  serviceName: string,
  action: ServiceAction,
  query: string,
  requestId: string,
): void {
  new ServiceExchange(ctx, req, res, serviceName, requestId, action, query).start();
}
