/**
 * Bodies are streamed, never buffered whole: a router process with a 64 MB V8 heap
 * (--max-old-space-size=64) carries a 100 MB - 1 byte upload to a replica and a
 * 100 MB - 1 byte download back, byte for byte (SHA-256 on both ends), and its
 * peak RSS grows by far less than the body size. (Buffers live outside the V8
 * heap, so the RSS bound is the check that really proves streaming.)
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { startChildRouter, type ChildRouter } from "./helpers/childRouter.js";
import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";
import { KEYS } from "./helpers/router.js";

const SIZE = MAX_REQUEST_BYTES - 1;
const BLOCK = Buffer.alloc(1024 * 1024);
for (let i = 0; i < BLOCK.length; i++) BLOCK[i] = (i * 2654435761) >>> 24;

/** Yields `size` bytes: the block repeated with a per-block counter, so no two MBs are equal. */
function* payload(size: number): Generator<Buffer> {
  let left = size;
  for (let n = 0; left > 0; n++) {
    const b = Buffer.from(BLOCK.subarray(0, Math.min(left, BLOCK.length)));
    b.writeUInt32BE(n, 0);
    left -= b.length;
    yield b;
  }
}

function sha(size: number): string {
  const h = createHash("sha256");
  for (const b of payload(size)) h.update(b);
  return h.digest("hex");
}

let replica: Server;
let router: ChildRouter;

beforeAll(async () => {
  replica = createServer((req, res) => {
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const gen = payload(SIZE);
      const pump = () => {
        for (let r = gen.next(); !r.done; r = gen.next()) if (!res.write(r.value)) return void res.once("drain", pump);
        res.end();
      };
      pump();
      return;
    }
    const h = createHash("sha256");
    let bytes = 0;
    req.on("data", (c: Buffer) => {
      bytes += c.length;
      h.update(c);
    });
    req.on("end", () => res.end(JSON.stringify({ bytes, sha: h.digest("hex") })));
  });
  replica.listen(0, "127.0.0.1");
  await once(replica, "listening");
  const url = `http://127.0.0.1:${(replica.address() as AddressInfo).port}`;
  router = await startChildRouter([{ name: "big", keys: KEYS, replicas: [{ id: "r0", url }] }], {
    nodeArgs: ["--max-old-space-size=64"],
  });
}, 60_000);

afterAll(async () => {
  router?.proc.kill("SIGTERM");
  await router?.exited;
  replica.closeAllConnections();
  replica.close();
});

async function rss(): Promise<{ baselineRss: number; peakRss: number }> {
  return (await (await fetch(`${router.adminUrl}/test/rss`)).json()) as { baselineRss: number; peakRss: number };
}

it("streams a 100 MB - 1 byte upload through a 64 MB-heap router intact", async () => {
  const before = await rss();
  const url = new URL(`${router.dataUrl}/api/v1/service/big/score`);
  const result = await new Promise<string>((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.primaryKey}`, "content-length": String(SIZE) },
    });
    req.on("response", (res) => {
      let body = "";
      res
        .setEncoding("utf8")
        .on("data", (c: string) => (body += c))
        .on("end", () => resolve(body));
    });
    req.on("error", reject);
    const gen = payload(SIZE);
    const pump = () => {
      for (let r = gen.next(); !r.done; r = gen.next()) if (!req.write(r.value)) return void req.once("drain", pump);
      req.end();
    };
    pump();
  });
  expect(JSON.parse(result)).toEqual({ bytes: SIZE, sha: sha(SIZE) });
  const after = await rss();
  expect(after.peakRss - before.peakRss).toBeLessThan(64 * 1024 * 1024);
}, 120_000);

it("streams a 100 MB - 1 byte response back intact", async () => {
  const res = await fetch(`${router.dataUrl}/api/v1/service/big/score`, {
    headers: { authorization: `Bearer ${KEYS.secondaryKey}` },
  });
  expect(res.status).toBe(200);
  const h = createHash("sha256");
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    h.update(chunk);
  }
  expect(bytes).toBe(SIZE);
  expect(h.digest("hex")).toBe(sha(SIZE));
  const { baselineRss, peakRss } = await rss();
  expect(peakRss - baselineRss).toBeLessThan(64 * 1024 * 1024);
}, 120_000);
