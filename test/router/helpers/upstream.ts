/**
 * Model replicas for tests: real node:http servers on loopback that speak the
 * inference server's contract (`POST|GET /score`, `GET /swagger.json`), count the
 * requests that reach them, and can be told to be slow, to die mid-response, etc.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { afterEach } from "vitest";
import type { ReplicaEndpoint } from "../../../router/contract/backend.js";

export type ReplicaBehaviour = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export const echo: ReplicaBehaviour = (req, res, body) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ path: req.url, method: req.method, bytes: body.length, headers: req.headers }));
};

export interface TestReplica {
  endpoint: ReplicaEndpoint;
  server: Server;
  /** Requests that reached the replica (counted when their headers arrive). */
  hits: number;
  /** Requests being handled right now. */
  active: number;
  behaviour: ReplicaBehaviour;
  close(): Promise<void>;
}

export async function startReplica(id: string, behaviour: ReplicaBehaviour = echo): Promise<TestReplica> {
  const replica: TestReplica = {
    endpoint: { id, url: "" },
    server: createServer(),
    hits: 0,
    active: 0,
    behaviour,
    async close() {
      replica.server.closeAllConnections();
      await new Promise<void>((resolve) => replica.server.close(() => resolve()));
    },
  };
  replica.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    replica.hits++;
    replica.active++;
    res.once("close", () => replica.active--);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      Promise.resolve(replica.behaviour(req, res, Buffer.concat(chunks))).catch(() => res.destroy());
    });
  });
  replica.server.listen(0, "127.0.0.1");
  await once(replica.server, "listening");
  replica.endpoint.url = `http://127.0.0.1:${(replica.server.address() as AddressInfo).port}`;
  return replica;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A `startReplica` whose replicas are closed after each test. Call it before the file's
 * own `afterEach` (hooks after a test run last-registered first, so a router the file
 * stops in its hook stops before its replicas close).
 */
export function replicasClosedAfterEach(): (id: string, behaviour?: ReplicaBehaviour) => Promise<TestReplica> {
  const started: TestReplica[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.close()));
  });
  return async (id, behaviour) => {
    const r = await startReplica(id, behaviour);
    started.push(r);
    return r;
  };
}
