/**
 * Model data capture against real storage: Azurite's blob service on loopback, the real
 * router and replicas on loopback, the records read back from the container.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobServiceClient } from "@azure/storage-blob";
import { startAzurite, type Azurite } from "./fetchModelAzurite.js";
import { startTestRouter } from "./helpers/router.js";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { readRecords, scoreMany } from "./helpers/modelData.js";
import { BlobCaptureSink } from "../../router/capture/sinks.js";
import { REDACTED } from "../../router/capture/redact.js";

let azurite: Azurite;
let replica: TestReplica;

/** The replica answers with a prediction derived from the input, so each output can be checked against its input. */
const predict = (body: Buffer) => {
  const input = JSON.parse(body.toString("utf8")) as { id: number };
  return JSON.stringify({ id: input.id, prediction: input.id * 2 });
};

beforeAll(async () => {
  azurite = await startAzurite();
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("modeldata").create();
  replica = await startReplica("r1", (_req, res, body) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(predict(body));
  });
});

afterAll(async () => {
  await replica?.close();
  await azurite?.stop();
});

const captureConfig = (extra: Record<string, unknown> = {}) => ({
  auth: { mode: "none" },
  maxConcurrentRequestsPerContainer: 64,
  maxQueuedRequests: 1000,
  collectModelData: true,
  models: [{ name: "churn", version: 3 }],
  ...extra,
});

describe("model data capture to Azurite", () => {
  it("10,000 scoring requests become 10,000 input and 10,000 prediction records, laid out as Azure ML v1, redacted", async () => {
    const router = await startTestRouter(
      [
        {
          name: "svc",
          config: captureConfig({ dataCollection: { redactJsonFields: ["customer.ssn", "rows.*.email"] } }),
          replicas: [replica.endpoint],
        },
      ],
      {
        capture: {
          sink: BlobCaptureSink.fromConnectionString(azurite.connectionString, "modeldata"),
          podName: "pod-a",
          flushIntervalMs: 200,
        },
      },
    );
    const n = 10_000;
    const statuses = await scoreMany(`${router.dataUrl}/api/v1/service/svc/score`, n, 32, (i) =>
      JSON.stringify({ id: i, customer: { ssn: `ssn-${i}`, city: "Oslo" }, rows: [{ email: `u${i}@x.io`, v: i }] }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(n);
    await router.stop();

    const inputs = await readRecords(azurite.connectionString, "modeldata", "svc/churn/3/inputs/");
    const predictions = await readRecords(azurite.connectionString, "modeldata", "svc/churn/3/predictions/");
    expect(inputs).toHaveLength(n);
    expect(predictions).toHaveLength(n);

    // Layout: <service>/<model>/<version>/<designation>/<yyyy>/<mm>/<dd>/<HH>/<pod>-w<thread>-<run>-<n>.jsonl
    for (const { blob } of [...inputs, ...predictions])
      expect(blob).toMatch(
        /^svc\/churn\/3\/(inputs|predictions)\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/pod-a-w\d+-[0-9a-f]{6}-\d+\.jsonl$/,
      );

    const ids = new Set<number>();
    const byRequest = new Map<string, number>();
    for (const { line } of inputs) {
      const json = line.input!.json as {
        id: number;
        customer: { ssn: string; city: string };
        rows: { email: string; v: number }[];
      };
      expect(line.service).toBe("svc");
      expect(line.models).toEqual([{ name: "churn", version: 3 }]);
      expect(line.status).toBe(200);
      expect(line.latencyMs).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(line.time))).toBe(false);
      expect(json.customer).toEqual({ ssn: REDACTED, city: "Oslo" });
      expect(json.rows[0]).toEqual({ email: REDACTED, v: json.id });
      expect(line.input!.contentType).toBe("application/json");
      ids.add(json.id);
      byRequest.set(line.requestId, json.id);
    }
    expect(ids.size).toBe(n);
    for (const { line } of predictions) {
      const id = byRequest.get(line.requestId);
      expect(id).toBeDefined();
      expect(line.output!.json).toEqual({ id, prediction: id! * 2 });
    }
  }, 240_000);

  it("with sampleRate 0.1 about a tenth of the requests are captured", async () => {
    const router = await startTestRouter(
      [
        {
          name: "sampled",
          config: captureConfig({ dataCollection: { sampleRate: 0.1 } }),
          replicas: [replica.endpoint],
        },
      ],
      {
        capture: {
          sink: BlobCaptureSink.fromConnectionString(azurite.connectionString, "modeldata"),
          podName: "pod-s",
          flushIntervalMs: 200,
        },
      },
    );
    const n = 3000;
    const statuses = await scoreMany(`${router.dataUrl}/api/v1/service/sampled/score`, n, 16, (i) =>
      JSON.stringify({ id: i }),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    await router.stop();
    const inputs = await readRecords(azurite.connectionString, "modeldata", "sampled/churn/3/inputs/");
    // Binomial(3000, 0.1): mean 300, standard deviation 16.4; six deviations either side.
    expect(inputs.length).toBeGreaterThan(200);
    expect(inputs.length).toBeLessThan(400);
  }, 120_000);
});
