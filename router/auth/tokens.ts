/**
 * Token auth: a JWT verified with jose against the issuer's JWKS.
 *
 * - The JWKS comes from `auth.jwksUri`, or from OIDC discovery
 *   (`<issuer>/.well-known/openid-configuration` -> `jwks_uri`). jose's remote key
 *   set caches the keys and refetches when a token names an unknown `kid` (with a
 *   cooldown, so forged kids cannot make the router hammer the issuer).
 * - `iss`, `aud`, `exp` and `nbf` are enforced; `exp` is required.
 * - Only the configured asymmetric algorithms are accepted (the contract forbids
 *   `none` and HS*), so an HS256 token "signed" with the public key never verifies.
 */
import { createRemoteJWKSet, customFetch, jwtVerify, errors, type JWTVerifyGetKey } from "jose";
import type { AuthConfig } from "../contract/serviceConfig.js";

export type TokenResult = { ok: true } | { ok: false; reason: string };

/** Clock skew tolerated on exp/nbf, in seconds. */
const CLOCK_TOLERANCE_S = 30;

/**
 * Minimum time between two JWKS fetches for the same URL. Short enough that a key
 * rotation is picked up almost at once, long enough that tokens with forged `kid`s
 * cost the issuer at most one request per interval.
 */
export const JWKS_REFETCH_COOLDOWN_MS = 2000;

/** Key sets shared by every service that names the same JWKS URL. */
const keySets = new Map<string, JWTVerifyGetKey>();

function keySetFor(url: string): JWTVerifyGetKey {
  let set = keySets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), {
      timeoutDuration: 5000,
      cooldownDuration: JWKS_REFETCH_COOLDOWN_MS,
      cacheMaxAge: 10 * 60_000,
      [customFetch]: failureBackoffFetch(),
    });
    keySets.set(url, set);
  }
  return set;
}

/**
 * jose's cooldown only counts from the last *successful* fetch: with no keys yet, stale
 * keys, or an unknown kid after the cooldown, it fetches again on every request while the
 * issuer fails. This fetch fails at once, without the network, for the cooldown after a
 * failed fetch, so a flood of tokens costs a failing issuer one request per interval.
 */
function failureBackoffFetch(): typeof fetch {
  let failedAt = -Infinity;
  return async (input, init) => {
    if (Date.now() - failedAt < JWKS_REFETCH_COOLDOWN_MS)
      throw new Error("JWKS endpoint failed recently; not refetching yet");
    try {
      const res = await fetch(input, init);
      if (!res.ok) failedAt = Date.now();
      return res;
    } catch (e) {
      failedAt = Date.now();
      throw e;
    }
  };
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`OIDC discovery at ${url} returned ${res.status}`);
  const doc = (await res.json()) as { jwks_uri?: unknown };
  if (typeof doc.jwks_uri !== "string") throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
  return doc.jwks_uri;
}

export class TokenVerifier {
  private readonly issuer: string;
  private readonly audience: string;
  private readonly algorithms: string[];
  private jwks: Promise<JWTVerifyGetKey> | undefined;
  private discoveryFailedAt = -Infinity;

  constructor(private readonly auth: AuthConfig) {
    if (!auth.issuer || !auth.audience) throw new Error("token auth needs an issuer and an audience");
    this.issuer = auth.issuer;
    this.audience = auth.audience;
    this.algorithms = [...auth.algorithms];
  }

  /** Same settings means the same verifier can be kept (and its key cache with it). */
  matches(auth: AuthConfig): boolean {
    return (
      auth.issuer === this.auth.issuer &&
      auth.audience === this.auth.audience &&
      auth.jwksUri === this.auth.jwksUri &&
      auth.algorithms.join(",") === this.algorithms.join(",")
    );
  }

  private keySet(): Promise<JWTVerifyGetKey> {
    if (!this.jwks) {
      // A failed discovery is retried rather than cached forever, but at most once per
      // cooldown: otherwise every token sent while the issuer is down costs it a request.
      if (Date.now() - this.discoveryFailedAt < JWKS_REFETCH_COOLDOWN_MS)
        return Promise.reject(new Error("OIDC discovery failed recently"));
      const pending = this.auth.jwksUri ? Promise.resolve(this.auth.jwksUri) : discoverJwksUri(this.issuer);
      this.jwks = pending.then(keySetFor);
      this.jwks.catch(() => {
        this.discoveryFailedAt = Date.now();
        this.jwks = undefined;
      });
    }
    return this.jwks;
  }

  async verify(token: string): Promise<TokenResult> {
    // Cheap structural check before any crypto or key fetch: three base64url parts.
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token))
      return { ok: false, reason: "malformed token" };
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.keySet();
    } catch {
      return { ok: false, reason: "signing keys unavailable" };
    }
    try {
      await jwtVerify(token, keys, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: this.algorithms,
        requiredClaims: ["exp"],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      return { ok: true };
    } catch (e) {
      if (e instanceof errors.JOSEError) return { ok: false, reason: e.code };
      return { ok: false, reason: "invalid token" };
    }
  }
}
