// Starts Azurite's blob service on loopback for the fetch-model tests (well-known dev account).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const AZURITE = fileURLToPath(new URL("../../node_modules/.bin/azurite-blob", import.meta.url));
export const DEV_ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface Azurite {
  connectionString: string;
  blobEndpoint: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`azurite exited with ${child.exitCode}`));
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`azurite did not listen on ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/**
 * Azurite on `port` (default: a free one) keeping its data in `location` (default: a fresh
 * folder, removed on stop; a given one is kept, so a restarted Azurite finds its blobs).
 */
export async function startAzurite(opts: { port?: number; location?: string } = {}): Promise<Azurite> {
  const location = opts.location ?? mkdtempSync(join(tmpdir(), "aksml-azurite-"));
  const port = opts.port ?? (await freePort());
  const child = spawn(
    AZURITE,
    [
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(port),
      "--location",
      location,
      "--silent",
      "--skipApiVersionCheck",
      "--loose",
      "--disableTelemetry",
    ],
    { stdio: "ignore" },
  );
  await waitForPort(port, child, 30_000);
  const blobEndpoint = `http://127.0.0.1:${port}/devstoreaccount1`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (opts.location === undefined) rmSync(location, { recursive: true, force: true });
    },
  };
}

/** What went through the counting proxy: requests by method, and response body bytes of GETs. */
export interface Traffic {
  requests: Record<string, number>;
  getBodyBytes: number;
}

export interface CountingProxy {
  /** Azurite's blob endpoint, through the proxy. */
  blobEndpoint: string;
  connectionString: string;
  traffic: Traffic;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A plain HTTP relay in front of Azurite that counts what storage serves, so a test can
 * assert that a fetch downloaded nothing (Shared Key signatures do not cover the port).
 */
export async function startCountingProxy(azurite: Azurite): Promise<CountingProxy> {
  const target = new URL(azurite.blobEndpoint);
  const traffic: Traffic = { requests: {}, getBodyBytes: 0 };
  const server = createHttpServer((req, res) => {
    const method = req.method ?? "GET";
    traffic.requests[method] = (traffic.requests[method] ?? 0) + 1;
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.on("data", (chunk: Buffer) => {
          if (method === "GET") traffic.getBodyBytes += chunk.length;
        });
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const blobEndpoint = `http://127.0.0.1:${port}${target.pathname}`;
  return {
    blobEndpoint,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    traffic,
    reset: () => {
      traffic.requests = {};
      traffic.getBodyBytes = 0;
    },
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
