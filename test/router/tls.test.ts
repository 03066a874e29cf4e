/** HTTPS data port: serves the PEM pair from files and picks up a replaced certificate without a restart. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { once } from "node:events";
import { startReplica, sleep, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { openRaw } from "./helpers/rawClient.js";
import { until } from "./helpers/poll.js";

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const dir = mkdtempSync(join(tmpdir(), "aksml-tls-"));
const certFile = join(dir, "tls.crt");
const keyFile = join(dir, "tls.key");

function makeCert(cn: string): { cert: string; key: string } {
  const c = join(dir, `${cn}.crt`);
  const k = join(dir, `${cn}.key`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      k,
      "-out",
      c,
      "-days",
      "1",
      "-subj",
      `/CN=${cn}`,
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { cert: readFileSync(c, "utf8"), key: readFileSync(k, "utf8") };
}

/** Replaces a file atomically, as a Secret volume update does. */
function replace(file: string, content: string): void {
  writeFileSync(`${file}.tmp`, content);
  renameSync(`${file}.tmp`, file);
}

let replica: TestReplica;
let router: TestRouter;
let first: { cert: string; key: string };

function get(path: string, ca: string): Promise<{ status: number; cn: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${router.dataUrl}${path}`);
    const req = httpsRequest({ host: url.hostname, port: url.port, path, ca, agent: false }, (res) => {
      const cn = (res.socket as TLSSocket).getPeerCertificate().subject?.CN as string;
      res.resume().on("end", () => resolve({ status: res.statusCode!, cn }));
    });
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  if (!hasOpenssl) return;
  first = makeCert("first");
  writeFileSync(certFile, first.cert);
  writeFileSync(keyFile, first.key);
  replica = await startReplica("r0");
  router = await startTestRouter([{ name: "m", config: { auth: { mode: "none" } }, replicas: [replica.endpoint] }], {
    tls: { certFile, keyFile },
    tlsPollMs: 50,
    clientTimeouts: { tlsHandshakeTimeoutMs: 500 },
  });
});

afterAll(async () => {
  await router?.stop();
  await replica?.close();
  rmSync(dir, { recursive: true, force: true });
});

it.skipIf(!hasOpenssl)(
  "serves HTTPS and reloads a replaced certificate; a broken replacement keeps the old one",
  async () => {
    expect(router.dataUrl.startsWith("https://")).toBe(true);
    expect(await get("/api/v1/service/m/score", first.cert)).toEqual({ status: 200, cn: "first" });
    expect((await get("/healthz", first.cert)).status).toBe(200);

    const second = makeCert("second");
    replace(keyFile, second.key);
    replace(certFile, second.cert);
    let seen = "";
    for (let i = 0; i < 100 && seen !== "second"; i++) {
      await sleep(50);
      seen = (await get("/healthz", second.cert).catch(() => ({ cn: "" }))).cn;
    }
    expect(seen).toBe("second");

    // A key that does not match the certificate is refused; the router keeps serving "second".
    replace(keyFile, makeCert("third").key);
    await sleep(400);
    expect(await get("/api/v1/service/m/score", second.cert)).toEqual({ status: 200, cn: "second" });
  },
);

it.skipIf(!hasOpenssl)("closes a connection that never finishes its TLS handshake", async () => {
  const c = await openRaw(router.dataUrl.replace("https:", "http:"));
  c.socket.write(Buffer.from([0x16, 0x03, 0x01])); // the first bytes of a ClientHello, then nothing
  await c.closed;
  expect(c.received().length).toBe(0);
});

it.skipIf(!hasOpenssl)("answers a TLS connection over the connection limit with 503 after the handshake", async () => {
  // Its own PEM pair: the reload test above leaves a mismatched key behind.
  const pair = makeCert("limited");
  const limitedCert = join(dir, "limited-tls.crt");
  const limitedKey = join(dir, "limited-tls.key");
  writeFileSync(limitedCert, pair.cert);
  writeFileSync(limitedKey, pair.key);
  const limited = await startTestRouter(
    [{ name: "m", config: { auth: { mode: "none" } }, replicas: [replica.endpoint] }],
    { tls: { certFile: limitedCert, keyFile: limitedKey }, maxConnections: 1 },
  );
  const ca = pair.cert;
  // One TLS connection, handshaken and kept open, takes the only place.
  const url = new URL(limited.dataUrl);
  const held = tlsConnect({ host: url.hostname, port: Number(url.port), ca });
  await once(held, "secureConnect");
  await until(async () => {
    const text = await (await fetch(`${limited.adminUrl}/metrics`)).text();
    return text.includes("\naksml_router_open_connections 1\n");
  }, "the held connection counted");
  try {
    const over = await new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const req = httpsRequest({ host: url.hostname, port: url.port, path: "/healthz", ca, agent: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, retryAfter: res.headers["retry-after"] as string | undefined });
      });
      req.on("error", reject);
      req.end();
    });
    expect(over).toEqual({ status: 503, retryAfter: "1" });
  } finally {
    held.destroy();
    await limited.stop();
  }
});
