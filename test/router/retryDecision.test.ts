/**
 * The retry rule (router/retryDecision.ts; docs/architecture.md "HTTP behaviour"):
 * every row of it as a table over the pure decision, then the one rule a table cannot
 * show end to end, the retry-once limit after a reset, on real loopback sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decideRetry,
  errorCode,
  MAX_RETRIES_AFTER_RESET,
  neverReachedReplica,
  type RetryDecision,
} from "../../router/retryDecision.js";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, KEYS, type TestRouter } from "./helpers/router.js";

const NEVER_REACHED = [
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
];
const DROPPED = ["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"];
const OTHER = ["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_RESPONSE_STATUS_CODE", "ERR_INVALID_ARG"];

type Row = [
  what: string,
  code: string | undefined,
  replayable: boolean,
  resets: number,
  untried: number,
  RetryDecision,
];

const rows: Row[] = [
  // Never reached the replica: on every other replica, once each; resets so far do not limit it.
  ...NEVER_REACHED.map((c): Row => [`${c}, replayable, replicas left`, c, true, 0, 2, "retry-everywhere-once"]),
  ["refused on the last untried replica", "ECONNREFUSED", true, 0, 1, "retry-everywhere-once"],
  ["refused after an earlier reset retry", "ECONNREFUSED", true, 1, 1, "retry-everywhere-once"],
  ["refused, every replica tried", "ECONNREFUSED", true, 0, 0, "fail-502"],
  ["refused, body not replayable", "ECONNREFUSED", false, 0, 2, "fail-502"],
  // Dropped after connecting: once in the request's life.
  ...DROPPED.map((c): Row => [`${c}, replayable, first reset`, c, true, 0, 2, "retry-once-after-reset"]),
  ...DROPPED.map((c): Row => [`${c}, a second reset (retry-once limit)`, c, true, 1, 2, "fail-502"]),
  ["reset, no replica left untried", "ECONNRESET", true, 0, 0, "fail-502"],
  ["reset, streamed body already read from the client", "ECONNRESET", false, 0, 2, "fail-502"],
  // Anything else: 502.
  ...OTHER.map((c): Row => [`${c} is not a connection failure`, c, true, 0, 2, "fail-502"]),
  ["an error without a code", undefined, true, 0, 2, "fail-502"],
];

describe("decideRetry", () => {
  it.each(rows)("%s", (_what, code, replayable, resets, untried, expected) => {
    expect(decideRetry(code, replayable, resets, untried)).toBe(expected);
  });

  it("allows exactly one retry after a reset", () => {
    expect(MAX_RETRIES_AFTER_RESET).toBe(1);
  });

  it("ejects only replicas the request never reached", () => {
    for (const c of NEVER_REACHED) expect(neverReachedReplica(c)).toBe(true);
    for (const c of [...DROPPED, ...OTHER, undefined]) expect(neverReachedReplica(c)).toBe(false);
  });

  it("reads the code from the error or its causes", () => {
    const wrapped = new Error("fetch failed", {
      cause: Object.assign(new Error("socket"), { code: "UND_ERR_SOCKET" }),
    });
    expect(errorCode(wrapped)).toBe("UND_ERR_SOCKET");
    expect(errorCode(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe("ECONNRESET");
    expect(errorCode(new Error("no code"))).toBeUndefined();
  });
});

describe("the retry-once limit after a reset, on loopback", () => {
  const crashing: TestReplica[] = [];
  let router: TestRouter;

  beforeAll(async () => {
    // Each replica reads the request, then drops the connection without answering.
    const drop = (_req: unknown, res: { socket: { destroy(): void } | null }) => void res.socket?.destroy();
    for (const id of ["c0", "c1", "c2"]) crashing.push(await startReplica(id, drop));
    router = await startTestRouter([{ name: "crashy", keys: KEYS, replicas: crashing.map((r) => r.endpoint) }]);
  });

  afterAll(async () => {
    await router?.stop();
    await Promise.all(crashing.map((r) => r.close()));
  });

  it("a request that crashes replicas reaches two of three, then gets 502", async () => {
    const res = await fetch(`${router.dataUrl}/api/v1/service/crashy/score`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEYS.primaryKey}` },
      body: "{}",
    });
    expect(res.status).toBe(502);
    await res.arrayBuffer();
    expect(crashing.map((r) => r.hits).reduce((a, b) => a + b, 0)).toBe(2);
    const metrics = await (await fetch(`${router.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aksml_router_upstream_retries_total\{service="crashy"\} 1\n/);
  });
});
