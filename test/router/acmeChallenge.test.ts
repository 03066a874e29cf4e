// The ACME HTTP-01 port: a router with TLS and a solver URL answers Let's Encrypt's
// challenge on its plain-HTTP port by relaying cert-manager's solver, and nothing else.
// Real router, real sockets; the solver is a stand-in for cert-manager's acmesolver
// (helpers/acmeSolver.ts says why). The port faces the internet, so each bound is shown.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startReplica, sleep, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { createTestCa, hasOpenssl, type TestCa } from "./helpers/testPki.js";
import { startFakeAcmeSolver, type FakeAcmeSolver } from "./helpers/acmeSolver.js";
import { ACME_PORT_LIMITS, acmeSolverUrlProblem } from "../../router/acmeChallenge.js";
import { loadRouterConfig, RouterConfigError } from "../../router/config.js";
import { startRouter } from "../../router/startRouter.js";
import { StaticBackend } from "./helpers/staticBackend.js";

const HOST = "contosoml4k2j9x.westeurope.cloudapp.azure.com";
const TOKEN = "Xo2bN3cLr6kY1mD4vHs8wq9JtZpAeUfGiR0lKcMx7Bn";
const KEY = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;
const dir = mkdtempSync(join(tmpdir(), "aksml-acme-"));

let ca: TestCa;
let replica: TestReplica;
let solver: FakeAcmeSolver;
let router: TestRouter;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(path: string, opts: { method?: string; host?: string; headers?: Record<string, string> } = {}) {
  const url = new URL(router.acmeUrl!);
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: opts.method ?? "GET",
        headers: { host: opts.host ?? HOST, ...opts.headers },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

beforeAll(async () => {
  if (!hasOpenssl) return;
  ca = createTestCa();
  const issued = ca.issue(HOST, 1);
  writeFileSync(join(dir, "tls.crt"), issued.chain);
  writeFileSync(join(dir, "tls.key"), issued.key);
  replica = await startReplica("r0");
  solver = await startFakeAcmeSolver(HOST, TOKEN, KEY);
  router = await startTestRouter([{ name: "m", config: { auth: { mode: "none" } }, replicas: [replica.endpoint] }], {
    tls: { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key") },
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

beforeEach(() => {
  if (!solver) return;
  solver.seen.length = 0;
  solver.override = undefined;
});

describe.skipIf(!hasOpenssl)("the ACME HTTP-01 port", () => {
  it("answers a challenge with the solver's key authorization, forwarding only the Host header", async () => {
    const a = await get(`/.well-known/acme-challenge/${TOKEN}`, {
      headers: { authorization: "Bearer secret-token", cookie: "c=1", "x-forwarded-for": "1.2.3.4" },
    });
    expect(a).toMatchObject({ status: 200, body: KEY });
    expect(a.headers["cache-control"]).toBe("no-store");
    expect(solver.seen).toHaveLength(1);
    expect(solver.seen[0].path).toBe(`/.well-known/acme-challenge/${TOKEN}`);
    expect(solver.seen[0].headers.host).toBe(HOST);
    expect(solver.seen[0].headers.authorization).toBeUndefined();
    expect(solver.seen[0].headers.cookie).toBeUndefined();
    expect(solver.seen[0].headers["x-forwarded-for"]).toBeUndefined();
    // HEAD gets the head only; a query string is not forwarded.
    const head = await get(`/.well-known/acme-challenge/${TOKEN}?x=1`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(solver.seen[1].path).toBe(`/.well-known/acme-challenge/${TOKEN}`);
    expect(router.logText()).toMatch(/answered an ACME HTTP-01 challenge/);
  });

  it("relays the solver's 404 for another token or another host name", async () => {
    expect((await get("/.well-known/acme-challenge/someothertoken")).status).toBe(404);
    expect((await get(`/.well-known/acme-challenge/${TOKEN}`, { host: "evil.example.com" })).status).toBe(404);
    expect(solver.seen).toHaveLength(2);
  });

  it("never serves the API in clear: scoring and health paths get 404 and reach no replica", async () => {
    const hits = replica.hits;
    for (const path of ["/api/v1/service/m/score", "/api/v1/service/m/swagger.json", "/", "/readyz", "/metrics"]) {
      const a = await get(path, { method: path.endsWith("score") ? "POST" : "GET" });
      expect(a.status, path).toBe(404);
      expect(a.body).toMatch(/only answers ACME HTTP-01 challenges/);
    }
    expect(replica.hits).toBe(hits);
    expect(solver.seen).toHaveLength(0);
  });

  it("checks shapes before forwarding anything: bad tokens, methods, bodies and hosts", async () => {
    const bad = [
      get("/.well-known/acme-challenge/"),
      get("/.well-known/acme-challenge/..%2F..%2Fhealthz"),
      get("/.well-known/acme-challenge/a/b"),
      get(`/.well-known/acme-challenge/${"a".repeat(ACME_PORT_LIMITS.maxTokenLength + 1)}`),
    ];
    for (const a of await Promise.all(bad)) expect(a.status).toBe(404);
    const post = await get(`/.well-known/acme-challenge/${TOKEN}`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    const withBody = await get(`/.well-known/acme-challenge/${TOKEN}`, { headers: { "content-length": "0" } });
    expect(withBody.status).toBe(200);
    const chunked = await get(`/.well-known/acme-challenge/${TOKEN}`, { headers: { "transfer-encoding": "chunked" } });
    expect(chunked.status).toBe(400);
    expect(chunked.headers.connection).toBe("close");
    expect((await get(`/.well-known/acme-challenge/${TOKEN}`, { host: "bad host!" })).status).toBe(400);
    // Only the well-formed GET with an empty body reached the solver.
    expect(solver.seen).toHaveLength(1);
  });

  it("caps the relayed answer: a solver answering too much is a 502, not a relay", async () => {
    solver.override = (_req, res) => res.writeHead(200).end("x".repeat(ACME_PORT_LIMITS.maxAnswerBytes + 1));
    const a = await get(`/.well-known/acme-challenge/${TOKEN}`);
    expect(a.status).toBe(502);
    expect(a.body).not.toContain("xxxx");
  });

  it("answers 502 for a solver error status and for a solver that is gone", async () => {
    solver.override = (_req, res) => res.writeHead(500).end("boom");
    expect((await get(`/.well-known/acme-challenge/${TOKEN}`)).status).toBe(502);
    solver.override = (_req, res) => res.destroy();
    expect((await get(`/.well-known/acme-challenge/${TOKEN}`)).status).toBe(502);
  });

  it(`forwards at most ${ACME_PORT_LIMITS.maxConcurrentForwards} challenges at once; the rest get 503 at once`, async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    solver.override = (_req, res) => {
      held.then(() => res.writeHead(200).end(KEY));
    };
    const n = ACME_PORT_LIMITS.maxConcurrentForwards;
    const parked = Array.from({ length: n }, () => get(`/.well-known/acme-challenge/${TOKEN}`));
    for (let i = 0; i < 200 && solver.seen.length < n; i++) await sleep(10);
    expect(solver.seen).toHaveLength(n);
    const refused = await get(`/.well-known/acme-challenge/${TOKEN}`);
    expect(refused.status).toBe(503);
    expect(refused.headers["retry-after"]).toBe("1");
    expect(solver.seen).toHaveLength(n);
    release();
    for (const a of await Promise.all(parked)) expect(a).toMatchObject({ status: 200, body: KEY });
    // Freed slots are usable again.
    solver.override = undefined;
    expect((await get(`/.well-known/acme-challenge/${TOKEN}`)).status).toBe(200);
  });

  it("drops a client that starts a request and never finishes its headers (header timeout)", async () => {
    const url = new URL(router.acmeUrl!);
    const socket = connect(Number(url.port), url.hostname);
    socket.write("GET /.well-known/acme-challenge/");
    let answer = "";
    socket.on("data", (d) => {
      answer += d;
    });
    await new Promise<void>((resolve) => {
      socket.on("close", () => resolve());
      socket.on("error", () => undefined);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(solver.seen).toHaveLength(0);
  }, 30_000);

  it(`holds at most ${ACME_PORT_LIMITS.maxConnections} connections; one more is closed at once`, async () => {
    const url = new URL(router.acmeUrl!);
    const open = (): Promise<ReturnType<typeof connect>> =>
      new Promise((resolve, reject) => {
        const s = connect(Number(url.port), url.hostname, () => resolve(s));
        s.on("error", reject);
      });
    const held = await Promise.all(Array.from({ length: ACME_PORT_LIMITS.maxConnections }, open));
    try {
      // The server takes the held sockets asynchronously; the extra one must be dropped once it is at the limit.
      let dropped = false;
      for (let i = 0; i < 50 && !dropped; i++) {
        const extra = await open();
        extra.resume();
        dropped = await new Promise<boolean>((resolve) => {
          extra.once("close", () => resolve(true));
          extra.write(`GET /.well-known/acme-challenge/${TOKEN} HTTP/1.1\r\nhost: ${HOST}\r\n\r\n`);
          extra.once("data", () => {
            extra.destroy();
            resolve(false);
          });
        });
      }
      expect(dropped).toBe(true);
    } finally {
      for (const s of held) s.destroy();
    }
    // Once they are gone the port answers again.
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await get(`/.well-known/acme-challenge/${TOKEN}`).catch(() => ({ status: 0 }))).status;
      if (status !== 200) await sleep(20);
    }
    expect(status).toBe(200);
  });
});

describe("configuration of the ACME port", () => {
  it("accepts only a bare http:// solver URL", () => {
    expect(acmeSolverUrlProblem("http://azureml-fe-acme-solver.azureml.svc.cluster.local:8089")).toBeUndefined();
    expect(acmeSolverUrlProblem("https://solver:8089")).toMatch(/http:\/\//);
    expect(acmeSolverUrlProblem("http://solver:8089/x")).toMatch(/only a scheme, host and port/);
    expect(acmeSolverUrlProblem("solver")).toMatch(/not a URL/);
  });

  it("reads AKSML_ACME_HTTP01_SOLVER_URL and requires TLS with it", () => {
    const base = { AKSML_BACKEND: "kubernetes" };
    expect(
      loadRouterConfig({
        ...base,
        AKSML_TLS_CERT_FILE: "/c",
        AKSML_TLS_KEY_FILE: "/k",
        AKSML_ACME_HTTP01_SOLVER_URL: "http://s:8089",
      }).acmeHttp01SolverUrl,
    ).toBe("http://s:8089");
    expect(() => loadRouterConfig({ ...base, AKSML_ACME_HTTP01_SOLVER_URL: "http://s:8089" })).toThrow(
      RouterConfigError,
    );
    expect(() => loadRouterConfig({ ...base, AKSML_ACME_HTTP01_SOLVER_URL: "http://s:8089" })).toThrow(
      /needs AKSML_TLS_CERT_FILE/,
    );
    expect(loadRouterConfig(base).acmeHttp01SolverUrl).toBeUndefined();
  });

  it("refuses to start an ACME port without TLS", async () => {
    await expect(
      startRouter({ backend: new StaticBackend([]), host: "127.0.0.1", acmeHttp01SolverUrl: "http://s:8089" }),
    ).rejects.toThrow(/needs tls/);
  });
});
