/**
 * Token auth: a JWT verified with jose against the issuer's JWKS.
 *
 * - The JWKS comes from `auth.jwksUri`, or from OIDC discovery
 *   (`<issuer>/.well-known/openid-configuration` -> `jwks_uri`), and is cached by
 *   jwksCache.ts: keys already fetched keep working through an issuer outage, and a
 *   token naming an unknown `kid` triggers at most one refetch per cooldown.
 * - `iss`, `aud` (the audience or one of `additionalAudiences`), `exp` and `nbf` are
 *   enforced; `exp` is required. With `requiredRole`, the `roles` claim must hold it.
 * - Only the configured asymmetric algorithms are accepted (the contract forbids
 *   `none` and HS*), so an HS256 token "signed" with the public key never verifies.
 *
 * A rejection names its class (expired, wrong audience, ...) for the
 * `WWW-Authenticate` header, never the token itself.
 */
import { jwtVerify, errors, type JWTPayload } from "jose";
import type { AuthConfig } from "../contract/serviceConfig.js";
import { JwksCache, KeysUnavailableError, fetchJsonBounded } from "./jwksCache.js";

/**
 * 401: the token is wrong (the reason is one of a fixed set of phrases);
 * 403: a valid token without the required role; 503: the keys to check it are unavailable.
 */
export type TokenResult = { ok: true } | { ok: false; status: 401 | 403 | 503; reason: string };

/** Clock skew tolerated on exp/nbf, in seconds. */
const CLOCK_TOLERANCE_S = 30;

/**
 * Minimum time between two JWKS fetches for the same URL. Short enough that a key
 * rotation is picked up almost at once, long enough that tokens with forged `kid`s
 * cost the issuer at most one request per interval.
 */
export const JWKS_REFETCH_COOLDOWN_MS = 2000;

/** Age after which cached keys are refreshed in the background (and kept if that fails). */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

const FETCH_TIMEOUT_MS = 5000;

export interface TokenVerifierTuning {
  /** @default JWKS_MAX_AGE_MS */
  jwksMaxAgeMs?: number;
}

/** Key sets shared by every service that names the same JWKS URL. */
const keySets = new Map<string, JwksCache>();

function keySetFor(url: string, tuning: TokenVerifierTuning): JwksCache {
  let set = keySets.get(url);
  if (!set) {
    set = new JwksCache(url, {
      cooldownMs: JWKS_REFETCH_COOLDOWN_MS,
      maxAgeMs: tuning.jwksMaxAgeMs ?? JWKS_MAX_AGE_MS,
      timeoutMs: FETCH_TIMEOUT_MS,
    });
    keySets.set(url, set);
  }
  return set;
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const doc = (await fetchJsonBounded(url, FETCH_TIMEOUT_MS)) as { jwks_uri?: unknown } | null;
  if (typeof doc?.jwks_uri !== "string") throw new Error(`OIDC discovery at ${url} has no jwks_uri`);
  return doc.jwks_uri;
}

/** jose's verdict in the words of RFC 6750's error_description: a class, never the token. */
export function rejectionReason(e: unknown): string {
  if (e instanceof errors.JWTExpired) return "token expired";
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "iss") return "wrong issuer";
    if (e.claim === "aud") return "wrong audience";
    if (e.claim === "nbf") return "token not yet valid";
    if (e.reason === "missing") return `missing ${e.claim} claim`;
    return `invalid ${e.claim} claim`;
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return "bad signature";
  if (e instanceof errors.JWKSNoMatchingKey) return "no matching signing key";
  if (e instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return "malformed token";
  return "invalid token";
}

function holdsRole(payload: JWTPayload, role: string): boolean {
  const roles = payload.roles;
  return Array.isArray(roles) && roles.includes(role);
}

export class TokenVerifier {
  private readonly issuer: string;
  private readonly audiences: string[];
  private readonly algorithms: string[];
  private jwks: Promise<JwksCache> | undefined;
  private discoveryFailedAt = -Infinity;

  constructor(
    private readonly auth: AuthConfig,
    private readonly tuning: TokenVerifierTuning = {},
  ) {
    if (!auth.issuer || !auth.audience) throw new Error("token auth needs an issuer and an audience");
    this.issuer = auth.issuer;
    this.audiences = [auth.audience, ...(auth.additionalAudiences ?? [])];
    this.algorithms = [...auth.algorithms];
  }

  /** Same settings means the same verifier can be kept (and its key cache with it). */
  matches(auth: AuthConfig): boolean {
    return (
      auth.issuer === this.auth.issuer &&
      auth.audience === this.auth.audience &&
      (auth.additionalAudiences ?? []).join(" ") === (this.auth.additionalAudiences ?? []).join(" ") &&
      auth.requiredRole === this.auth.requiredRole &&
      auth.jwksUri === this.auth.jwksUri &&
      auth.algorithms.join(",") === this.algorithms.join(",")
    );
  }

  private keySet(): Promise<JwksCache> {
    if (!this.jwks) {
      // A failed discovery is retried rather than cached forever, but at most once per
      // cooldown: otherwise every token sent while the issuer is down costs it a request.
      if (performance.now() - this.discoveryFailedAt < JWKS_REFETCH_COOLDOWN_MS)
        return Promise.reject(new KeysUnavailableError("OIDC discovery failed recently"));
      const pending = this.auth.jwksUri ? Promise.resolve(this.auth.jwksUri) : discoverJwksUri(this.issuer);
      this.jwks = pending.then((url) => keySetFor(url, this.tuning));
      this.jwks.catch(() => {
        this.discoveryFailedAt = performance.now();
        this.jwks = undefined;
      });
    }
    return this.jwks;
  }

  async verify(token: string): Promise<TokenResult> {
    // Cheap structural check before any crypto or key fetch: three base64url parts.
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token))
      return { ok: false, status: 401, reason: "malformed token" };
    let keys: JwksCache;
    try {
      keys = await this.keySet();
    } catch {
      return { ok: false, status: 503, reason: "signing keys unavailable" };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.getKey, {
        issuer: this.issuer,
        audience: this.audiences,
        algorithms: this.algorithms,
        requiredClaims: ["exp"],
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (e) {
      if (e instanceof KeysUnavailableError) return { ok: false, status: 503, reason: "signing keys unavailable" };
      return { ok: false, status: 401, reason: rejectionReason(e) };
    }
    if (this.auth.requiredRole !== undefined && !holdsRole(payload, this.auth.requiredRole))
      return { ok: false, status: 403, reason: "missing required role" };
    return { ok: true };
  }
}
