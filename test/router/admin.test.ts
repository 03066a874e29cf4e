/** Admin port: /metrics (live gauges, scaling metrics the autoscaler reports), health, mounted routes such as the peer endpoint. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { PEER_LOAD_PATH } from "../../router/contract/backend.js";
import { startReplica, sleep, type TestReplica } from "./helpers/upstream.js";
import { startTestRouter, type TestRouter } from "./helpers/router.js";

let replica: TestReplica;
let router: TestRouter;
const peerBodies: string[] = [];

beforeAll(async () => {
  replica = await startReplica("r0", async (_req, res) => {
    await sleep(300);
    res.end("ok");
  });
  router = await startTestRouter(
    [{ name: "m", config: { auth: { mode: "none" }, maxRequestWaitTimeMs: 2000 }, replicas: [replica.endpoint] }],
    {
      adminRoutes: new Map([
        [
          PEER_LOAD_PATH,
          (req, res) => {
            let body = "";
            req.setEncoding("utf8").on("data", (c: string) => (body += c));
            req.on("end", () => {
              peerBodies.push(body);
              res.writeHead(204).end();
            });
          },
        ],
      ]),
    },
  );
});

afterAll(async () => {
  await router.stop();
  await replica.close();
});

const metrics = async () => (await fetch(`${router.adminUrl}/metrics`)).text();

it("serves health on both ports and 404s unknown admin paths", async () => {
  for (const base of [router.dataUrl, router.adminUrl]) {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  }
  expect((await fetch(`${router.adminUrl}/nope`)).status).toBe(404);
  expect((await fetch(`${router.dataUrl}/metrics`)).status).toBe(404); // metrics never on the data port
});

it("mounts routes given by the control half on the admin port only", async () => {
  const report = JSON.stringify({ peer: "p1", sentAt: Date.now(), loads: [{ service: "m", inFlight: 2, queued: 1 }] });
  expect((await fetch(`${router.adminUrl}${PEER_LOAD_PATH}`, { method: "POST", body: report })).status).toBe(204);
  expect(peerBodies).toEqual([report]);
  expect((await fetch(`${router.dataUrl}${PEER_LOAD_PATH}`, { method: "POST", body: report })).status).toBe(404);
});

it("exposes in-flight and queued requests live, and the scaling metrics the autoscaler records", async () => {
  const pending = [1, 2, 3].map(() =>
    fetch(`${router.dataUrl}/api/v1/service/m/score`, { method: "POST", body: "{}" }),
  );
  while (router.registry.get("m")!.queued < 2) await sleep(5);
  const during = await metrics();
  expect(during).toContain('aksml_router_in_flight_requests{service="m"} 1');
  expect(during).toContain('aksml_router_queue_length{service="m"} 2');
  expect(during).toContain('aksml_router_ready_replicas{service="m"} 1');
  expect(router.registry.localLoad()).toEqual([{ service: "m", inFlight: 1, queued: 2 }]);

  router.metrics.recordScalingDecision("m", 1, 3, "up");
  router.metrics.recordScalingDecision("m", 3, 3, "hold");
  const after = await metrics();
  expect(after).toContain('aksml_router_desired_replicas{service="m"} 3');
  expect(after).toMatch(/aksml_router_scaling_decisions_total\{service="m",direction="up",reason="up"\} 1/);
  expect(after).not.toContain('reason="hold"');
  await Promise.all(pending.map(async (p) => (await p).arrayBuffer()));
  expect(await metrics()).toMatch(/aksml_router_queue_wait_seconds_count\{service="m"\} [1-9]/);
});
