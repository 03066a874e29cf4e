/**
 * The retry rule: a dead replica costs no request that had not reached it, and a
 * request that crashes replicas cannot take down many.
 *
 * When an upstream attempt fails before any response byte arrived, the request goes
 * to another replica only if its body can be sent again (no body, a body of at most
 * 64 KiB by Content-Length read whole first, or a streamed body not a byte of which
 * was read from the client yet) and a ready replica it has not tried is left:
 * - the request never reached the replica (connection refused, connect timeout,
 *   unreachable): retried on every other replica, each once ("retry-everywhere-once");
 * - the connection was reset or closed after connecting, and the replica may have
 *   started the request (a reset on a pooled socket cannot be told apart from a
 *   request the replica never read): retried once in the request's life, so a second
 *   reset fails ("retry-once-after-reset");
 * - anything else: 502 ("fail-502").
 */

/** Error codes meaning the request never reached the replica. */
const NEVER_REACHED = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** Error codes of a connection dropped after connecting, before any response byte. */
const DROPPED_BEFORE_RESPONSE = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

/** How many resets one request may be retried after. */
export const MAX_RETRIES_AFTER_RESET = 1;

export type RetryDecision = "retry-everywhere-once" | "retry-once-after-reset" | "fail-502";

/** True when the error code says the request never reached the replica (which is then ejected for a while). */
export function neverReachedReplica(code: string | undefined): boolean {
  return code !== undefined && NEVER_REACHED.has(code);
}

/**
 * What to do after an attempt failed before any response byte.
 * @param code the error's code (errno or undici's), see {@link errorCode}
 * @param bodyReplayable whether the request body can be sent again
 * @param resetsSoFar retries this request already made after a reset
 * @param untriedReplicas ready replicas of the service this request has not been sent to yet
 */
export function decideRetry(
  code: string | undefined,
  bodyReplayable: boolean,
  resetsSoFar: number,
  untriedReplicas: number,
): RetryDecision {
  if (!bodyReplayable || untriedReplicas < 1 || code === undefined) return "fail-502";
  if (NEVER_REACHED.has(code)) return "retry-everywhere-once";
  if (DROPPED_BEFORE_RESPONSE.has(code) && resetsSoFar < MAX_RETRIES_AFTER_RESET) return "retry-once-after-reset";
  return "fail-502";
}

/** The first string `code` on an error or its causes (undici wraps socket errors). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 3 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
