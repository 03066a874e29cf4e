// A renewed certificate Secret is served without a restart. The router reads its PEM
// pair from a Secret volume laid out exactly as the kubelet lays it out (timestamped
// directory, `..data` symlink, per-key symlinks) and renewed the way the kubelet renews
// it (an atomic rename of `..data`), while clients connect over real TLS and check the
// chain against the issuing CA and the host name, as a client of the leaf domain does.
import { afterAll, beforeAll, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { startReplica, sleep, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { createTestCa, hasOpenssl, type TestCa } from "./helpers/testPki.js";
import { SecretVolume } from "./helpers/secretVolume.js";
import { startFakeAcmeSolver, type FakeAcmeSolver } from "./helpers/acmeSolver.js";

const HOST = "contosoml4k2j9x.westeurope.cloudapp.azure.com";
const dir = mkdtempSync(join(tmpdir(), "aksml-tls-volume-"));

let ca: TestCa;
let volume: SecretVolume;
let replica: TestReplica;
let solver: FakeAcmeSolver;
let router: TestRouter;

/** The serial of the certificate the router presents for HOST, verified against the CA. */
function servedSerial(): Promise<string> {
  const url = new URL(router.dataUrl);
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect(
      { host: url.hostname, port: Number(url.port), servername: HOST, ca: ca.cert },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.end();
        resolve(serial);
      },
    );
    socket.on("error", reject);
  });
}

async function score(): Promise<number> {
  const url = new URL(router.dataUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), servername: HOST, ca: ca.cert }, () => {
      socket.write(
        `POST /api/v1/service/m/score HTTP/1.1\r\nhost: ${HOST}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
      );
    });
    let text = "";
    socket.on("data", (c) => {
      text += c;
    });
    socket.on("end", () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1])));
    socket.on("error", reject);
  });
}

beforeAll(async () => {
  if (!hasOpenssl) return;
  ca = createTestCa("Fake LE R1");
  volume = new SecretVolume(join(dir, "tls"));
  const first = ca.issue(HOST, 0x11);
  // What cert-manager writes into the Secret: the chain, the key and the CA.
  volume.write({ "tls.crt": first.chain, "tls.key": first.key, "ca.crt": ca.cert });
  replica = await startReplica("r0");
  solver = await startFakeAcmeSolver(HOST, "tok", "tok.thumb");
  router = await startTestRouter([{ name: "m", config: { auth: { mode: "none" } }, replicas: [replica.endpoint] }], {
    tls: { certFile: volume.path("tls.crt"), keyFile: volume.path("tls.key") },
    tlsPollMs: 50,
    acmeHttp01SolverUrl: solver.url,
    acmePort: 0,
  });
});

afterAll(async () => {
  await router?.stop();
  await replica?.close();
  await solver?.close();
  ca?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

it.skipIf(!hasOpenssl)("serves each renewal of the Secret as the kubelet publishes it, with no restart", async () => {
  expect(await servedSerial()).toBe("11");
  expect(await score()).toBe(200);

  // Two renewals in a row: each swaps `..data` and deletes the previous directory.
  for (const serial of [0x12, 0x13]) {
    const renewed = ca.issue(HOST, serial);
    volume.write({ "tls.crt": renewed.chain, "tls.key": renewed.key, "ca.crt": ca.cert });
    const want = serial.toString(16).toUpperCase();
    let seen = "";
    for (let i = 0; i < 200 && seen !== want; i++) {
      seen = await servedSerial().catch(() => "");
      if (seen !== want) await sleep(25);
    }
    expect(seen).toBe(want);
    expect(await score()).toBe(200);
  }
  expect(router.logText()).toMatch(/TLS certificate reloaded/);
  expect(router.logText()).not.toMatch(/reload failed/);
});

it.skipIf(!hasOpenssl)("keeps the served certificate when a renewal's key does not match it", async () => {
  const before = await servedSerial();
  const good = ca.issue(HOST, 0x20);
  const other = ca.issue(HOST, 0x21);
  volume.write({ "tls.crt": good.chain, "tls.key": other.key, "ca.crt": ca.cert });
  let logged = false;
  for (let i = 0; i < 200 && !logged; i++) {
    logged = /reload failed; keeping the previous certificate/.test(router.logText());
    if (!logged) await sleep(25);
  }
  expect(logged).toBe(true);
  expect(await servedSerial()).toBe(before);
  expect(await score()).toBe(200);

  // The next consistent renewal is picked up.
  const fixed = ca.issue(HOST, 0x22);
  volume.write({ "tls.crt": fixed.chain, "tls.key": fixed.key, "ca.crt": ca.cert });
  let seen = "";
  for (let i = 0; i < 200 && seen !== "22"; i++) {
    seen = await servedSerial().catch(() => "");
    if (seen !== "22") await sleep(25);
  }
  expect(seen).toBe("22");
});
