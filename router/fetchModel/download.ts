/**
 * Downloads content-addressed model blobs into a folder, verifying each one's
 * SHA-256 against the hash in its name before it becomes visible under its final path.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { RestError, type ContainerClient } from "@azure/storage-blob";
import { expectedHashOf, type BlobToFetch } from "../contract/fetchModelArgs.js";

/** A blob that could not be fetched: missing, unreadable, or not what its name promises. */
export class FetchModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FetchModelError";
  }
}

export interface FetchResult {
  path: string;
  bytes: number;
}

/** Downloads every blob (eight at a time); rejects with all failures named. */
export async function fetchBlobs(
  container: ContainerClient,
  dest: string,
  blobs: readonly BlobToFetch[],
  parallelism = 8,
): Promise<FetchResult[]> {
  const results: FetchResult[] = [];
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < blobs.length) {
      const item = blobs[next++];
      try {
        results.push(await fetchOne(container, dest, item));
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, blobs.length) }, worker));
  if (failures.length) throw new FetchModelError(failures.join("\n"));
  return results;
}

async function fetchOne(container: ContainerClient, dest: string, item: BlobToFetch): Promise<FetchResult> {
  const expected = expectedHashOf(item.blob);
  if (!expected) throw new FetchModelError(`blob ${item.blob}: name carries no SHA-256`);
  const target = join(dest, item.path);
  const partial = `${target}.partial`;
  await mkdir(dirname(target), { recursive: true });
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const response = await container.getBlobClient(item.blob).download();
    const body = response.readableStreamBody;
    if (!body) throw new FetchModelError(`blob ${item.blob}: the service returned no body`);
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(body, hashing, createWriteStream(partial));
  } catch (e) {
    await rm(partial, { force: true });
    if (e instanceof RestError && e.statusCode === 404) {
      throw new FetchModelError(
        `blob ${item.blob} is missing from container ${container.containerName} (${container.url}); redeploy the service so the model is uploaded again`,
      );
    }
    if (e instanceof FetchModelError) throw e;
    throw new FetchModelError(`blob ${item.blob}: download failed: ${(e as Error).message}`);
  }
  const actual = hash.digest("hex");
  if (actual !== expected) {
    await rm(partial, { force: true });
    throw new FetchModelError(
      `blob ${item.blob} is corrupted: its content has SHA-256 ${actual}, its name promises ${expected}`,
    );
  }
  await rename(partial, target);
  return { path: item.path, bytes };
}
