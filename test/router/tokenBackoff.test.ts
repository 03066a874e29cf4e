/**
 * Token auth must not turn a flood of tokens into a flood of requests to an issuer
 * that is failing: failed JWKS fetches and failed OIDC discoveries back off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { TokenVerifier } from "../../router/auth/tokens.js";

let server: Server;
let base: string;
const hits = { keys: 0, discovery: 0 };

beforeAll(async () => {
  // An issuer that is down: every endpoint answers 500 at once.
  server = createServer((req, res) => {
    if (req.url?.startsWith("/keys")) hits.keys++;
    if (req.url?.endsWith("/.well-known/openid-configuration")) hits.discovery++;
    res.writeHead(500).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
function forged(kid: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: "RS256", kid })}.${b64({ iss: base, aud: "a", exp: now + 60 })}.${Buffer.from("sig").toString("base64url")}`;
}

describe("issuer backoff", () => {
  it("a failing JWKS endpoint is fetched at most once per cooldown, however many tokens arrive", async () => {
    const v = new TokenVerifier({
      mode: "token",
      issuer: base,
      audience: "a",
      jwksUri: `${base}/keys?backoff`,
      algorithms: ["RS256"],
    });
    for (let i = 0; i < 40; i++) expect((await v.verify(forged(`kid-${i}`))).ok).toBe(false);
    // Exactly one: the first token fetches (and the fetch fails); the other 39 wait out the cooldown.
    expect(hits).toEqual({ keys: 1, discovery: 0 });
  });

  it("a failing OIDC discovery is retried at most once per cooldown", async () => {
    const v = new TokenVerifier({ mode: "token", issuer: `${base}/tenant`, audience: "a", algorithms: ["RS256"] });
    const before = { ...hits };
    for (let i = 0; i < 40; i++) expect((await v.verify(forged(`kid-${i}`))).ok).toBe(false);
    // Exactly one discovery, and no key fetch without a discovered jwks_uri.
    expect(hits).toEqual({ keys: before.keys, discovery: before.discovery + 1 });
  });
});
