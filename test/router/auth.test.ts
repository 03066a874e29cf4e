/** Auth matrix on real sockets: key (both keys, rotation), token (JWKS on loopback, discovery, kid rotation), none. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, startReplica, type TestReplica } from "./helpers/upstream.js";
import { JWKS_REFETCH_COOLDOWN_MS } from "../../router/auth/tokens.js";
import { startTestRouter, KEYS, type TestRouter } from "./helpers/router.js";
import { startIssuer, type TestIssuer } from "./helpers/jwks.js";

let replica: TestReplica;
let issuer: TestIssuer;
let router: TestRouter;

async function score(
  service: string,
  authorization?: string,
): Promise<{ status: number; challenge: string | null; body: string }> {
  const res = await fetch(`${router.dataUrl}/api/v1/service/${service}/score`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization !== undefined ? { authorization } : {}) },
    body: JSON.stringify({ data: [[1, 2]] }),
  });
  return { status: res.status, challenge: res.headers.get("www-authenticate"), body: await res.text() };
}

beforeAll(async () => {
  replica = await startReplica("r0");
  issuer = await startIssuer();
  router = await startTestRouter([
    { name: "keyed", keys: KEYS, replicas: [replica.endpoint] },
    { name: "nokeys", replicas: [replica.endpoint] },
    { name: "open", config: { auth: { mode: "none" } }, replicas: [replica.endpoint] },
    {
      name: "tokened",
      config: { auth: { mode: "token", issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri } },
      replicas: [replica.endpoint],
    },
    {
      name: "discovered",
      config: { auth: { mode: "token", issuer: issuer.issuer, audience: issuer.audience } },
      replicas: [replica.endpoint],
    },
  ]);
});

afterAll(async () => {
  await router.stop();
  await replica.close();
  await issuer.close();
});

const UNKNOWN = 'Bearer realm="aksml", error="invalid_token", error_description="unknown key"';
const MALFORMED = 'Bearer realm="aksml", error="invalid_token", error_description="malformed credential"';

describe("key auth", () => {
  it("accepts the primary and the secondary key", async () => {
    expect((await score("keyed", `Bearer ${KEYS.primaryKey}`)).status).toBe(200);
    expect((await score("keyed", `Bearer ${KEYS.secondaryKey}`)).status).toBe(200);
    expect((await score("keyed", `bearer ${KEYS.primaryKey}`)).status).toBe(200);
  });

  it.each([
    ["no header", undefined, 'Bearer realm="aksml"'],
    ["wrong key", "Bearer not-the-key", UNKNOWN],
    ["key with a suffix", `Bearer ${KEYS.primaryKey}x`, UNKNOWN],
    ["key prefix", `Bearer ${KEYS.primaryKey.slice(0, -1)}`, UNKNOWN],
    ["Basic scheme", `Basic ${Buffer.from(`u:${KEYS.primaryKey}`).toString("base64")}`, MALFORMED],
    ["empty bearer", "Bearer ", MALFORMED],
    ["bare key", KEYS.primaryKey, MALFORMED],
  ])("rejects %s with 401 and a Bearer challenge", async (_label, header, challenge) => {
    const before = replica.hits;
    const r = await score("keyed", header);
    expect(r.status).toBe(401);
    expect(r.challenge).toBe(challenge);
    expect(replica.hits).toBe(before);
  });

  it("rejects everything while a key service has no keys yet", async () => {
    expect((await score("nokeys", `Bearer ${KEYS.primaryKey}`)).status).toBe(401);
  });

  it("does not forward the key to the replica", async () => {
    const r = await score("keyed", `Bearer ${KEYS.primaryKey}`);
    const seen = JSON.parse(r.body) as { headers: Record<string, string> };
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers["x-ms-request-id"]).toMatch(/.+/);
  });

  it("rotates keys: the new pair works at once, the replaced key stops working", async () => {
    const rotated = { primaryKey: "pk-rotated-aaaaaaaaaaaaaaaaaaaaaaaaaaaa", secondaryKey: KEYS.secondaryKey };
    router.backend.set({ name: "keyed", keys: rotated, replicas: [replica.endpoint] });
    expect((await score("keyed", `Bearer ${rotated.primaryKey}`)).status).toBe(200);
    expect((await score("keyed", `Bearer ${KEYS.secondaryKey}`)).status).toBe(200);
    expect((await score("keyed", `Bearer ${KEYS.primaryKey}`)).status).toBe(401);
    router.backend.set({ name: "keyed", keys: KEYS, replicas: [replica.endpoint] });
    expect((await score("keyed", `Bearer ${KEYS.primaryKey}`)).status).toBe(200);
  });

  // A key no client can present was accepted and the service answered 401 forever.
  it.each([
    ["a space", "pk with a space 0123456789"],
    ["a quote", 'pk-"quoted"-0123456789'],
    ["a non-ASCII letter", "pk-schlüssel-0123456789"],
    ["'=' inside", "pk=inside=0123456789"],
    ["more than an Authorization header carries", "k".repeat(8186)],
  ])(
    "rejects a key with %s when configured, keeps the last good keys, and says why on the admin port",
    async (_l, bad) => {
      router.backend.set({
        name: "keyed",
        keys: { primaryKey: bad, secondaryKey: KEYS.secondaryKey },
        replicas: [replica.endpoint],
      });
      const admin = (await (await fetch(`${router.adminUrl}/readyz`)).json()) as {
        problems: Array<{ service: string; reason: string; servingLastGood: boolean }>;
      };
      const problem = admin.problems.find((p) => p.service === "keyed");
      expect(problem).toMatchObject({ servingLastGood: true });
      expect(problem!.reason).toMatch(
        /^primaryKey (contains characters a Bearer credential cannot carry|is 8186 characters)/,
      );
      expect(problem!.reason).not.toContain(bad.slice(0, 8));
      expect((await score("keyed", `Bearer ${KEYS.primaryKey}`)).status).toBe(200);
      router.backend.set({ name: "keyed", keys: KEYS, replicas: [replica.endpoint] });
    },
  );

  it("does not serve a new service whose key can never match", async () => {
    router.backend.set({
      name: "badkey",
      keys: { primaryKey: KEYS.primaryKey, secondaryKey: "sk with spaces 0123456789" },
      replicas: [replica.endpoint],
    });
    expect((await score("badkey", `Bearer ${KEYS.primaryKey}`)).status).toBe(404);
    router.backend.remove("badkey");
  });
});

describe("no auth", () => {
  it("serves without credentials and ignores any given", async () => {
    expect((await score("open")).status).toBe(200);
    expect((await score("open", "Bearer whatever")).status).toBe(200);
  });
});

describe("token auth", () => {
  it("accepts a valid token from the JWKS and from OIDC discovery", async () => {
    const token = await issuer.sign({ sub: "user" });
    expect((await score("tokened", `Bearer ${token}`)).status).toBe(200);
    expect((await score("discovered", `Bearer ${token}`)).status).toBe(200);
  });

  it("forwards the token (model code may read its claims)", async () => {
    const token = await issuer.sign();
    const r = await score("tokened", `Bearer ${token}`);
    expect((JSON.parse(r.body) as { headers: Record<string, string> }).headers.authorization).toBe(`Bearer ${token}`);
  });

  it("rejects a key on a token service and a token on a key service", async () => {
    expect((await score("tokened", `Bearer ${KEYS.primaryKey}`)).status).toBe(401);
    expect((await score("keyed", `Bearer ${await issuer.sign()}`)).status).toBe(401);
  });

  it.each([
    ["wrong issuer", { iss: "http://evil.example" }, "wrong issuer"],
    ["wrong audience", { aud: "someone-else" }, "wrong audience"],
    ["expired", { exp: Math.floor(Date.now() / 1000) - 3600 }, "token expired"],
    ["not yet valid", { nbf: Math.floor(Date.now() / 1000) + 3600 }, "token not yet valid"],
    ["unknown kid", { kid: "nope" }, "no matching signing key"],
  ])("rejects a token with %s, naming the class and not the token", async (_label, opts, reason) => {
    const token = await issuer.sign({}, opts);
    const r = await score("tokened", `Bearer ${token}`);
    expect(r.status).toBe(401);
    expect(r.challenge).toBe(`Bearer realm="aksml", error="invalid_token", error_description="${reason}"`);
    expect(r.body).not.toContain(token.split(".")[1]);
  });

  it("rejects a token signed by another key with the same kid as a bad signature", async () => {
    const { generateKeyPair } = await import("jose");
    const other = await generateKeyPair("RS256");
    const r = await score("tokened", `Bearer ${await issuer.sign({}, { key: other.privateKey })}`);
    expect(r.status).toBe(401);
    expect(r.challenge).toContain('error_description="bad signature"');
  });

  it("refetches the JWKS when the issuer rotates to an unknown kid", async () => {
    await sleep(JWKS_REFETCH_COOLDOWN_MS + 100);
    await issuer.rotate();
    const fetchesBefore = issuer.jwksFetches;
    const token = await issuer.sign();
    expect((await score("tokened", `Bearer ${token}`)).status).toBe(200);
    expect(issuer.jwksFetches).toBeGreaterThan(fetchesBefore);
  });
});
