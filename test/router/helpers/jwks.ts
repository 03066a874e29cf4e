/** A token issuer on loopback: RSA signing keys, a JWKS endpoint and OIDC discovery. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";

export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  audience: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
  jwksFetches: number;
  /** While true, every request's connection is destroyed (the issuer is unreachable). */
  down: boolean;
  /** Replaces the signing key (new kid) and serves only the new one. */
  rotate(): Promise<void>;
  sign(
    claims?: Record<string, unknown>,
    opts?: {
      alg?: string;
      kid?: string;
      key?: CryptoKey;
      exp?: number | string;
      nbf?: number | string;
      iss?: string;
      aud?: string;
    },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(audience = "aksml-test"): Promise<TestIssuer> {
  const server: Server = createServer((req, res) => {
    if (t.down) {
      req.socket.destroy();
      return;
    }
    if (req.url === "/.well-known/openid-configuration") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ issuer: t.issuer, jwks_uri: t.jwksUri }));
      return;
    }
    if (req.url?.split("?")[0] === "/keys") {
      t.jwksFetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [{ ...t.publicJwk, kid: t.kid, alg: "RS256", use: "sig" }] }));
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const first = await generateKeyPair("RS256", { extractable: true });
  let generation = 0;
  const t: TestIssuer = {
    issuer: base,
    jwksUri: `${base}/keys`,
    audience,
    privateKey: first.privateKey,
    publicJwk: await exportJWK(first.publicKey),
    kid: "k0",
    jwksFetches: 0,
    down: false,
    async rotate() {
      const next = await generateKeyPair("RS256", { extractable: true });
      t.privateKey = next.privateKey;
      t.publicJwk = await exportJWK(next.publicKey);
      t.kid = `k${++generation}`;
    },
    async sign(claims = {}, o = {}) {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: o.alg ?? "RS256", kid: o.kid ?? t.kid })
        .setIssuer(o.iss ?? t.issuer)
        .setAudience(o.aud ?? t.audience)
        .setIssuedAt()
        .setExpirationTime(o.exp ?? "5m");
      if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
      return jwt.sign(o.key ?? t.privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return t;
}
