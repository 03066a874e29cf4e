/**
 * The per-request auth decision for one service: key, token or none, as its
 * settings say (never both). Anything missing, malformed or wrong is a 401 with
 * `WWW-Authenticate: Bearer`, decided before a replica is chosen.
 */
import { BEARER_CREDENTIAL_PATTERN, MAX_AUTHORIZATION_LENGTH } from "../contract/serviceKeys.js";
import type { KeyVerifier } from "./keys.js";
import type { TokenVerifier } from "./tokens.js";

export type AuthOutcome = { ok: true } | { ok: false; challenge: string };

const MISSING = 'Bearer realm="aksml"';
const INVALID = 'Bearer realm="aksml", error="invalid_token"';

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

export function authenticate(auth: ServiceAuth, header: string | undefined): AuthOutcome | Promise<AuthOutcome> {
  if (auth.mode === "none") return { ok: true };
  const credential = bearerCredential(header);
  if (credential === undefined) return { ok: false, challenge: MISSING };
  if (credential === null) return { ok: false, challenge: INVALID };
  if (auth.mode === "key") {
    return auth.keys?.verify(credential) ? { ok: true } : { ok: false, challenge: INVALID };
  }
  return auth.tokens.verify(credential).then((r) => (r.ok ? { ok: true } : { ok: false, challenge: INVALID }));
}
