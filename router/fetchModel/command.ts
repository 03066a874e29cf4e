/**
 * `fetch-model`: the init container of every model pod. Downloads the service's model
 * files into the folder `AZUREML_MODEL_DIR` points at, verifying each one's content
 * hash, through the node's model cache when one is given. Exit code 0 on success, 1
 * when a blob is missing or corrupted (or storage is unreachable), 2 on a usage error.
 * The argument format is in `../contract/fetchModelArgs.ts`.
 */
import { DefaultAzureCredential, WorkloadIdentityCredential, type TokenCredential } from "@azure/identity";
import { BlobClient, BlobServiceClient, type StorageSharedKeyCredential } from "@azure/storage-blob";
import {
  CONNECTION_STRING_ENV,
  expectedHashOf,
  isAzureBlobHost,
  parseFetchModelArgs,
  parsePrepareCacheArgs,
  type FetchModelArgs,
} from "../contract/fetchModelArgs.js";
import { fetchFiles, type FileToFetch } from "./download.js";
import { NodeCache, prepareCache } from "./nodeCache.js";

export const USAGE =
  "usage: fetch-model [--account-url <url>] [--container <name>] --dest <dir> [--blob <blob name>=<relative path> ...] " +
  "[--blob-url <url>#sha256=<hex>=<relative path> ...] [--cache-dir <dir> [--cache-max-bytes <n>]]\n" +
  "       fetch-model --prepare-cache <dir>";

/** Runs the command; never throws, returns the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parsePrepareCacheArgs(argv) ?? parseFetchModelArgs(argv);
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`fetch-model: ${e}\n`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if ("cacheDir" in parsed) {
    try {
      const dir = await prepareCache(parsed.cacheDir);
      process.stdout.write(`${JSON.stringify({ msg: "fetch-model: node cache ready", dir })}\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`fetch-model: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const args = parsed.args;
  let files: FileToFetch[];
  try {
    files = filesToFetch(args);
  } catch (e) {
    process.stderr.write(`fetch-model: ${(e as Error).message}\n`);
    return 2;
  }
  const started = Date.now();
  try {
    let cache: NodeCache | undefined;
    if (args.cacheDir !== undefined) {
      cache = new NodeCache({ dir: args.cacheDir, maxBytes: args.cacheMaxBytes! });
      // Without its cache the pod still starts, only slower: say so and download.
      const why = await cache.unusable();
      if (why) {
        process.stderr.write(
          `${JSON.stringify({ msg: "fetch-model: node cache unusable, downloading", error: why })}\n`,
        );
        cache = undefined;
      }
    }
    const results = await fetchFiles(args.dest, files, { cache });
    const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + f(r), 0);
    process.stdout.write(
      `${JSON.stringify({
        msg: "fetch-model: models ready",
        files: results.length,
        bytes: sum((r) => r.bytes),
        downloadedBytes: sum((r) => r.downloadedBytes),
        cacheHits: sum((r) => (r.cached ? 1 : 0)),
        dest: args.dest,
        ms: Date.now() - started,
      })}\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`fetch-model: ${(e as Error).message}\n`);
    return 1;
  }
}

/** The blob client of every file: container blobs by name, models by reference by URL, all with one credential. */
function filesToFetch(args: FetchModelArgs): FileToFetch[] {
  const connectionString = process.env[CONNECTION_STRING_ENV];
  let service: BlobServiceClient | undefined;
  let urlCredential: TokenCredential | StorageSharedKeyCredential;
  if (connectionString) {
    service = BlobServiceClient.fromConnectionString(connectionString);
    urlCredential = service.credential as StorageSharedKeyCredential;
  } else {
    urlCredential = credential();
    if (args.accountUrl) service = new BlobServiceClient(args.accountUrl, urlCredential);
  }
  const files: FileToFetch[] = [];
  if (args.blobs.length) {
    if (!service) throw new Error(`--account-url is required unless ${CONNECTION_STRING_ENV} is set`);
    const container = service.getContainerClient(args.container!);
    for (const b of args.blobs)
      files.push({
        client: container.getBlobClient(b.blob),
        sha256: expectedHashOf(b.blob)!,
        path: b.path,
        label: b.blob,
        reference: false,
      });
  }
  for (const u of args.urls ?? []) {
    // The identity's token goes wherever the URL points: only to Azure Storage.
    if (!connectionString && !isAzureBlobHost(new URL(u.url).hostname))
      throw new Error(`--blob-url ${u.url}: not an Azure Storage blob endpoint; the pod's token is sent only there`);
    files.push({
      client: new BlobClient(u.url, urlCredential),
      sha256: u.sha256,
      path: u.path,
      label: u.url,
      reference: true,
    });
  }
  return files;
}

/**
 * In a model pod the workload identity webhook injects AZURE_CLIENT_ID, AZURE_TENANT_ID
 * and AZURE_FEDERATED_TOKEN_FILE: use that identity directly, with no fallback that could
 * pick up some other identity. Elsewhere (a developer machine) the default chain applies.
 */
export function credential(env: NodeJS.ProcessEnv = process.env): TokenCredential {
  if (env.AZURE_FEDERATED_TOKEN_FILE) return new WorkloadIdentityCredential();
  return new DefaultAzureCredential();
}
