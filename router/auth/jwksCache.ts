/**
 * An issuer's signing keys (JWKS), cached so that an issuer outage does not become a
 * scoring outage.
 *
 * - Keys already fetched keep verifying tokens however long the issuer is down: a stale
 *   set (older than `maxAgeMs`) is refreshed in the background and kept when that fails.
 *   (jose's remote key set refetches before verifying once its cache is stale, and fails
 *   every token, even one whose key it holds, while the issuer is unreachable.)
 * - A token naming a key the cache lacks triggers one refetch (the issuer may have
 *   rotated), at most once per `cooldownMs` whatever the outcome, so a flood of forged
 *   `kid`s costs the issuer one request per interval.
 * - When the keys cannot be fetched and the token's key is not cached, the answer is
 *   {@link KeysUnavailableError} (the router says 503, not 401: the client did nothing wrong).
 * - Responses are bounded (size and time), like everything else a remote party sends.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/** The signing keys could not be fetched and the token's key is not among the cached ones. */
export class KeysUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeysUnavailableError";
  }
}

export interface JwksCacheOptions {
  /** Minimum time between two fetches, successful or not. */
  cooldownMs: number;
  /** Age after which a successful fetch is refreshed in the background. */
  maxAgeMs: number;
  /** Longest wait for one fetch. */
  timeoutMs: number;
}

/** Largest JWKS or discovery document accepted (Entra's JWKS is ~10 KB). */
export const MAX_KEYS_DOCUMENT_BYTES = 1024 * 1024;

/** GETs a JSON document with a deadline and a size bound. */
export async function fetchJsonBounded(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`${url} answered ${res.status}`);
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > MAX_KEYS_DOCUMENT_BYTES) {
    await res.body?.cancel();
    throw new Error(`${url} sent ${declared} bytes (limit ${MAX_KEYS_DOCUMENT_BYTES})`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_KEYS_DOCUMENT_BYTES) throw new Error(`${url} sent more than ${MAX_KEYS_DOCUMENT_BYTES} bytes`);
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

export class JwksCache {
  private local: JWTVerifyGetKey | undefined;
  private fetchedAt = -Infinity;
  private attemptedAt = -Infinity;
  private lastFailed = false;
  private inflight: Promise<void> | undefined;

  constructor(
    readonly url: string,
    private readonly opts: JwksCacheOptions,
  ) {}

  /** Fetches (fetchCount), for tests and metrics. */
  fetches = 0;

  /** The key for a token, as jose's `jwtVerify` asks for it. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    if (!this.local) await this.refresh();
    else if (performance.now() - this.fetchedAt > this.opts.maxAgeMs) void this.refresh().catch(() => undefined);
    try {
      return await this.local!(header, token);
    } catch (e) {
      if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
      // The issuer may have rotated to a key fetched after ours.
      if (this.mayFetch()) {
        await this.refresh();
        return this.local!(header, token);
      }
      if (this.lastFailed)
        throw new KeysUnavailableError(`signing keys at ${this.url} could not be fetched and this key is not cached`);
      throw e;
    }
  };

  private mayFetch(): boolean {
    return performance.now() - this.attemptedAt >= this.opts.cooldownMs;
  }

  /** One fetch at a time; within the cooldown, the outcome of the last attempt stands. */
  private refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    if (!this.mayFetch()) {
      return this.lastFailed || !this.local
        ? Promise.reject(
            new KeysUnavailableError(`signing keys at ${this.url} failed to load recently; not refetching yet`),
          )
        : Promise.resolve();
    }
    this.attemptedAt = performance.now();
    this.fetches++;
    this.inflight = fetchJsonBounded(this.url, this.opts.timeoutMs)
      .then((doc) => {
        const local = createLocalJWKSet(doc as JSONWebKeySet); // throws on a malformed set
        this.local = local;
        this.fetchedAt = performance.now();
        this.lastFailed = false;
      })
      .catch((e: unknown) => {
        this.lastFailed = true;
        throw new KeysUnavailableError(`signing keys at ${this.url}: ${(e as Error).message}`);
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
