/**
 * Downloads content-addressed model files into a folder, verifying each one's SHA-256
 * before it becomes visible under its final path; with a node cache, a file already
 * fetched on the node is copied from there (verified the same way) instead.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RestError, type BlobClient } from "@azure/storage-blob";
import type { CacheWriter, NodeCache } from "./nodeCache.js";

/** A blob that could not be fetched: missing, unreadable, or not what its name promises. */
export class FetchModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FetchModelError";
  }
}

/** One file to fetch: where it is, what its content hashes to, where it goes. */
export interface FileToFetch {
  client: BlobClient;
  sha256: string;
  /** Relative to the destination folder. */
  path: string;
  /** How messages name it: the blob name, or the URL of a model by reference. */
  label: string;
  /** A model by reference (its hash is declared, not part of its name). */
  reference: boolean;
}

export interface FetchResult {
  path: string;
  /** Bytes written to the destination. */
  bytes: number;
  /** Bytes downloaded from storage (0 for a cache hit). */
  downloadedBytes: number;
  /** Came from the node cache. */
  cached: boolean;
  /** The cache held a corrupted copy, which was replaced. */
  repairedCacheEntry?: boolean;
}

export interface FetchOptions {
  /** @default 8 */
  parallelism?: number;
  cache?: NodeCache;
}

/** Fetches every file (eight at a time); rejects with all failures named. */
export async function fetchFiles(
  dest: string,
  files: readonly FileToFetch[],
  options: FetchOptions = {},
): Promise<FetchResult[]> {
  const results: FetchResult[] = [];
  const failures: string[] = [];
  options.cache?.protect(files.map((f) => f.sha256));
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const item = files[next++];
      try {
        results.push(await fetchOne(dest, item, options.cache));
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallelism ?? 8, files.length) }, worker));
  if (failures.length) throw new FetchModelError(failures.join("\n"));
  return results;
}

async function fetchOne(dest: string, item: FileToFetch, cache: NodeCache | undefined): Promise<FetchResult> {
  const target = join(dest, item.path);
  const partial = `${target}.partial`;
  await mkdir(dirname(target), { recursive: true });
  try {
    const result = cache ? await throughCache(item, partial, cache) : await download(item, partial, undefined);
    await rename(partial, target);
    return { path: item.path, ...result };
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}

type Fetched = Omit<FetchResult, "path">;

/** The cache saves downloads; when it is unusable (a full or read-only disk), the file is downloaded. */
async function throughCache(item: FileToFetch, partial: string, cache: NodeCache): Promise<Fetched> {
  try {
    return await viaCache(item, partial, cache);
  } catch (e) {
    if (e instanceof FetchModelError) throw e;
    log({ msg: "fetch-model: node cache unusable, downloading", path: item.path, error: (e as Error).message });
    return download(item, partial, undefined);
  }
}

async function viaCache(item: FileToFetch, partial: string, cache: NodeCache): Promise<Fetched> {
  // An entry that was corrupted (its removal may have failed) or could not be read is
  // not read again for this file: the download replaces it. So the loop ends.
  let readable = true;
  let repaired = false;
  for (;;) {
    if (readable && (await cache.has(item.sha256))) {
      // The cache never changes the outcome, only the bytes moved: a pod that may not read
      // the blob (or whose blob is gone) fails as it would without the cache.
      await authorize(item);
      const out = await cache.copyOut(item.sha256, partial);
      if (out.kind === "hit") return { bytes: out.bytes, downloadedBytes: 0, cached: true };
      readable = false;
      if (out.kind === "corrupt") {
        log({
          msg: "fetch-model: corrupted cache entry removed, fetching again",
          sha256: item.sha256,
          actual: out.actual,
          path: item.path,
        });
        repaired = true;
      }
    }
    const lock = await cache.tryLock(item.sha256);
    if (!lock) {
      log({
        msg: "fetch-model: another pod on this node is downloading it, waiting",
        sha256: item.sha256,
        path: item.path,
      });
      await cache.waitForUnlock(item.sha256);
      continue;
    }
    try {
      // Another pod may have added it between the look above and the lock.
      if (readable && (await cache.has(item.sha256))) continue;
      const got = await download(item, partial, cache);
      return repaired ? { ...got, repairedCacheEntry: true } : got;
    } finally {
      await lock.release();
    }
  }
}

const log = (fields: Record<string, unknown>) => process.stderr.write(`${JSON.stringify(fields)}\n`);

/** HEAD: proves the pod's identity may read the blob and that it still exists. */
async function authorize(item: FileToFetch): Promise<void> {
  try {
    await item.client.getProperties();
  } catch (e) {
    throw describeStorageError(item, e);
  }
}

/** Streams the blob to `partial` (and into the cache when it admits the file), verifying the hash. */
async function download(item: FileToFetch, partial: string, cache: NodeCache | undefined): Promise<Fetched> {
  const hash = createHash("sha256");
  let bytes = 0;
  let cacheWriter: CacheWriter | undefined;
  try {
    const response = await item.client.download();
    const body = response.readableStreamBody;
    if (!body) throw new FetchModelError(`blob ${item.label}: the service returned no body`);
    if (cache && response.contentLength !== undefined)
      cacheWriter = await cache.writer(item.sha256, response.contentLength);
    const writer = cacheWriter;
    // The cache's copy of chunk N is written while the pod's copy of chunk N is: one
    // cache write in flight at a time keeps the order and the backpressure.
    let cacheWrite: Promise<void> = Promise.resolve();
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        if (!writer) return cb(null, chunk);
        cacheWrite.then(() => {
          cacheWrite = writer.write(chunk);
          cb(null, chunk);
        }, cb);
      },
    });
    await pipeline(body, hashing, createWriteStream(partial));
    await cacheWrite;
  } catch (e) {
    await cacheWriter?.abort();
    throw describeStorageError(item, e);
  }
  const actual = hash.digest("hex");
  if (actual !== item.sha256) {
    await cacheWriter?.abort();
    throw new FetchModelError(
      `blob ${item.label} is corrupted: its content has SHA-256 ${actual}, ${item.reference ? "the model reference declares" : "its name promises"} ${item.sha256}`,
    );
  }
  await cacheWriter?.commit();
  return { bytes, downloadedBytes: bytes, cached: false };
}

function describeStorageError(item: FileToFetch, e: unknown): FetchModelError {
  if (e instanceof FetchModelError) return e;
  if (e instanceof RestError && e.statusCode === 404) {
    return new FetchModelError(
      item.reference
        ? `blob ${item.label} does not exist; fix the model's blobUri or upload the blob`
        : `blob ${item.label} is missing from container ${item.client.containerName} (${item.client.url}); redeploy the service so the model is uploaded again`,
    );
  }
  if (e instanceof RestError && e.statusCode === 403) {
    return new FetchModelError(
      `blob ${item.label}: the pod's identity may not read it (403 ${e.code ?? ""}); grant the service's identity (ModelWebservice identityClientId) "Storage Blob Data Reader" on its storage account or container`,
    );
  }
  return new FetchModelError(`blob ${item.label}: download failed: ${(e as Error).message}`);
}
