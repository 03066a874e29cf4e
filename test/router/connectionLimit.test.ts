/**
 * The router process's client connection limit (maxConnections, AKSML_MAX_CONNECTIONS):
 * one connection over it gets a 503 with Retry-After to its first request and is closed;
 * one that sends nothing is closed after a short silence; past the limit plus headroom,
 * node closes new connections at once. A freed connection makes room again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";
import { openRaw, parseResponses, requestText, type RawConnection } from "./helpers/rawClient.js";
import { until } from "./helpers/poll.js";
import { connectionHardLimit } from "../../router/clientConnections.js";

const MAX = 4;
let router: TestRouter;
let replica: TestReplica;
const opened: RawConnection[] = [];

beforeAll(async () => {
  replica = await startReplica("r");
  // A long headers timeout: only the connection limit may close the connections here.
  router = await startTestRouter([{ name: "m", config: { auth: { mode: "none" } }, replicas: [replica.endpoint] }], {
    maxConnections: MAX,
    clientTimeouts: { headersTimeoutMs: 60_000 },
  });
});

afterAll(async () => {
  for (const c of opened) c.socket.destroy();
  await router.stop();
  await replica.close();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${router.adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

async function open(): Promise<RawConnection> {
  const c = await openRaw(router.dataUrl);
  opened.push(c);
  return c;
}

/** A connection that has been answered once and stays open (keep-alive). */
async function served(): Promise<RawConnection> {
  const c = await open();
  c.socket.write(requestText("GET", "/api/v1/service/m/score"));
  await until(() => parseResponses(c.received()).length === 1, "an answer");
  expect(parseResponses(c.received())[0]!.status).toBe(200);
  return c;
}

describe("the connection limit", () => {
  it("answers the first request of a connection over the limit with 503 and closes it", async () => {
    const kept = [];
    for (let i = 0; i < MAX; i++) kept.push(await served());
    await until(async () => (await metric("aksml_router_open_connections")) === MAX, "the limit reached");
    const rejectedBefore = await metric("aksml_router_rejected_connections_total");
    const hits = replica.hits;

    const over = await open();
    over.socket.write(requestText("GET", "/api/v1/service/m/score"));
    await over.closed;
    const [answer] = parseResponses(over.received());
    expect(answer!.status).toBe(503);
    expect(answer!.headers["retry-after"]).toBe("1");
    expect(answer!.headers.connection).toBe("close");
    expect(JSON.parse(answer!.body.toString()).error.message).toContain("too many open connections");
    expect(replica.hits).toBe(hits);
    expect(await metric("aksml_router_rejected_connections_total")).toBe(rejectedBefore + 1);

    // One over the limit that says nothing is closed after a short silence, not held.
    const silent = await open();
    await silent.closed;
    expect(silent.received().length).toBe(0);

    // A freed connection makes room.
    kept[0]!.socket.destroy();
    await until(async () => (await metric("aksml_router_open_connections")) === MAX - 1, "room again");
    await served();
  });

  it("past the limit plus headroom, closes new connections at once", async () => {
    const hard = connectionHardLimit(MAX);
    const open_ = await metric("aksml_router_open_connections");
    // Connections over the limit that keep sending a byte of a request line now and then
    // (so no silence closes them).
    const drip: RawConnection[] = [];
    for (let i = open_; i < hard; i++) {
      const c = await open();
      c.socket.write("GET /");
      drip.push(c);
    }
    const timer = setInterval(() => {
      for (const c of drip) c.socket.write("a");
    }, 300);
    try {
      await until(async () => (await metric("aksml_router_open_connections")) === hard, "the hard limit reached");
      const dropped = await open();
      await dropped.closed;
      expect(dropped.received().length).toBe(0);
    } finally {
      clearInterval(timer);
      for (const c of drip) c.socket.destroy();
    }
    await until(async () => (await metric("aksml_router_open_connections")) <= MAX, "the dripping connections gone");
  });
});
