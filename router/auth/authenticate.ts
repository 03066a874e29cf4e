/**
 * The per-request auth decision for one service: key, token or none, as its
 * settings say (never both). Decided before a replica is chosen:
 * - missing, malformed or wrong credentials: 401 with `WWW-Authenticate: Bearer`, and
 *   for a presented credential `error="invalid_token"` with an `error_description`
 *   naming the class of failure (RFC 6750), never echoing the credential;
 * - a valid token without the service's required role: 403 `error="insufficient_scope"`;
 * - a token whose signing keys cannot be fetched (and are not cached): 503, since the
 *   client did nothing wrong and may retry.
 */
import { BEARER_CREDENTIAL_PATTERN, MAX_AUTHORIZATION_LENGTH } from "../contract/serviceKeys.js";
import type { KeyVerifier } from "./keys.js";
import type { TokenResult, TokenVerifier } from "./tokens.js";

export type AuthOutcome =
  | { ok: true }
  | {
      ok: false;
      status: 401 | 403 | 503;
      /** The `WWW-Authenticate` value (absent for 503). */
      challenge?: string;
      /** The error body's message. */
      message: string;
    };

const REALM = 'Bearer realm="aksml"';
const MISSING: AuthOutcome = { ok: false, status: 401, challenge: REALM, message: "missing credentials" };

/** A 401 for a presented credential, or a 403 for a missing role; `reason` is one of a fixed set of phrases. */
function rejected(status: 401 | 403, reason: string): AuthOutcome {
  const error = status === 403 ? "insufficient_scope" : "invalid_token";
  return { ok: false, status, challenge: `${REALM}, error="${error}", error_description="${reason}"`, message: reason };
}

const MALFORMED = rejected(401, "malformed credential");
const UNKNOWN_KEY = rejected(401, "unknown key");
const NO_KEYS_YET = rejected(401, "the service has no keys yet");

export type ServiceAuth =
  | { mode: "none" }
  | { mode: "key"; keys: KeyVerifier | undefined }
  | { mode: "token"; tokens: TokenVerifier };

/** Extracts the credential of `Authorization: Bearer <credential>`, or undefined. */
export function bearerCredential(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  if (header.length > MAX_AUTHORIZATION_LENGTH) return null;
  if (header.length < 8 || header.charCodeAt(6) !== 32 || header.slice(0, 6).toLowerCase() !== "bearer") return null;
  const credential = header.slice(7).trim();
  // RFC 6750 b64token characters only; also rules out control characters and spaces.
  if (credential.length === 0 || !BEARER_CREDENTIAL_PATTERN.test(credential)) return null;
  return credential;
}

function tokenOutcome(r: TokenResult): AuthOutcome {
  if (r.ok) return { ok: true };
  if (r.status === 503)
    return {
      ok: false,
      status: 503,
      message: "token signing keys are unavailable (the issuer cannot be reached); retry",
    };
  return rejected(r.status, r.reason);
}

export function authenticate(auth: ServiceAuth, header: string | undefined): AuthOutcome | Promise<AuthOutcome> {
  if (auth.mode === "none") return { ok: true };
  const credential = bearerCredential(header);
  if (credential === undefined) return MISSING;
  if (credential === null) return MALFORMED;
  if (auth.mode === "key") {
    if (!auth.keys) return NO_KEYS_YET;
    return auth.keys.verify(credential) ? { ok: true } : UNKNOWN_KEY;
  }
  return auth.tokens.verify(credential).then(tokenOutcome);
}
