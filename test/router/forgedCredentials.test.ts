/**
 * Property: no forged or malformed credential gets through. Over 1000 generated
 * Authorization headers (bad signatures, alg none, HS256 "signed" with the public
 * key, foreign keys reusing the kid, wrong iss/aud, expired, not yet valid, near-miss
 * keys, garbage, huge headers) each gets 401 with a Bearer challenge, and the
 * replica behind the router counts zero hits.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import fc from "fast-check";
import { SignJWT, exportSPKI, generateKeyPair, base64url } from "jose";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, KEYS, type TestRouter } from "./helpers/router.js";
import { startIssuer, type TestIssuer } from "./helpers/jwks.js";

let replica: TestReplica;
let issuer: TestIssuer;
let router: TestRouter;
const forgedTokens: string[] = [];
let validToken = "";

const now = () => Math.floor(Date.now() / 1000);
const b64 = (o: unknown) => base64url.encode(JSON.stringify(o));

beforeAll(async () => {
  replica = await startReplica("r0");
  issuer = await startIssuer();
  router = await startTestRouter([
    { name: "keyed", keys: KEYS, replicas: [replica.endpoint] },
    {
      name: "tokened",
      config: {
        auth: {
          mode: "token",
          issuer: issuer.issuer,
          audience: issuer.audience,
          jwksUri: issuer.jwksUri,
          algorithms: ["RS256", "ES256"],
        },
      },
      replicas: [replica.endpoint],
    },
  ]);
  validToken = await issuer.sign({ sub: "u" });
  const foreign = await generateKeyPair("RS256");
  const publicPem = await exportSPKI(
    (await import("node:crypto")).createPublicKey({ key: issuer.publicJwk as never, format: "jwk" }) as never,
  );
  const claims = { sub: "u", iss: issuer.issuer, aud: issuer.audience, exp: now() + 600 };
  forgedTokens.push(
    await issuer.sign({}, { iss: "http://127.0.0.1:1/other" }),
    await issuer.sign({}, { aud: "not-us" }),
    await issuer.sign({}, { exp: now() - 120 }),
    await issuer.sign({}, { nbf: now() + 600 }),
    await issuer.sign({}, { kid: "unknown" }),
    await issuer.sign({}, { key: foreign.privateKey }),
    await issuer.sign({}, { key: foreign.privateKey, kid: "unknown" }),
    await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: issuer.kid })
      .sign(new TextEncoder().encode(publicPem)),
    await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: issuer.kid })
      .sign(new TextEncoder().encode(JSON.stringify(issuer.publicJwk))),
    await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(KEYS.primaryKey)),
    `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`,
    `${b64({ alg: "none", kid: issuer.kid })}.${b64(claims)}.${validToken.split(".")[2]}`,
    `${b64({ alg: "RS256", kid: issuer.kid })}.${b64(claims)}.${validToken.split(".")[2]}`, // valid signature of another payload
    await new SignJWT({ sub: "u", iss: issuer.issuer, aud: issuer.audience })
      .setProtectedHeader({ alg: "RS256", kid: issuer.kid })
      .sign(issuer.privateKey), // no exp
  );
}, 60_000);

afterAll(async () => {
  await router.stop();
  await replica.close();
  await issuer.close();
});

/**
 * Changes one character of the signature part (still base64url). Never the last one:
 * it carries padding bits (a 256-byte signature is 2048 of its 342 x 6 bits), so
 * changing only those decodes to the same signature, a genuine token and no forgery.
 */
function tamper(token: string, at: number): string {
  const [h, p, s] = token.split(".") as [string, string, string];
  const i = at % Math.max(1, s.length - 1);
  const c = s[i] === "A" ? "B" : "A";
  return `${h}.${p}.${s.slice(0, i)}${c}${s.slice(i + 1)}`;
}

const header = fc.oneof(
  fc.constantFrom(...forgedTokensLazy()).map((t) => `Bearer ${t()}`),
  fc.nat().map((n) => `Bearer ${tamper(validToken, n)}`),
  fc.nat().map((n) => `Bearer ${tamper(forgedTokens[n % forgedTokens.length]!, n)}`),
  fc.string({ maxLength: 200 }),
  fc.string({ maxLength: 200 }).map((s) => `Bearer ${s}`),
  fc.base64String({ maxLength: 400 }).map((s) => `Bearer ${s}`),
  fc
    .tuple(fc.base64String({ maxLength: 60 }), fc.base64String({ maxLength: 60 }), fc.base64String({ maxLength: 60 }))
    .map(([a, b, c]) => `Bearer ${a}.${b}.${c}`.replace(/[+/=]/g, "_")),
  fc
    .nat({ max: KEYS.primaryKey.length - 1 })
    .map((n) => `Bearer ${KEYS.primaryKey.slice(0, n)}${KEYS.primaryKey.slice(n + 1)}`),
  // HTTP strips optional whitespace around a header value (RFC 9110 5.5), so a suffix of
  // spaces only would deliver the genuine key: such a header is not a forgery.
  fc
    .string({ minLength: 1, maxLength: 3 })
    .filter((s) => s.trimEnd().length > 0)
    .map((s) => `Bearer ${KEYS.secondaryKey}${s}`),
  fc.constantFrom(
    `Basic ${KEYS.primaryKey}`,
    `Bearer\t${KEYS.primaryKey}`,
    `Bearer:${KEYS.primaryKey}`,
    `Token ${KEYS.primaryKey}`,
    `Bearer ${KEYS.primaryKey} extra`,
  ),
  fc.integer({ min: 8193, max: 12_000 }).map((n) => `Bearer ${"a".repeat(n)}`),
  fc.integer({ min: 8193, max: 12_000 }).map((n) => `Bearer ${validToken}${"A".repeat(n)}`),
);

/** The arbitraries are built before beforeAll runs, so tokens are read lazily. */
function forgedTokensLazy(): Array<() => string> {
  return Array.from({ length: 14 }, (_, i) => () => forgedTokens[i]!);
}

it("rejects >= 1000 forged or malformed credentials with 401, none reaching a replica", async () => {
  let checked = 0;
  await fc.assert(
    // Printable ASCII only: fetch refuses other header bytes before they reach the router.
    fc.asyncProperty(
      header.map((h) => h.replace(/[^\x20-\x7e]/g, "~")),
      fc.constantFrom("keyed", "tokened"),
      async (authorization, service) => {
        let res: Response;
        try {
          res = await fetch(`${router.dataUrl}/api/v1/service/${service}/score`, {
            method: "POST",
            headers: { authorization, "content-type": "application/json" },
            body: "{}",
          });
        } catch (e) {
          throw new Error(
            `request with Authorization of ${authorization.length} chars failed: ${(e as Error).message}`,
          );
        }
        await res.arrayBuffer();
        checked++;
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="aksml"/);
        return true;
      },
    ),
    { numRuns: 1200 },
  );
  expect(checked).toBeGreaterThanOrEqual(1000);
  expect(replica.hits).toBe(0);
  // The same router does serve genuine credentials: the rejections are not an outage.
  const ok = await fetch(`${router.dataUrl}/api/v1/service/tokened/score`, {
    method: "POST",
    headers: { authorization: `Bearer ${validToken}` },
    body: "{}",
  });
  expect(ok.status).toBe(200);
  expect(replica.hits).toBe(1);
}, 120_000);
