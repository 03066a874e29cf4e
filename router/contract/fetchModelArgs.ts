/**
 * The `fetch-model` command line, part of the router contract: one module both sides
 * use, so the init container ModelWebservice writes (`formatFetchModelArgs`) and the
 * parser the router image runs (`parseFetchModelArgs`, in `router/fetchModel/`) cannot
 * drift apart. No dependencies, like the rest of `router/contract/`.
 *
 *   fetch-model --account-url <blob endpoint> --container <name> --dest <dir>
 *               --blob <blob name>=<relative path> [--blob ...]
 *
 * Every blob name ends in the 64 hex digits of the SHA-256 of its content; the
 * download is checked against it. Credentials never appear on the command line:
 * workload identity (DefaultAzureCredential) by default, or the connection string in
 * `AKSML_STORAGE_CONNECTION_STRING` (Azurite, local runs).
 */

/** Environment variable holding a storage connection string (local runs and tests only). */
export const CONNECTION_STRING_ENV = "AKSML_STORAGE_CONNECTION_STRING";

export interface BlobToFetch {
  /** Blob name in the container; ends with the SHA-256 hex of its content. */
  blob: string;
  /** Where to write it, relative to `dest`. */
  path: string;
}

export interface FetchModelArgs {
  /** Blob service endpoint, e.g. `https://acct.blob.core.windows.net/`. */
  accountUrl?: string;
  container: string;
  dest: string;
  blobs: BlobToFetch[];
}

const HASH_AT_END = /([0-9a-f]{64})$/;

/** The SHA-256 (hex) a content-addressed blob name promises, or undefined if it has none. */
export function expectedHashOf(blobName: string): string | undefined {
  return HASH_AT_END.exec(blobName)?.[1];
}

/** Builds the argument list (without the `fetch-model` subcommand itself). */
export function formatFetchModelArgs(args: FetchModelArgs): string[] {
  const out: string[] = [];
  if (args.accountUrl !== undefined) out.push("--account-url", args.accountUrl);
  out.push("--container", args.container, "--dest", args.dest);
  for (const b of args.blobs) out.push("--blob", `${b.blob}=${b.path}`);
  return out;
}

export type ParsedArgs = { ok: true; args: FetchModelArgs } | { ok: false; errors: string[] };

/** Parses the argument list; a leading `fetch-model` is ignored. Collects every problem. */
export function parseFetchModelArgs(argv: readonly string[]): ParsedArgs {
  const list = argv[0] === "fetch-model" ? argv.slice(1) : [...argv];
  const errors: string[] = [];
  let accountUrl: string | undefined;
  let container: string | undefined;
  let dest: string | undefined;
  const blobs: BlobToFetch[] = [];
  for (let i = 0; i < list.length; i++) {
    const flag = list[i];
    const value = list[i + 1];
    if (!["--account-url", "--container", "--dest", "--blob"].includes(flag)) {
      errors.push(`unknown argument ${JSON.stringify(flag)}; expected --account-url, --container, --dest or --blob`);
      continue;
    }
    if (value === undefined || value.startsWith("--")) {
      errors.push(`${flag} needs a value`);
      continue;
    }
    i++;
    if (flag === "--account-url") accountUrl = value;
    else if (flag === "--container") container = value;
    else if (flag === "--dest") dest = value;
    else {
      const eq = value.indexOf("=");
      const blob = eq > 0 ? value.slice(0, eq) : "";
      const path = eq > 0 ? value.slice(eq + 1) : "";
      if (!blob || !path) errors.push(`--blob ${JSON.stringify(value)} must be <blob name>=<relative path>`);
      else if (!expectedHashOf(blob))
        errors.push(`--blob ${JSON.stringify(blob)}: the blob name must end with the 64-hex SHA-256 of its content`);
      else if (!isSafeRelativePath(path))
        errors.push(
          `--blob ${JSON.stringify(value)}: the path must be relative and stay inside --dest (no "..", no leading "/")`,
        );
      else blobs.push({ blob, path });
    }
  }
  if (!container) errors.push("--container is required");
  if (!dest) errors.push("--dest is required");
  if (blobs.length === 0) errors.push("at least one --blob is required");
  if (accountUrl !== undefined && !/^https?:\/\//.test(accountUrl))
    errors.push(`--account-url must be an http(s) URL, got ${JSON.stringify(accountUrl)}`);
  if (errors.length) return { ok: false, errors };
  return { ok: true, args: { accountUrl, container: container!, dest: dest!, blobs } };
}

function isSafeRelativePath(path: string): boolean {
  if (path.startsWith("/") || path.includes("\\")) return false;
  return path.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}
