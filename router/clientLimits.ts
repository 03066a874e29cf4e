/**
 * The fixed bounds of the public data listener: what one client connection may hold and
 * for how long, before any service setting applies. The per-service bounds (scoring
 * timeout, queue wait, queue length) are the contract's (contract/serviceConfigSchema.ts);
 * the connection limit is the router environment's (AKSML_MAX_CONNECTIONS).
 */
import type { ServerOptions } from "node:http";

/** Request line and headers, in bytes (node's default, stated): larger gets 431 and the connection closed. */
export const MAX_HEADER_BYTES = 16 * 1024;
export interface DataListenerTimeouts {
  /**
   * The request line and headers must arrive within this, counted from the connection or
   * the request's first byte (else 408 and closed): a slowloris holds a connection no longer.
   */
  readonly headersTimeoutMs: number;
  /**
   * An idle keep-alive connection is closed after this (plus node's 1 s margin). Longer
   * than a typical client pool's idle timeout, so the client closes first.
   */
  readonly keepAliveTimeoutMs: number;
  /**
   * A response the client takes no bytes of for this long is aborted and its connection
   * closed (writeStalls.ts). nginx's `send_timeout` is 60 s; this is shorter because a
   * stalled reader may be holding a replica slot.
   */
  readonly writeStallMs: number;
  /** TLS only: the handshake must finish within this (node's default is 120 s). */
  readonly tlsHandshakeTimeoutMs: number;
}

export const DATA_LISTENER_TIMEOUTS: DataListenerTimeouts = {
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 65_000,
  writeStallMs: 15_000,
  tlsHandshakeTimeoutMs: 10_000,
};

/** node:http options of the data listener. */
export function dataServerOptions(t: DataListenerTimeouts): ServerOptions {
  return {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: t.headersTimeoutMs,
    // Uploads of 100 MB may be slow: no whole-request limit; the exchange deadline
    // (scoringTimeoutMs after dispatch) bounds a streamed body instead.
    requestTimeout: 0,
    // How often node checks the headers timeout: the bound is the timeout plus this.
    connectionsCheckingInterval: Math.min(1_000, t.headersTimeoutMs),
    keepAliveTimeout: t.keepAliveTimeoutMs,
  };
}
