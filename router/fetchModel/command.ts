/**
 * `fetch-model`: the init container of every model pod. Downloads the service's model
 * blobs into the folder `AZUREML_MODEL_DIR` points at, verifying each one's content
 * hash. Exit code 0 on success, 1 when a blob is missing or corrupted (or storage is
 * unreachable), 2 on a usage error. The argument format is in `../contract/fetchModelArgs.ts`.
 */
import { DefaultAzureCredential, WorkloadIdentityCredential, type TokenCredential } from "@azure/identity";
import { BlobServiceClient } from "@azure/storage-blob";
import { CONNECTION_STRING_ENV, parseFetchModelArgs, type FetchModelArgs } from "../contract/fetchModelArgs.js";
import { fetchBlobs } from "./download.js";

export const USAGE =
  "usage: fetch-model --account-url <url> --container <name> --dest <dir> --blob <blob name>=<relative path> [--blob ...]";

/** Runs the command; never throws, returns the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseFetchModelArgs(argv);
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`fetch-model: ${e}\n`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const args = parsed.args;
  let service: BlobServiceClient;
  try {
    service = serviceClient(args);
  } catch (e) {
    process.stderr.write(`fetch-model: ${(e as Error).message}\n`);
    return 2;
  }
  const started = Date.now();
  try {
    const results = await fetchBlobs(service.getContainerClient(args.container), args.dest, args.blobs);
    const bytes = results.reduce((n, r) => n + r.bytes, 0);
    process.stdout.write(
      `${JSON.stringify({ msg: "fetch-model: models ready", files: results.length, bytes, dest: args.dest, ms: Date.now() - started })}\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`fetch-model: ${(e as Error).message}\n`);
    return 1;
  }
}

function serviceClient(args: FetchModelArgs): BlobServiceClient {
  const connectionString = process.env[CONNECTION_STRING_ENV];
  if (connectionString) return BlobServiceClient.fromConnectionString(connectionString);
  if (!args.accountUrl) throw new Error(`--account-url is required unless ${CONNECTION_STRING_ENV} is set`);
  return new BlobServiceClient(args.accountUrl, credential());
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
