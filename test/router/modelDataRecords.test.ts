/**
 * What each captured record holds and how blobs roll, against real storage (Azurite's
 * blob service on loopback) and a real folder (the `aksml local` destination), with the
 * real router and a real replica: bodies over `maxBodyBytes` recorded by their size,
 * bodies that are not JSON as base64 (also large, streamed ones), blobs rolled at their
 * size bound without splitting a line, and the same layout on disk.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobServiceClient } from "@azure/storage-blob";
import { request } from "undici";
import { startAzurite, type Azurite } from "./fetchModelAzurite.js";
import { startTestRouter, TEST_WORKERS } from "./helpers/router.js";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { readRecords, scoreMany, type CapturedLine } from "./helpers/modelData.js";
import { BlobCaptureSink, DirectoryCaptureSink } from "../../router/capture/sinks.js";

let azurite: Azurite;
let replica: TestReplica;
let container = 0;

/** The replica answers with the request's own body and content type. */
beforeAll(async () => {
  azurite = await startAzurite();
  replica = await startReplica("echo", (req, res, body) => {
    res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/octet-stream" });
    res.end(body);
  });
});

afterAll(async () => {
  await replica?.close();
  await azurite?.stop();
});

async function freshContainer(): Promise<string> {
  const name = `records${++container}`;
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name).create();
  return name;
}

const config = (dataCollection: Record<string, unknown>) => ({
  auth: { mode: "none" },
  maxConcurrentRequestsPerContainer: 8,
  collectModelData: true,
  models: [{ name: "echo", version: 1 }],
  dataCollection,
});

async function post(url: string, body: Buffer, contentType: string): Promise<{ status: number; body: Buffer }> {
  const res = await request(url, { method: "POST", body, headers: { "content-type": contentType } });
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
}

describe("captured records", () => {
  it("records a body over maxBodyBytes by its size only, and a body that is not JSON as base64, large ones too", async () => {
    const name = await freshContainer();
    const router = await startTestRouter(
      [{ name: "rec", config: config({ maxBodyBytes: 1024 * 1024 }), replicas: [replica.endpoint] }],
      {
        capture: {
          sink: BlobCaptureSink.fromConnectionString(azurite.connectionString, name),
          podName: "pod-r",
          flushIntervalMs: 100,
        },
      },
    );
    const url = `${router.dataUrl}/api/v1/service/rec/score`;
    const small = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]);
    // Large enough that the router streams it to the replica instead of buffering it.
    const large = Buffer.alloc(768 * 1024);
    for (let i = 0; i < large.length; i++) large[i] = (i * 31) & 0xff;
    const over = Buffer.from(JSON.stringify({ data: "x".repeat(1024 * 1024 + 10) }));
    const notJson = Buffer.from("{ this is not json");
    for (const [body, type] of [
      [small, "application/octet-stream"],
      [large, "application/octet-stream"],
      [over, "application/json"],
      [notJson, "application/json"],
    ] as const) {
      const res = await post(url, body, type);
      expect(res.status).toBe(200);
      expect(res.body.equals(body)).toBe(true);
    }
    await router.stop();

    const inputs = (await readRecords(azurite.connectionString, name, "rec/echo/1/inputs/")).map((r) => r.line);
    const outputs = (await readRecords(azurite.connectionString, name, "rec/echo/1/predictions/")).map((r) => r.line);
    expect(inputs).toHaveLength(4);
    expect(outputs).toHaveLength(4);
    const bySize = (lines: CapturedLine[], key: "input" | "output", bytes: number) =>
      lines.find((l) => l[key]!.bytes === bytes)![key]!;
    for (const [lines, key] of [
      [inputs, "input"],
      [outputs, "output"],
    ] as const) {
      expect(bySize(lines, key, small.length)).toEqual({
        bytes: small.length,
        contentType: "application/octet-stream",
        base64: small.toString("base64"),
      });
      expect(Buffer.from(bySize(lines, key, large.length).base64!, "base64").equals(large)).toBe(true);
      expect(bySize(lines, key, over.length)).toEqual({
        bytes: over.length,
        contentType: "application/json",
        truncated: true,
      });
      expect(bySize(lines, key, notJson.length)).toEqual({
        bytes: notJson.length,
        contentType: "application/json",
        base64: notJson.toString("base64"),
      });
    }
  }, 60_000);

  it("keeps a pretty-printed JSON body on its record's one line, equal to what was sent", async () => {
    const name = await freshContainer();
    const router = await startTestRouter([{ name: "pretty", config: config({}), replicas: [replica.endpoint] }], {
      capture: {
        sink: BlobCaptureSink.fromConnectionString(azurite.connectionString, name),
        podName: "p",
        flushIntervalMs: 100,
      },
    });
    const value = { data: [[1, 2.5e300, -1]], text: "line\nbreak\r\n\u2028", nested: { a: null } };
    const body = Buffer.from(JSON.stringify(value, null, 2).replaceAll("\n", "\r\n"));
    expect((await post(`${router.dataUrl}/api/v1/service/pretty/score`, body, "application/json")).status).toBe(200);
    await router.stop();
    const [input] = await readRecords(azurite.connectionString, name, "pretty/echo/1/inputs/");
    const [output] = await readRecords(azurite.connectionString, name, "pretty/echo/1/predictions/");
    expect(input!.line.input).toEqual({ bytes: body.length, contentType: "application/json", json: value });
    expect(output!.line.output!.json).toEqual(value);
  }, 60_000);

  it("with maxBodyBytes 0 only sizes are kept", async () => {
    const name = await freshContainer();
    const router = await startTestRouter(
      [{ name: "sizes", config: config({ maxBodyBytes: 0 }), replicas: [replica.endpoint] }],
      {
        capture: {
          sink: BlobCaptureSink.fromConnectionString(azurite.connectionString, name),
          podName: "p",
          flushIntervalMs: 100,
        },
      },
    );
    expect(
      (await post(`${router.dataUrl}/api/v1/service/sizes/score`, Buffer.from('{"a":1}'), "application/json")).status,
    ).toBe(200);
    await router.stop();
    const [input] = await readRecords(azurite.connectionString, name, "sizes/echo/1/inputs/");
    expect(input!.line.input).toEqual({ bytes: 7, contentType: "application/json", truncated: true });
  }, 60_000);

  it("rolls a blob before it passes maxBlobBytes, never splitting a line, and loses no record", async () => {
    const name = await freshContainer();
    const maxBlobBytes = 64 * 1024;
    const router = await startTestRouter([{ name: "roll", config: config({}), replicas: [replica.endpoint] }], {
      capture: {
        sink: BlobCaptureSink.fromConnectionString(azurite.connectionString, name),
        podName: "pod-roll",
        flushIntervalMs: 50,
        maxBlobBytes,
      },
    });
    const n = 600;
    const statuses = await scoreMany(`${router.dataUrl}/api/v1/service/roll/score`, n, 8, (i) =>
      JSON.stringify({ id: i, pad: "p".repeat(400) }),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    await router.stop();

    const c = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
    const blobs: { name: string; size: number }[] = [];
    for await (const b of c.listBlobsFlat({ prefix: "roll/echo/1/inputs/" }))
      blobs.push({ name: b.name, size: b.properties.contentLength ?? 0 });
    // ~600 lines of ~600 bytes: well over five blobs of 64 KiB.
    expect(blobs.length).toBeGreaterThan(4);
    for (const b of blobs) expect(b.size).toBeLessThanOrEqual(maxBlobBytes);
    // Each writer (one per data-path worker) numbers its own blobs: no name is used twice.
    const seqs = blobs.map((b) => /([^/]+-w\d+-[0-9a-f]{6})-(\d+)\.jsonl$/.exec(b.name)!.slice(1).join("#"));
    expect(new Set(seqs).size).toBe(blobs.length);
    // Every line of every blob parses (readRecords throws otherwise), and every request is there once.
    const ids = (await readRecords(azurite.connectionString, name, "roll/echo/1/inputs/")).map(
      (r) => (r.line.input!.json as { id: number }).id,
    );
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  }, 120_000);

  it("writes the same layout under a local folder (the aksml local destination)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aksml-modeldata-"));
    try {
      const router = await startTestRouter([{ name: "local", config: config({}), replicas: [replica.endpoint] }], {
        capture: { sink: new DirectoryCaptureSink(dir), podName: "local", flushIntervalMs: 50 },
      });
      const statuses = await scoreMany(`${router.dataUrl}/api/v1/service/local/score`, 50, 4, (i) =>
        JSON.stringify({ id: i }),
      );
      expect(statuses.every((s) => s === 200)).toBe(true);
      await router.stop();
      const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)));
      // One inputs and one predictions file per writer (per data-path worker that served requests).
      const writers = new Set(files.map((f) => /(local-w\d+-[0-9a-f]{6})-0\.jsonl$/.exec(f)?.[1]));
      expect(writers.size).toBeGreaterThanOrEqual(1);
      expect(writers.size).toBeLessThanOrEqual(TEST_WORKERS);
      expect(files).toHaveLength(2 * writers.size);
      for (const f of files)
        expect(f).toMatch(
          /^local\/echo\/1\/(inputs|predictions)\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/local-w\d+-[0-9a-f]{6}-0\.jsonl$/,
        );
      const lines: string[] = [];
      for (const inputs of files.filter((f) => f.includes("/inputs/")))
        lines.push(...(await readFile(join(dir, inputs), "utf8")).split("\n").filter(Boolean));
      expect(lines.map((l) => (JSON.parse(l) as CapturedLine).input!.json)).toEqual(
        expect.arrayContaining(Array.from({ length: 50 }, (_, i) => ({ id: i }))),
      );
      expect(lines).toHaveLength(50);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
