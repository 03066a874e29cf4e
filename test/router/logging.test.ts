/** Log lines carry request ids and never a key, a token or a body. Output is captured from the router's real logger. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Writable } from "node:stream";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, KEYS, type TestRouter } from "./helpers/router.js";
import { startIssuer, type TestIssuer } from "./helpers/jwks.js";
import { createLogger } from "../../router/log.js";
import { until } from "./helpers/poll.js";

const BODY_SECRET = "body-secret-7f3a9c";

let replica: TestReplica;
let issuer: TestIssuer;
let router: TestRouter;

beforeAll(async () => {
  replica = await startReplica("r0");
  issuer = await startIssuer();
  router = await startTestRouter([
    { name: "keyed", keys: KEYS, replicas: [replica.endpoint] },
    {
      name: "tokened",
      config: { auth: { mode: "token", issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri } },
      replicas: [replica.endpoint],
    },
    { name: "broken", keys: KEYS, replicas: [{ id: "gone", url: "http://127.0.0.1:1" }] },
  ]);
});

afterAll(async () => {
  await router.stop();
  await replica.close();
  await issuer.close();
});

it("logs each request with its id, and no credential or body", async () => {
  const token = await issuer.sign({ sub: "someone" });
  const calls: Array<[string, string]> = [
    ["keyed", `Bearer ${KEYS.primaryKey}`],
    ["keyed", `Bearer ${KEYS.secondaryKey}`],
    ["keyed", `Bearer ${KEYS.primaryKey}-wrong`],
    ["tokened", `Bearer ${token}`],
    ["tokened", `Bearer ${token}x`],
    ["broken", `Bearer ${KEYS.primaryKey}`],
  ];
  for (const [i, [svc, authorization]] of calls.entries()) {
    const res = await fetch(`${router.dataUrl}/api/v1/service/${svc}/score`, {
      method: "POST",
      headers: { authorization, "x-ms-request-id": `log-test-${i}` },
      body: JSON.stringify({ data: BODY_SECRET }),
    });
    await res.arrayBuffer();
  }
  const lines = () =>
    router
      .logText()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const logged = (i: number) => lines().some((l) => l.reqId === `log-test-${i}` && typeof l.status === "number");
  // A worker thread's lines reach the log in batches (within tens of milliseconds).
  await until(() => calls.every((_, i) => logged(i)), "an access line for every request");
  const text = router.logText();
  // The access line has the shape of every other line of the router's logger.
  const access = lines().find((l) => l.reqId === "log-test-0")!;
  expect(Object.keys(access)).toEqual([
    "level",
    "time",
    "svc",
    "reqId",
    "service",
    "method",
    "status",
    "replica",
    "ms",
    "msg",
  ]);
  expect(access).toMatchObject({ level: "info", svc: "aksml-router", service: "keyed", method: "POST", status: 200 });
  expect(access).toMatchObject({ replica: "r0", msg: "request" });
  expect(typeof access.time).toBe("number");
  expect(typeof access.ms).toBe("number");
  for (const secret of [KEYS.primaryKey, KEYS.secondaryKey, token, token.split(".")[2]!, BODY_SECRET])
    expect(text).not.toContain(secret);
});

it("redacts an authorization header even if one is ever passed to a log call", () => {
  const out: string[] = [];
  const log = createLogger(
    "info",
    new Writable({
      write(c, _e, cb) {
        out.push(String(c));
        cb();
      },
    }),
  );
  log.info(
    {
      headers: { authorization: `Bearer ${KEYS.primaryKey}` },
      req: { headers: { authorization: "Bearer t0ken" } },
      keys: KEYS,
      body: BODY_SECRET,
    },
    "careless",
  );
  const line = out.join("");
  expect(line).toContain("careless");
  for (const secret of [KEYS.primaryKey, KEYS.secondaryKey, "t0ken", BODY_SECRET]) expect(line).not.toContain(secret);
});
