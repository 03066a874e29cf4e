/**
 * Model data capture when storage goes away and comes back (Azurite stopped and started
 * again on the same port and data folder), and when the router is stopped with records
 * still queued (SIGTERM to a router process). Real storage, real router, real replicas.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobServiceClient } from "@azure/storage-blob";
import { startAzurite, type Azurite } from "./fetchModelAzurite.js";
import { startTestRouter } from "./helpers/router.js";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { startChildRouter } from "./helpers/childRouter.js";
import { readRecords, scoreMany } from "./helpers/modelData.js";
import { until } from "./helpers/poll.js";
import { BlobCaptureSink } from "../../router/capture/sinks.js";

let replica: TestReplica;
beforeAll(async () => {
  replica = await startReplica("r1", (_req, res, body) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  });
});
afterAll(async () => {
  await replica?.close();
});

/** The sum of a metric's samples whose labels include `labels`. */
function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

const body = (phase: number) => (i: number) => JSON.stringify({ phase, i, pad: "x".repeat(1000) });
const config = { auth: { mode: "none" }, maxConcurrentRequestsPerContainer: 64, collectModelData: true };

describe("model data capture through a storage outage", () => {
  it("every scoring request succeeds while Azurite is down, capture resumes when it is back, drops are counted", async () => {
    const location = mkdtempSync(join(tmpdir(), "aksml-azurite-outage-"));
    let azurite: Azurite = await startAzurite({ location });
    const port = Number(new URL(azurite.blobEndpoint).port);
    const cs = azurite.connectionString;
    await BlobServiceClient.fromConnectionString(cs).getContainerClient("modeldata").create();
    const router = await startTestRouter([{ name: "svc", config, replicas: [replica.endpoint] }], {
      capture: {
        sink: BlobCaptureSink.fromConnectionString(cs, "modeldata"),
        podName: "pod-o",
        // Phase 1 (300 records, ~780 KB) fits whether or not the writer has written any yet; the outage (2000) cannot.
        bufferBytes: 1024 * 1024,
        flushIntervalMs: 100,
        backoffInitialMs: 100,
        backoffMaxMs: 500,
      },
    });
    const url = `${router.dataUrl}/api/v1/service/svc/score`;
    const metrics = async () => (await fetch(`${router.adminUrl}/metrics`)).text();
    const settled = async (n: number) => {
      const m = await metrics();
      return (
        metricSum(m, "aksml_router_capture_records_total") + metricSum(m, "aksml_router_capture_dropped_total") === n
      );
    };
    try {
      expect(new Set(await scoreMany(url, 300, 16, body(1)))).toEqual(new Set([200]));
      await until(() => settled(300), "phase 1 written", 30_000);

      await azurite.stop();
      expect(new Set(await scoreMany(url, 2000, 16, body(2)))).toEqual(new Set([200]));
      const during = await metrics();
      expect(metricSum(during, "aksml_router_capture_dropped_total", { reason: "buffer_full" })).toBeGreaterThan(0);
      expect(metricSum(during, "aksml_router_capture_storage_errors_total")).toBeGreaterThan(0);

      azurite = await startAzurite({ port, location });
      await until(() => settled(2300), "the backlog written once storage is back", 60_000);
      expect(new Set(await scoreMany(url, 300, 16, body(3)))).toEqual(new Set([200]));
      await until(() => settled(2600), "phase 3 written", 30_000);
      const end = await metrics();
      await router.stop();

      const written = metricSum(end, "aksml_router_capture_records_total");
      const dropped = metricSum(end, "aksml_router_capture_dropped_total");
      expect(written + dropped).toBe(2600);
      const inputs = await readRecords(cs, "modeldata", "svc/svc/0/inputs/");
      const predictions = await readRecords(cs, "modeldata", "svc/svc/0/predictions/");
      // Exactly what was counted as written, each once (a retried append is never written twice).
      expect(inputs).toHaveLength(written);
      expect(predictions).toHaveLength(written);
      expect(new Set(inputs.map((r) => r.line.requestId)).size).toBe(written);
      const phase = (p: number) => inputs.filter((r) => (r.line.input!.json as { phase: number }).phase === p).length;
      expect(phase(1)).toBe(300);
      expect(phase(3)).toBe(300);
    } finally {
      await azurite.stop();
      rmSync(location, { recursive: true, force: true });
    }
  }, 240_000);
});

describe("model data capture on SIGTERM", () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("modeldata").create();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it("a graceful stop writes every queued record before the process exits", async () => {
    // Nothing is written before the stop: the writer's interval is a minute.
    const router = await startChildRouter([{ name: "svc", config, replicas: [replica.endpoint] }], {
      env: { ROUTER_CAPTURE_CONNECTION_STRING: azurite.connectionString, ROUTER_CAPTURE_FLUSH_INTERVAL_MS: "60000" },
    });
    const statuses = await scoreMany(`${router.dataUrl}/api/v1/service/svc/score`, 1000, 16, body(9));
    expect(new Set(statuses)).toEqual(new Set([200]));
    expect(await readRecords(azurite.connectionString, "modeldata", "svc/")).toHaveLength(0);
    router.proc.kill("SIGTERM");
    expect(await router.exited).toBe(0);
    const inputs = await readRecords(azurite.connectionString, "modeldata", "svc/svc/0/inputs/");
    const predictions = await readRecords(azurite.connectionString, "modeldata", "svc/svc/0/predictions/");
    expect(inputs).toHaveLength(1000);
    expect(predictions).toHaveLength(1000);
  }, 120_000);
});
