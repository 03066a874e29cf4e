// fetch-model's node cache and models by reference, against Azurite (the real blob API on
// loopback) behind a counting relay that shows how many bytes storage actually served.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { run } from "../../router/fetchModel/command.js";
import { NodeCache } from "../../router/fetchModel/nodeCache.js";
import {
  CONNECTION_STRING_ENV,
  formatFetchModelArgs,
  type BlobToFetch,
  type BlobUrlToFetch,
} from "../../router/contract/fetchModelArgs.js";
import {
  DEV_ACCOUNT_KEY,
  startAzurite,
  startCountingProxy,
  type Azurite,
  type CountingProxy,
} from "./fetchModelAzurite.js";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const files = {
  weights: Buffer.alloc(3 * 1024 * 1024 + 5, 1),
  vocab: Buffer.from("alpha\nbeta\ngamma\n"),
  head: Buffer.alloc(256 * 1024, 2),
  other: Buffer.alloc(200 * 1024, 3),
  huge: Buffer.alloc(2 * 1024 * 1024, 4),
  referenced: Buffer.alloc(512 * 1024, 5),
};
const blob = (data: Buffer, path: string): BlobToFetch => ({ blob: `default/svc/${sha(data)}`, path });

let azurite: Azurite;
let proxy: CountingProxy;
let container: ContainerClient;
let shared: ContainerClient;

interface Ready {
  files: number;
  bytes: number;
  downloadedBytes: number;
  cacheHits: number;
}

/** Everything the in-process runs wrote (runs overlap in one test: slices are taken by offset). */
const io = { out: "", err: "" };
const readyLines = (out: string): Ready[] =>
  out
    .split("\n")
    .filter((l) => l.includes("models ready"))
    .map((l) => JSON.parse(l));

/** Runs the command in-process; stderr and the "models ready" line are what it wrote meanwhile. */
async function fetchModel(argv: string[]): Promise<{ code: number; stderr: string; ready?: Ready }> {
  const from = { out: io.out.length, err: io.err.length };
  const code = await run(argv);
  return { code, stderr: io.err.slice(from.err), ready: readyLines(io.out.slice(from.out))[0] };
}

const dir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** A node's cache folder, prepared as the pod's first init container prepares it. */
async function preparedCache(): Promise<string> {
  const cache = dir("aksml-node-cache-");
  expect((await fetchModel(["fetch-model", "--prepare-cache", cache])).code).toBe(0);
  return cache;
}

const fetchArgs = (
  dest: string,
  cacheDir: string | undefined,
  blobs: BlobToFetch[],
  extra: { urls?: BlobUrlToFetch[]; cacheMaxBytes?: number } = {},
) => ["fetch-model", ...formatFetchModelArgs({ container: "models", dest, blobs, cacheDir, ...extra })];

const entry = (cache: string, data: Buffer) => join(cache, "sha256", sha(data));

beforeAll(async () => {
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: any) => {
    io.out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: any) => {
    io.err += String(chunk);
    return true;
  });
  azurite = await startAzurite();
  proxy = await startCountingProxy(azurite);
  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  container = service.getContainerClient("models");
  await container.create();
  for (const data of Object.values(files))
    await container.getBlockBlobClient(`default/svc/${sha(data)}`).uploadData(data);
  shared = service.getContainerClient("shared");
  await shared.create();
  await shared.getBlockBlobClient("resnet/v2/model.onnx").uploadData(files.referenced);
  process.env[CONNECTION_STRING_ENV] = proxy.connectionString;
});

afterAll(async () => {
  vi.restoreAllMocks();
  delete process.env[CONNECTION_STRING_ENV];
  await proxy?.stop();
  await azurite?.stop();
});

beforeEach(() => proxy.reset());

describe("node cache", () => {
  it("prepare-cache makes the entries folder writable for every fetch-model user (sticky, like /tmp), idempotently", async () => {
    const cache = await preparedCache();
    expect(statSync(join(cache, "sha256")).mode & 0o7777).toBe(0o1777);
    expect((await fetchModel(["fetch-model", "--prepare-cache", cache])).code).toBe(0);
  });

  it("the second fetch of the same content into the same cache downloads nothing and yields the same files", async () => {
    const cache = await preparedCache();
    const blobs = [blob(files.weights, "m/1/weights.bin"), blob(files.vocab, "m/1/vocab.txt")];
    const size = files.weights.length + files.vocab.length;

    const first = await fetchModel(fetchArgs(dir("aksml-pod1-"), cache, blobs));
    expect(first.code).toBe(0);
    expect(first.ready).toMatchObject({ files: 2, bytes: size, downloadedBytes: size, cacheHits: 0 });
    expect(proxy.traffic.getBodyBytes).toBe(size);
    expect(readdirSync(join(cache, "sha256")).sort()).toEqual([sha(files.weights), sha(files.vocab)].sort());

    proxy.reset();
    const pod2 = dir("aksml-pod2-");
    const second = await fetchModel(fetchArgs(pod2, cache, blobs));
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(second.ready).toMatchObject({ files: 2, bytes: size, downloadedBytes: 0, cacheHits: 2 });
    // Storage served no content: one HEAD per file (the pod may still read it), no GET.
    expect(proxy.traffic.getBodyBytes).toBe(0);
    expect(proxy.traffic.requests).toEqual({ HEAD: 2 });
    expect(sha(readFileSync(join(pod2, "m/1/weights.bin")))).toBe(sha(files.weights));
    expect(sha(readFileSync(join(pod2, "m/1/vocab.txt")))).toBe(sha(files.vocab));
    expect(readdirSync(join(pod2, "m/1")).sort()).toEqual(["vocab.txt", "weights.bin"]);
  });

  it("a corrupted cache entry is detected by its hash, removed and fetched again (only that file)", async () => {
    const cache = await preparedCache();
    const blobs = [blob(files.weights, "m/1/weights.bin"), blob(files.vocab, "m/1/vocab.txt")];
    expect((await fetchModel(fetchArgs(dir("aksml-pod1-"), cache, blobs))).code).toBe(0);
    // Same size, one byte flipped: only the hash can tell.
    const bad = Buffer.from(files.weights);
    bad[1000] ^= 0xff;
    writeFileSync(entry(cache, files.weights), bad);

    proxy.reset();
    const pod2 = dir("aksml-pod2-");
    const again = await fetchModel(fetchArgs(pod2, cache, blobs));
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("corrupted cache entry removed, fetching again");
    expect(again.ready).toMatchObject({ downloadedBytes: files.weights.length, cacheHits: 1 });
    expect(proxy.traffic.getBodyBytes).toBe(files.weights.length);
    expect(sha(readFileSync(join(pod2, "m/1/weights.bin")))).toBe(sha(files.weights));
    expect(sha(readFileSync(entry(cache, files.weights)))).toBe(sha(files.weights));
  });

  it("a cache entry that is a symbolic link is not followed", async () => {
    const cache = await preparedCache();
    const elsewhere = join(dir("aksml-elsewhere-"), "secret");
    writeFileSync(elsewhere, files.vocab);
    symlinkSync(elsewhere, entry(cache, files.vocab));
    const res = await fetchModel(fetchArgs(dir("aksml-pod-"), cache, [blob(files.vocab, "m/1/vocab.txt")]));
    expect(res.code).toBe(0);
    expect(res.ready).toMatchObject({ downloadedBytes: files.vocab.length, cacheHits: 0 });
  });

  it("is bounded: the least recently used entries are evicted, entries this pod needs are kept, a file larger than the bound is not cached", async () => {
    const cache = await preparedCache();
    const bound = files.weights.length + files.head.length + 1024;
    const args = (dest: string, blobs: BlobToFetch[]) => fetchArgs(dest, cache, blobs, { cacheMaxBytes: bound });
    expect((await fetchModel(args(dir("aksml-pod-"), [blob(files.weights, "a/1/w")]))).code).toBe(0);
    expect((await fetchModel(args(dir("aksml-pod-"), [blob(files.head, "b/1/h")]))).code).toBe(0);
    // weights used an hour ago, head a minute ago: weights is the least recently used.
    const ago = (s: number) => new Date(Date.now() - s * 1000);
    utimesSync(entry(cache, files.weights), ago(3600), ago(3600));
    utimesSync(entry(cache, files.head), ago(60), ago(60));

    expect((await fetchModel(args(dir("aksml-pod-"), [blob(files.other, "c/1/o")]))).code).toBe(0);
    expect(readdirSync(join(cache, "sha256")).sort()).toEqual([sha(files.head), sha(files.other)].sort());

    // A pod needing head (cached) and weights (evicted): the room weights needs is made by
    // evicting other, never head, which this pod uses too (whichever of its files comes first).
    const pod = dir("aksml-pod-");
    const res = await fetchModel(args(pod, [blob(files.head, "b/1/h"), blob(files.weights, "a/1/w")]));
    expect(res.code).toBe(0);
    expect(res.ready).toMatchObject({ cacheHits: 1, downloadedBytes: files.weights.length });
    expect(sha(readFileSync(join(pod, "a/1/w")))).toBe(sha(files.weights));
    expect(readdirSync(join(cache, "sha256")).sort()).toEqual([sha(files.head), sha(files.weights)].sort());

    // No room left once this pod's own files are kept: fetched, not cached, nothing evicted.
    const crowded = await fetchModel(
      args(dir("aksml-pod-"), [blob(files.head, "b/1/h"), blob(files.weights, "a/1/w"), blob(files.other, "c/1/o")]),
    );
    expect(crowded.ready).toMatchObject({ cacheHits: 2, downloadedBytes: files.other.length });
    expect(readdirSync(join(cache, "sha256")).sort()).toEqual([sha(files.head), sha(files.weights)].sort());

    const tiny = await fetchModel(
      fetchArgs(dir("aksml-pod-"), cache, [blob(files.huge, "h/1/h")], { cacheMaxBytes: 1024 * 1024 }),
    );
    expect(tiny.code).toBe(0);
    expect(existsSync(entry(cache, files.huge))).toBe(false);
  });

  it("two pods starting together on one node download a file once: the second waits for the first's lock", async () => {
    const cache = await preparedCache();
    const blobs = [blob(files.weights, "m/1/weights.bin")];
    const from = { out: io.out.length, err: io.err.length };
    const codes = await Promise.all([
      run(fetchArgs(dir("aksml-podA-"), cache, blobs)),
      run(fetchArgs(dir("aksml-podB-"), cache, blobs)),
    ]);
    expect(codes).toEqual([0, 0]);
    expect(proxy.traffic.getBodyBytes).toBe(files.weights.length);
    const ready = readyLines(io.out.slice(from.out));
    expect(ready.map((r) => r.downloadedBytes).sort((x, y) => x - y)).toEqual([0, files.weights.length]);
    expect(io.err.slice(from.err)).toContain("another pod on this node is downloading it, waiting");
    expect(readdirSync(join(cache, "sha256"))).toEqual([sha(files.weights)]);
  });

  it("a pod waiting for a live lock uses what its holder adds, and a stale lock (its pod died) is broken", async () => {
    const cache = await preparedCache();
    const other = new NodeCache({ dir: cache, maxBytes: 1e9 });
    const lock = await other.tryLock(sha(files.head));
    expect(lock).toBeDefined();
    const from = io.err.length;
    const waiting = fetchModel(fetchArgs(dir("aksml-pod-"), cache, [blob(files.head, "m/1/head.bin")]));
    // The "other pod" finishes its download while this one waits.
    const deadline = Date.now() + 10_000;
    while (!io.err.slice(from).includes("waiting") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(io.err.slice(from)).toContain("another pod on this node is downloading it, waiting");
    const w = await other.writer(sha(files.head), files.head.length);
    await w!.write(files.head);
    await w!.commit();
    await lock!.release();
    const res = await waiting;
    expect(res.code).toBe(0);
    expect(res.ready).toMatchObject({ cacheHits: 1, downloadedBytes: 0 });
    expect(proxy.traffic.getBodyBytes).toBe(0);

    // A lock last refreshed two minutes ago: its holder is gone.
    const lockPath = `${entry(cache, files.vocab)}.lock`;
    writeFileSync(lockPath, "12345\n");
    utimesSync(lockPath, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    const stale = await fetchModel(fetchArgs(dir("aksml-pod-"), cache, [blob(files.vocab, "m/1/vocab.txt")]));
    expect(stale.code).toBe(0);
    expect(stale.ready).toMatchObject({ downloadedBytes: files.vocab.length });
    expect(existsSync(lockPath)).toBe(false);
  });

  it("never changes the outcome: a pod whose identity may not read the blob fails even though the node holds it", async () => {
    const cache = await preparedCache();
    const blobs = [blob(files.vocab, "m/1/vocab.txt")];
    expect((await fetchModel(fetchArgs(dir("aksml-pod-"), cache, blobs))).code).toBe(0);
    const wrongKey = Buffer.alloc(64, 9).toString("base64");
    process.env[CONNECTION_STRING_ENV] = proxy.connectionString.replace(DEV_ACCOUNT_KEY, wrongKey);
    try {
      const pod = dir("aksml-pod-");
      const denied = await fetchModel(fetchArgs(pod, cache, blobs));
      expect(denied.code).toBe(1);
      expect(denied.stderr).toContain("the pod's identity may not read it (403");
      expect(existsSync(join(pod, "m/1/vocab.txt"))).toBe(false);
    } finally {
      process.env[CONNECTION_STRING_ENV] = proxy.connectionString;
    }
  });

  it("without a prepared cache folder the pod still gets its files (downloaded) and the log says why", async () => {
    const res = await fetchModel(fetchArgs(dir("aksml-pod-"), dir("aksml-unprepared-"), [blob(files.vocab, "m/v")]));
    expect(res.code).toBe(0);
    expect(res.stderr).toContain("node cache unusable, downloading");
    expect(res.ready).toMatchObject({ downloadedBytes: files.vocab.length });
  });
});

describe("models by reference (--blob-url)", () => {
  const url = () => `${proxy.blobEndpoint}/shared/resnet/v2/model.onnx`;

  it("fetches a blob of any container by URL, verified against the declared SHA-256, through the cache", async () => {
    const cache = await preparedCache();
    const urls = [{ url: url(), sha256: sha(files.referenced), path: "resnet/2/model.onnx" }];
    const pod1 = dir("aksml-pod-");
    const first = await fetchModel(fetchArgs(pod1, cache, [], { urls }));
    expect(first.code).toBe(0);
    expect(sha(readFileSync(join(pod1, "resnet/2/model.onnx")))).toBe(sha(files.referenced));
    proxy.reset();
    const second = await fetchModel(fetchArgs(dir("aksml-pod-"), cache, [], { urls }));
    expect(second.ready).toMatchObject({ cacheHits: 1, downloadedBytes: 0 });
    expect(proxy.traffic.getBodyBytes).toBe(0);
  });

  it("the same content uploaded by one service and referenced by another shares one cache entry", async () => {
    const cache = await preparedCache();
    await container.getBlockBlobClient(`default/other/${sha(files.referenced)}`).uploadData(files.referenced);
    const uploaded = { blob: `default/other/${sha(files.referenced)}`, path: "r/1/model.onnx" };
    expect((await fetchModel(fetchArgs(dir("aksml-pod-"), cache, [uploaded]))).code).toBe(0);
    proxy.reset();
    const urls = [{ url: url(), sha256: sha(files.referenced), path: "resnet/2/model.onnx" }];
    expect((await fetchModel(fetchArgs(dir("aksml-pod-"), cache, [], { urls }))).ready).toMatchObject({
      cacheHits: 1,
      downloadedBytes: 0,
    });
  });

  it("content that is not what the reference declares (the blob was overwritten) fails and leaves nothing, in the cache neither", async () => {
    const cache = await preparedCache();
    const declared = sha("the model the program was written for");
    const pod = dir("aksml-pod-");
    const res = await fetchModel(
      fetchArgs(pod, cache, [], { urls: [{ url: url(), sha256: declared, path: "resnet/2/model.onnx" }] }),
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `blob ${url()} is corrupted: its content has SHA-256 ${sha(files.referenced)}, the model reference declares ${declared}`,
    );
    expect(existsSync(join(pod, "resnet/2/model.onnx"))).toBe(false);
    expect(readdirSync(join(cache, "sha256"))).toEqual([]);
  });

  it("a reference to a blob that does not exist says so", async () => {
    const missing = `${proxy.blobEndpoint}/shared/resnet/v3/model.onnx`;
    const res = await fetchModel(
      fetchArgs(dir("aksml-pod-"), undefined, [], { urls: [{ url: missing, sha256: sha("x"), path: "r/3/m" }] }),
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`blob ${missing} does not exist; fix the model's blobUri or upload the blob`);
  });
});
