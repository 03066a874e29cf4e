/**
 * Mirrored traffic on real sockets: a real router in front of real replicas on loopback.
 * The mirror receives exactly its share of copies; a mirror that hangs, fails or is
 * saturated never changes a live answer, and nothing live waits for it (every live
 * answer arrives while the hanging copies are still open); streamed bodies and pinned
 * requests are not copied; copies are bounded in number and in time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echo, startReplica, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, TEST_WORKERS, type TestRouter } from "./helpers/router.js";
import { until } from "./helpers/poll.js";

let live: TestReplica;
let shadow: TestReplica;
let router: TestRouter;
/** Responses the hanging shadow holds open; released at the end. */
const held: Array<() => void> = [];
let shadowMode: "echo" | "hang" | "fail" = "echo";

const endpoint = (mirrorPercentile: number) => ({
  name: "fraud",
  config: {
    auth: { mode: "none" },
    versions: [
      { version: "blue", service: "fraud-blue", isDefault: true, isControlVersion: true },
      { version: "shadow", service: "fraud-shadow", mirrorPercentile },
    ],
  },
});

async function score(body = JSON.stringify({ data: [[1, 2, 3]] }), headers: Record<string, string> = {}) {
  const res = await fetch(`${router.dataUrl}/api/v1/service/fraud/score`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, version: res.headers.get("azureml-model-deployment"), text: await res.text() };
}

async function mirrored(outcome: string): Promise<number> {
  const text = await (await fetch(`${router.adminUrl}/metrics`)).text();
  const m = new RegExp(
    `^aksml_router_mirrored_requests_total\\{endpoint="fraud",version="shadow",outcome="${outcome}"\\} (\\d+)`,
    "m",
  ).exec(text);
  return m ? Number(m[1]) : 0;
}

beforeAll(async () => {
  live = await startReplica("live-0");
  shadow = await startReplica("shadow-0", (req, res, body) => {
    if (shadowMode === "hang") {
      held.push(() => echo(req, res, body));
      return;
    }
    if (shadowMode === "fail") {
      res.destroy();
      return;
    }
    echo(req, res, body);
  });
  router = await startTestRouter(
    [
      {
        name: "fraud-blue",
        config: { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 8 },
        replicas: [live.endpoint],
      },
      {
        name: "fraud-shadow",
        config: { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 4, scoringTimeoutMs: 60_000 },
        replicas: [shadow.endpoint],
      },
    ],
    {},
    [endpoint(20)],
  );
});

afterAll(async () => {
  for (const release of held.splice(0)) release();
  await router.stop();
  await Promise.all([live.close(), shadow.close()]);
});

describe("mirrored traffic", () => {
  it("copies exactly 20 % of the endpoint's requests to the mirror at 20 %, and every answer comes from the live version", async () => {
    const before = shadow.hits;
    for (let i = 0; i < 500; i++) {
      const r = await score();
      expect([r.status, r.version]).toEqual([200, "blue"]);
    }
    await until(() => shadow.hits - before >= 100, "the copies arrived");
    const share = (100 * (shadow.hits - before)) / 500;
    expect(Math.abs(share - 20)).toBeLessThanOrEqual(3);
    // Copies carry the request and say they are copies; the live replica sees no mark.
    expect(JSON.parse((await score()).text).headers["x-aksml-mirrored"]).toBeUndefined();
  });

  it("does not copy pinned requests", async () => {
    await until(() => shadow.active === 0, "earlier copies finished");
    const before = shadow.hits;
    for (let i = 0; i < 20; i++)
      expect((await score(undefined, { "azureml-model-deployment": "blue" })).status).toBe(200);
    const after = shadow.hits;
    expect(after - before).toBe(0);
  });

  it("never delays or fails a live answer when the mirror hangs: every live answer arrives while the copies are still open, the rest are dropped and counted", async () => {
    shadowMode = "hang";
    const droppedBefore = await mirrored("dropped");
    const openCopiesAtAnswer: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await score();
      expect(r.status).toBe(200);
      openCopiesAtAnswer.push(held.length);
    }
    // The shadow holds the copies it got (its 4 slots) and answers none of them...
    await until(() => held.length === 4, "the shadow holds its 4 slots' worth of copies");
    // ...and once its slots were full, every live answer came while copies hung open.
    expect(openCopiesAtAnswer.slice(-150).every((n) => n === 4)).toBe(true);
    // 40 copies were due (20 % of 200); 4 went out, the others were dropped, never queued.
    expect((await mirrored("dropped")) - droppedBefore).toBe(36);
    expect(router.registry.get("fraud-blue")!.queued).toBe(0);
    for (const release of held.splice(0)) release();
    await until(() => router.registry.get("fraud-shadow")!.inFlight === 0, "the released copies finished");
    shadowMode = "echo";
  });

  it("never fails a live answer when the mirror fails; the failures are counted", async () => {
    shadowMode = "fail";
    const failedBefore = await mirrored("failed");
    for (let i = 0; i < 100; i++) expect((await score()).status).toBe(200);
    await until(async () => (await mirrored("failed")) - failedBefore === 20, "20 failed copies counted");
    shadowMode = "echo";
  });

  it("bounds a copy by the mirror version's scoringTimeoutMs: a hanging copy gives its slot back", async () => {
    router.backend.set({
      name: "fraud-shadow",
      config: { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 1, scoringTimeoutMs: 200 },
      replicas: [shadow.endpoint],
    });
    shadowMode = "hang";
    const failedBefore = await mirrored("failed");
    // 20 % is exact per data-path worker (each its own share counter): 4 per worker and one more make a copy certain.
    for (let i = 0; i < 4 * TEST_WORKERS + 1; i++) expect((await score()).status).toBe(200);
    await until(async () => (await mirrored("failed")) > failedBefore, "a timed-out copy counted as failed");
    await until(() => router.registry.get("fraud-shadow")!.inFlight === 0, "its slot given back");
    for (const release of held.splice(0)) release();
    shadowMode = "echo";
  });

  it("skips (and counts) requests whose body is streamed rather than held in memory", async () => {
    const skippedBefore = await mirrored("skipped");
    const big = JSON.stringify({ data: [[1, 2, 3]], pad: "x".repeat(100 * 1024) });
    for (let i = 0; i < 10; i++) expect((await score(big)).status).toBe(200);
    await until(async () => (await mirrored("skipped")) - skippedBefore === 2, "2 skipped copies counted");
  });
});
