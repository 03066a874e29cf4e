/**
 * Cold start with and without the node model cache: fetch-model (in-process, the code
 * the init container runs) fetching one model file of BENCH_MB (100) MiB from Azurite
 * on loopback, behind the counting relay the tests use, BENCH_ROUNDS (5) times each:
 *
 * - no cache: what every pod did before (download, hash, write);
 * - cold: the first pod on a node (download, hash, write the pod's copy and the cache entry);
 * - warm: a later pod on that node (one HEAD, then copy the entry while hashing it).
 *
 * Loopback Azurite serves far faster than Azure storage does to a pod (one blob, one
 * stream), so "no cache" and "cold" are lower bounds; "warm" does not touch the network.
 *
 *   npm run bench:fetch-model        # = node --import tsx bench/fetchModel/cache.ts
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { run } from "../../router/fetchModel/command.js";
import { CONNECTION_STRING_ENV, formatFetchModelArgs } from "../../router/contract/fetchModelArgs.js";
import { startAzurite, startCountingProxy } from "../../test/router/fetchModelAzurite.js";

const MB = Number(process.env.BENCH_MB ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const azurite = await startAzurite();
const proxy = await startCountingProxy(azurite);
const data = randomBytes(MB * 1024 * 1024);
const sha = createHash("sha256").update(data).digest("hex");
const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("models");
await container.create();
await container.getBlockBlobClient(`default/bench/${sha}`).uploadData(data, { blockSize: 8 * 1024 * 1024 });
process.env[CONNECTION_STRING_ENV] = proxy.connectionString;

const quiet = <T>(f: () => Promise<T>): Promise<T> => {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  return f().finally(() => {
    process.stdout.write = write;
  });
};

async function fetchOnce(cacheDir: string | undefined): Promise<{ ms: number; servedBytes: number }> {
  const dest = mkdtempSync(join(tmpdir(), "aksml-bench-pod-"));
  proxy.reset();
  const argv = formatFetchModelArgs({
    container: "models",
    dest,
    blobs: [{ blob: `default/bench/${sha}`, path: "bench/1/model.bin" }],
    cacheDir,
  });
  const started = process.hrtime.bigint();
  const code = await quiet(() => run(argv));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  rmSync(dest, { recursive: true, force: true });
  if (code !== 0) throw new Error(`fetch-model exited ${code}`);
  return { ms, servedBytes: proxy.traffic.getBodyBytes };
}

const rows: Record<string, { ms: number; servedBytes: number }[]> = { "no cache": [], cold: [], warm: [] };
for (let i = 0; i < ROUNDS; i++) {
  rows["no cache"].push(await fetchOnce(undefined));
  const cache = mkdtempSync(join(tmpdir(), "aksml-bench-cache-"));
  await quiet(() => run(["--prepare-cache", cache]));
  rows.cold.push(await fetchOnce(cache));
  rows.warm.push(await fetchOnce(cache));
  rmSync(cache, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`fetch-model, one ${MB} MiB file, Azurite on loopback, ${ROUNDS} rounds (median)\n`);
console.log("| fetch | time (ms) | bytes served by storage |");
console.log("|---|---:|---:|");
for (const [name, r] of Object.entries(rows))
  console.log(`| ${name} | ${median(r.map((x) => x.ms)).toFixed(0)} | ${median(r.map((x) => x.servedBytes))} |`);

await proxy.stop();
await azurite.stop();
