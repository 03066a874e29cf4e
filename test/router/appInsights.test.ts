/**
 * Application Insights with Microsoft's real exporter (@azure/monitor-opentelemetry-exporter):
 * the connection string's IngestionEndpoint, `http://127.0.0.1:<port>/`, names a local
 * server standing in for the ingestion service (Breeze, which cannot run here) that records
 * what it is sent. The exporter upgrades every ingestion endpoint to https (its
 * ConnectionStringParser.sanitizeUrl), as it would in Azure, so the stand-in serves TLS with
 * a throwaway CA that the router process (a child, started with NODE_EXTRA_CA_CERTS) trusts.
 */
import { createServer, type Server } from "node:https";
import { createServer as createTcpServer } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChildRouter, type ChildRouter } from "./helpers/childRouter.js";
import { createTestCa, hasOpenssl, type TestCa } from "./helpers/testPki.js";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { until } from "./helpers/poll.js";
import { scoreMany } from "./helpers/modelData.js";

interface Envelope {
  name: string;
  iKey: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, string> } };
}

let ingestion: Server;
let ca: TestCa;
let caDir: string;
let port: number;
const envelopes: Envelope[] = [];
let replica: TestReplica;
const seenTraceparents: string[] = [];
const IKEY = "00000000-0000-4000-8000-000000000001";

beforeAll(async () => {
  ca = createTestCa("aksml ingestion test CA");
  caDir = mkdtempSync(join(tmpdir(), "aksml-ai-"));
  writeFileSync(join(caDir, "ca.pem"), ca.cert);
  const leaf = ca.issue("127.0.0.1", 2);
  ingestion = createServer({ cert: leaf.chain, key: leaf.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      const text = body.toString("utf8").trim();
      const items = (
        text.startsWith("[") ? JSON.parse(text) : text.split("\n").map((l) => JSON.parse(l))
      ) as Envelope[];
      envelopes.push(...items);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ itemsReceived: items.length, itemsAccepted: items.length, errors: [] }));
    });
  });
  ingestion.listen(0, "127.0.0.1");
  await once(ingestion, "listening");
  port = (ingestion.address() as AddressInfo).port;
  replica = await startReplica("r1", (req, res) => {
    seenTraceparents.push(String(req.headers.traceparent));
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  });
});

afterAll(async () => {
  await replica?.close();
  ingestion?.closeAllConnections();
  await new Promise((r) => ingestion?.close(r));
  ca?.dispose();
  if (caDir) rmSync(caDir, { recursive: true, force: true });
});

/** The router in its own process, trusting the stand-in's CA, sending to `endpoint`. */
async function routerSendingTo(
  endpoint: string,
  services: Parameters<typeof startChildRouter>[0],
): Promise<ChildRouter> {
  return startChildRouter(services, {
    env: {
      NODE_EXTRA_CA_CERTS: join(caDir, "ca.pem"),
      ROUTER_APP_INSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=${endpoint}`,
    },
  });
}

async function stopChild(router: ChildRouter): Promise<void> {
  router.proc.kill("SIGTERM");
  expect(await router.exited).toBe(0);
}

const requests = () => envelopes.filter((e) => e.data.baseType === "RequestData");
const dependencies = () => envelopes.filter((e) => e.data.baseType === "RemoteDependencyData");

describe.skipIf(!hasOpenssl)("Application Insights telemetry from the router", () => {
  it("sends a request and a dependency item per scoring request, sharing an operation id, with traceparent to the replica", async () => {
    const router = await routerSendingTo(`http://127.0.0.1:${port}/`, [
      { name: "svc", config: { auth: { mode: "none" }, appInsightsEnabled: true }, replicas: [replica.endpoint] },
      { name: "quiet", config: { auth: { mode: "none" } }, replicas: [replica.endpoint] },
    ]);
    const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await fetch(`${router.dataUrl}/api/v1/service/svc/score`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json", traceparent: `00-${clientTrace}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-ms-request-id")!;
    await res.arrayBuffer();
    expect(await scoreMany(`${router.dataUrl}/api/v1/service/svc/score`, 4, 2, () => "{}")).toEqual([
      200, 200, 200, 200,
    ]);
    expect(await scoreMany(`${router.dataUrl}/api/v1/service/quiet/score`, 3, 1, () => "{}")).toEqual([200, 200, 200]);
    await until(() => requests().length >= 5 && dependencies().length >= 5, "5 requests and 5 dependencies exported");
    await stopChild(router);

    expect(requests()).toHaveLength(5);
    expect(dependencies()).toHaveLength(5);
    for (const e of envelopes) expect(e.iKey).toBe(IKEY);
    const first = requests().find((e) => e.data.baseData.properties?.["aksml.request_id"] === requestId)!;
    expect(first).toBeDefined();
    expect(first.data.baseData).toMatchObject({
      name: "POST /api/v1/service/svc/score",
      responseCode: "200",
      success: true,
    });
    expect(first.tags["ai.operation.name"]).toBe("POST /api/v1/service/svc/score");
    expect(first.tags["ai.operation.id"]).toBe(clientTrace);
    expect(first.tags["ai.cloud.role"]).toBe("aksml-router");
    expect(first.data.baseData.properties?.["aksml.service"]).toBe("svc");
    expect(Number(first.data.baseData.properties?.["aksml.routing_overhead_ms"])).toBeGreaterThanOrEqual(0);
    expect(typeof first.data.baseData.duration).toBe("string");

    for (const req of requests()) {
      const op = req.tags["ai.operation.id"]!;
      const deps = dependencies().filter((d) => d.tags["ai.operation.id"] === op);
      expect(deps).toHaveLength(1);
      const dep = deps[0]!;
      expect(dep.tags["ai.operation.parentId"]).toBe(req.data.baseData.id);
      expect(dep.data.baseData).toMatchObject({ type: "Http", resultCode: "200", success: true });
      expect(String(dep.data.baseData.data)).toBe(`${replica.endpoint.url}/score`);
      // The replica got the dependency's context: its own telemetry joins this operation.
      expect(seenTraceparents).toContain(`00-${op}-${dep.data.baseData.id}-01`);
    }
  }, 60_000);

  it("an unreachable ingestion endpoint does not affect scoring", async () => {
    const closed = createTcpServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const router = await routerSendingTo(`http://127.0.0.1:${deadPort}/`, [
      { name: "svc", config: { auth: { mode: "none" }, appInsightsEnabled: true }, replicas: [replica.endpoint] },
    ]);
    const statuses = await scoreMany(`${router.dataUrl}/api/v1/service/svc/score`, 200, 8, () => "{}");
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Exports were attempted (spans reached the exporter) and failed without touching scoring.
    await until(
      async () =>
        /aksml_router_telemetry_spans_total\{result="\w+"\} [1-9]/.test(
          await (await fetch(`${router.adminUrl}/metrics`)).text(),
        ),
      "spans handed to the exporter",
      20_000,
    );
    expect(await scoreMany(`${router.dataUrl}/api/v1/service/svc/score`, 50, 8, () => "{}")).toEqual(
      Array(50).fill(200),
    );
    await stopChild(router);
  }, 60_000);
});
