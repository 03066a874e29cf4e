/**
 * A stand-in for cert-manager's HTTP-01 solver pod (the `acmesolver` binary of
 * quay.io/jetstack/cert-manager-acmesolver, which is a Go program in an image and
 * cannot run here). It answers the way cert-manager's
 * pkg/issuer/acme/http/solver/solver.go does: 200 with the key authorization for
 * `/.well-known/acme-challenge/<token>` when the Host matches the domain and the token
 * matches, 404 otherwise, 200 for `/` and `/healthz`. It records what reached it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";

export interface FakeAcmeSolver {
  url: string;
  domain: string;
  token: string;
  key: string;
  /** Requests that reached the solver, with the headers they carried. */
  seen: { path: string; headers: IncomingMessage["headers"] }[];
  /** Replaces the solver's behaviour (a misbehaving or slow solver). */
  override?: (req: IncomingMessage, res: ServerResponse) => void;
  server: Server;
  close(): Promise<void>;
}

function parseHost(host: string): string {
  const m = /^\[?([^\]]*?)\]?(?::\d+)?$/.exec(host);
  return m ? m[1] : host;
}

export async function startFakeAcmeSolver(domain: string, token: string, key: string): Promise<FakeAcmeSolver> {
  const solver: FakeAcmeSolver = {
    url: "",
    domain,
    token,
    key,
    seen: [],
    server: createServer((req, res) => {
      solver.seen.push({ path: req.url ?? "", headers: req.headers });
      if (solver.override) return solver.override(req, res);
      const path = req.url ?? "/";
      if (path === "/" || path === "/healthz") {
        res.writeHead(200, { "cache-control": "no-cache, no-store, must-revalidate" }).end();
        return;
      }
      const slash = path.lastIndexOf("/");
      const base = path.slice(0, slash);
      const given = path.slice(slash + 1);
      if (base !== "/.well-known/acme-challenge" || parseHost(req.headers.host ?? "") !== solver.domain) {
        res.writeHead(404).end("404 page not found\n");
        return;
      }
      if (given !== solver.token) {
        res.writeHead(404).end("404 page not found\n");
        return;
      }
      res.writeHead(200, { "cache-control": "no-cache, no-store, must-revalidate" }).end(solver.key);
    }),
    async close() {
      solver.server.closeAllConnections();
      await new Promise<void>((resolve) => solver.server.close(() => resolve()));
    },
  };
  solver.server.listen(0, "127.0.0.1");
  await once(solver.server, "listening");
  solver.url = `http://127.0.0.1:${(solver.server.address() as AddressInfo).port}`;
  return solver;
}
