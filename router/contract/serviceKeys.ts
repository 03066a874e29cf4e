/**
 * What a service key must be so that a client can present it: the router compares the
 * credential of `Authorization: Bearer <credential>` with the keys, and only an RFC 6750
 * b64token (RFC 7235 token68) can be that credential. A key with a space, a quote or any
 * other character outside that set would be answered 401 forever, so it is rejected where
 * it is configured: ModelWebservice's `primaryKey`/`secondaryKey`, `aksml local`'s
 * `keys`, and the router itself (a Secret written by hand). No dependencies, like the
 * rest of `router/contract/`.
 */

/** `Authorization: Bearer <credential>`: letters, digits, `-._~+/`, then optional trailing `=`. */
export const BEARER_CREDENTIAL_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Longest Authorization header the router considers at all (a JWT with a few claims is ~1-2 KB). */
export const MAX_AUTHORIZATION_LENGTH = 8192;
/** Longest credential such a header can carry. */
export const MAX_BEARER_CREDENTIAL_LENGTH = MAX_AUTHORIZATION_LENGTH - "Bearer ".length;
/** Why no client could ever present `key` (the router's check), or undefined. Never quotes the key. */
export function unpresentableKeyProblem(key: string): string | undefined {
  if (key.length === 0) return "is empty";
  if (key.length > MAX_BEARER_CREDENTIAL_LENGTH)
    return `is ${key.length} characters; an Authorization header carries at most ${MAX_BEARER_CREDENTIAL_LENGTH}`;
  if (!BEARER_CREDENTIAL_PATTERN.test(key))
    return "contains characters a Bearer credential cannot carry (only letters, digits, -._~+/ and trailing =)";
  return undefined;
}

/** Why `key` is not a key to configure (a string of at least `minLength` a client can present), or undefined. Never quotes it. */
export function serviceKeyProblem(key: unknown, minLength = 1): string | undefined {
  if (typeof key !== "string") return `must be a string, got ${key === null ? "null" : typeof key}`;
  if (key.length < minLength) return `must be at least ${minLength} characters, got ${key.length}`;
  return unpresentableKeyProblem(key);
}
