/**
 * Token auth through an issuer outage, with a real JWKS server on loopback that goes down:
 * keys already fetched keep verifying (also once they are stale), a token whose key is not
 * cached gets 503 (not a 401 blaming the client), and the issuer's return is picked up.
 * Plus the required app role (403) and the additional audiences.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { JWKS_REFETCH_COOLDOWN_MS, TokenVerifier } from "../../router/auth/tokens.js";
import { startIssuer, type TestIssuer } from "./helpers/jwks.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { sleep, startReplica, type TestReplica } from "./helpers/upstream.js";

let issuer: TestIssuer;
let replica: TestReplica;
let router: TestRouter;

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  issuer = await startIssuer();
  replica = await startReplica("r0");
  const token = (extra: Record<string, unknown>, jwksQuery: string) => ({
    auth: {
      mode: "token",
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: `${issuer.jwksUri}?${jwksQuery}`,
      ...extra,
    },
  });
  // One data-path worker whatever AKSML_TEST_WORKERS says: the JWKS cache is each worker's
  // own (its TokenVerifier), and the outage test primes it with one request, so a later
  // connection the kernel gives another worker would find nothing cached (503, by design).
  router = await startTestRouter(
    [
      { name: "outage", config: token({}, "outage"), replicas: [replica.endpoint] },
      { name: "roles", config: token({ requiredRole: "Score" }, "roles"), replicas: [replica.endpoint] },
      {
        name: "audiences",
        config: token({ additionalAudiences: ["api://aksml-test"] }, "audiences"),
        replicas: [replica.endpoint],
      },
    ],
    { workers: 1 },
  );
});

afterAll(async () => {
  await router.stop();
  await replica.close();
  await issuer.close();
});

async function score(service: string, token: string): Promise<Response> {
  const res = await fetch(`${router.dataUrl}/api/v1/service/${service}/score`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: "{}",
  });
  await res.arrayBuffer();
  return res;
}

describe("issuer outage", () => {
  it("keeps serving tokens whose key is cached, answers 503 for an uncached key, recovers when the issuer returns", async () => {
    const cachedKid = await issuer.sign();
    expect((await score("outage", cachedKid)).status).toBe(200);

    issuer.down = true;
    expect((await score("outage", await issuer.sign())).status).toBe(200);

    await issuer.rotate(); // a key the router has never seen, while the issuer is unreachable
    const uncached = await issuer.sign();
    await sleep(JWKS_REFETCH_COOLDOWN_MS + 50); // so the router tries (and fails) to fetch it
    const unavailable = await score("outage", uncached);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("www-authenticate")).toBeNull();
    expect(unavailable.headers.get("retry-after")).toBe("5");
    // Still: the old key keeps working.
    expect((await score("outage", cachedKid)).status).toBe(200);

    issuer.down = false;
    await until(async () => (await score("outage", uncached)).status === 200, "the issuer's new key to be fetched");
  });

  it("a JWKS that cannot be reached at all is a 503 for every token", async () => {
    const v = new TokenVerifier({
      mode: "token",
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: `http://127.0.0.1:${await closedPort()}/keys`,
      algorithms: ["RS256"],
    });
    expect(await v.verify(await issuer.sign())).toEqual({ ok: false, status: 503, reason: "signing keys unavailable" });
  });

  it("an oversized JWKS is refused (bounded read), not buffered: 503", async () => {
    const { createServer: createHttpServer } = await import("node:http");
    // A valid, keyless JWKS of 4 MiB: read whole it would say "no matching signing key" (401).
    const huge = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }); // chunked: no length to refuse up front
      res.write('{"keys":[],"pad":"');
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end('"}');
      };
      pump();
    });
    await new Promise<void>((r) => huge.listen(0, "127.0.0.1", r));
    try {
      const v = new TokenVerifier({
        mode: "token",
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUri: `http://127.0.0.1:${(huge.address() as AddressInfo).port}/keys`,
        algorithms: ["RS256"],
      });
      expect(await v.verify(await issuer.sign())).toEqual({
        ok: false,
        status: 503,
        reason: "signing keys unavailable",
      });
    } finally {
      huge.closeAllConnections();
      await new Promise((r) => huge.close(r));
    }
  });

  it("stale cached keys keep verifying while their refresh fails", async () => {
    const v = new TokenVerifier(
      {
        mode: "token",
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUri: `${issuer.jwksUri}?stale`,
        algorithms: ["RS256"],
      },
      { jwksMaxAgeMs: 0 }, // every verification finds the keys stale
    );
    const token = await issuer.sign();
    expect(await v.verify(token)).toEqual({ ok: true });
    issuer.down = true;
    try {
      const before = issuer.jwksFetches;
      for (let i = 0; i < 5; i++) {
        await sleep(JWKS_REFETCH_COOLDOWN_MS / 4);
        expect(await v.verify(token)).toEqual({ ok: true });
      }
      expect(issuer.jwksFetches).toBe(before); // the refresh attempts never reached it
    } finally {
      issuer.down = false;
    }
  });
});

describe("roles and audiences", () => {
  it("requires the app role in the roles claim: 403 insufficient_scope without it", async () => {
    expect((await score("roles", await issuer.sign({ roles: ["Score"] }))).status).toBe(200);
    for (const claims of [{}, { roles: ["Other"] }, { roles: "Score" }]) {
      const r = await score("roles", await issuer.sign(claims));
      expect(r.status).toBe(403);
      expect(r.headers.get("www-authenticate")).toBe(
        'Bearer realm="aksml", error="insufficient_scope", error_description="missing required role"',
      );
    }
  });

  it("accepts the audience and each additional audience, nothing else", async () => {
    expect((await score("audiences", await issuer.sign())).status).toBe(200);
    expect((await score("audiences", await issuer.sign({}, { aud: "api://aksml-test" }))).status).toBe(200);
    const wrong = await score("audiences", await issuer.sign({}, { aud: "api://other" }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain('error_description="wrong audience"');
  });
});
