/**
 * `aksml local`'s own token issuer, so a token-auth service can be scored locally the
 * way it is in the cluster: an OIDC-compatible discovery document and JWKS (served on
 * the admin port), an RS256 key pair generated at start (never written anywhere), and
 * tokens minted for a service's audience. The router verifies them exactly as it
 * verifies Entra ID tokens: discovery, JWKS fetch, `iss`/`aud`/`exp`, the `roles` claim.
 *
 * Lifetime: like Azure ML's `get_token()`, a token comes with a `refreshBy` time after
 * which the client must request a new one; it stays valid until `expiresOn`, a margin later.
 */
import { randomBytes } from "node:crypto";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";

/** Lifetime of a minted token (Entra ID access tokens last 60-90 minutes). */
export const LOCAL_TOKEN_LIFETIME_S = 60 * 60;
/** `refreshBy` is this long before `expiresOn` (the same margin `aksml token` applies to Entra ID tokens). */
export const TOKEN_REFRESH_MARGIN_S = 5 * 60;
/** The path under the admin URL at which the issuer lives. */
export const LOCAL_ISSUER_PATH = "/oidc";

/** What `get_token()` returns, in aksml's JSON shape. */
export interface AccessToken {
  accessToken: string;
  tokenType: "Bearer";
  /** ISO time the token stops verifying. */
  expiresOn: string;
  /** ISO time after which a new token must be requested. */
  refreshBy: string;
}

export class LocalIssuer {
  private constructor(
    readonly issuer: string,
    private readonly privateKey: CryptoKey,
    private readonly publicJwk: JWK,
    private readonly kid: string,
    private readonly lifetimeS: number,
  ) {}

  /** A new issuer at `<adminUrl>/oidc` with a fresh key pair. */
  static async create(adminUrl: string, lifetimeS = LOCAL_TOKEN_LIFETIME_S): Promise<LocalIssuer> {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const issuer = `${adminUrl.replace(/\/+$/, "")}${LOCAL_ISSUER_PATH}`;
    return new LocalIssuer(issuer, privateKey, await exportJWK(publicKey), randomBytes(8).toString("hex"), lifetimeS);
  }

  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  /** The default audience of a local service's tokens. */
  static audienceFor(service: string): string {
    return `api://aksml-local/${service}`;
  }

  /** `/.well-known/openid-configuration` (the fields a resource server reads). */
  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: this.jwksUri,
      response_types_supported: ["token"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    };
  }

  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk, kid: this.kid, alg: "RS256", use: "sig" }] };
  }

  /** A token for `audience`, carrying `roles` when given (the app roles a caller was assigned). */
  async mint(audience: string, opts: { subject?: string; roles?: string[] } = {}): Promise<AccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.lifetimeS;
    const claims: Record<string, unknown> = opts.roles?.length ? { roles: opts.roles } : {};
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: this.kid, typ: "JWT" })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setSubject(opts.subject ?? "aksml-local")
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(randomBytes(12).toString("base64url"))
      .sign(this.privateKey);
    return {
      accessToken,
      tokenType: "Bearer",
      expiresOn: new Date(exp * 1000).toISOString(),
      refreshBy: new Date((exp - Math.min(TOKEN_REFRESH_MARGIN_S, this.lifetimeS / 2)) * 1000).toISOString(),
    };
  }
}
