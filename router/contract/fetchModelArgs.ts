/**
 * The `fetch-model` command line, part of the router contract: one module both sides
 * use, so the init container ModelWebservice writes (`formatFetchModelArgs`) and the
 * parser the router image runs (`parseFetchModelArgs`, in `router/fetchModel/`) cannot
 * drift apart. No dependencies, like the rest of `router/contract/`.
 *
 *   fetch-model --account-url <blob endpoint> --container <name> --dest <dir>
 *               [--blob <blob name>=<relative path> ...]
 *               [--blob-url <blob URL>#sha256=<hex>=<relative path> ...]
 *               [--cache-dir <dir> [--cache-max-bytes <n>]]
 *   fetch-model --prepare-cache <dir>
 *
 * Every file is named by the SHA-256 of its content and the download is checked
 * against it: a `--blob` name ends in the 64 hex digits, a `--blob-url` (a model given
 * by reference, in any container or account) carries them in its fragment, as pip
 * does. With `--cache-dir` (a folder shared by the pods of one node) a file already
 * fetched on the node is copied from there, verified again, instead of downloaded.
 * `--prepare-cache` makes that folder writable for the fetch-model user (it runs as
 * root in a container of its own, with no capabilities). Credentials never appear on
 * the command line: workload identity by default, or the connection string in
 * `AKSML_STORAGE_CONNECTION_STRING` (Azurite, local runs).
 */

/** Environment variable holding a storage connection string (local runs and tests only). */
export const CONNECTION_STRING_ENV = "AKSML_STORAGE_CONNECTION_STRING";

/** Default bound of the node cache when `--cache-dir` is given without `--cache-max-bytes`: 20 GiB. */
export const DEFAULT_CACHE_MAX_BYTES = 20 * 1024 ** 3;

export interface BlobToFetch {
  /** Blob name in the container; ends with the SHA-256 hex of its content. */
  blob: string;
  /** Where to write it, relative to `dest`. */
  path: string;
}

/** A blob given by its URL (a model by reference), with the SHA-256 its content must have. */
export interface BlobUrlToFetch {
  /** `https://<account>.blob.core.windows.net/<container>/<blob>`: no query (no SAS), no fragment. */
  url: string;
  /** SHA-256 (64 lowercase hex digits) of the content. */
  sha256: string;
  /** Where to write it, relative to `dest`. */
  path: string;
}

export interface FetchModelArgs {
  /** Blob service endpoint, e.g. `https://acct.blob.core.windows.net/`. */
  accountUrl?: string;
  /** Container of the `blobs`; required when there are any. */
  container?: string;
  dest: string;
  blobs: BlobToFetch[];
  /** Models by reference. Omitted from the parse result when there are none. */
  urls?: BlobUrlToFetch[];
  /** The node cache folder; no cache when absent. */
  cacheDir?: string;
  /** Bound of the node cache in bytes (least recently used files are evicted). */
  cacheMaxBytes?: number;
}

/**
 * Azure Storage blob endpoints (public, China and US Government clouds, and the DNS-zone
 * endpoints of accounts created with them). The pod's bearer token goes to the URL's
 * host, so a model by reference must live on one of these, never on an arbitrary host.
 */
const AZURE_BLOB_HOST =
  /^[a-z0-9]{3,24}(-secondary)?\.(blob\.core\.windows\.net|blob\.core\.chinacloudapi\.cn|blob\.core\.usgovcloudapi\.net|z[0-9]{1,3}\.blob\.storage\.azure\.net)$/;

/** Whether `host` is an Azure Storage blob endpoint. */
export const isAzureBlobHost = (host: string): boolean => AZURE_BLOB_HOST.test(host.toLowerCase());

const HASH_AT_END = /([0-9a-f]{64})$/;
const SHA256_FRAGMENT = /^sha256=([0-9a-f]{64})=(.*)$/s;

/** The SHA-256 (hex) a content-addressed blob name promises, or undefined if it has none. */
export function expectedHashOf(blobName: string): string | undefined {
  return HASH_AT_END.exec(blobName)?.[1];
}

/** Builds the argument list (without the `fetch-model` subcommand itself). */
export function formatFetchModelArgs(args: FetchModelArgs): string[] {
  const out: string[] = [];
  if (args.accountUrl !== undefined) out.push("--account-url", args.accountUrl);
  if (args.container !== undefined) out.push("--container", args.container);
  out.push("--dest", args.dest);
  for (const b of args.blobs) out.push("--blob", `${b.blob}=${b.path}`);
  for (const u of args.urls ?? []) out.push("--blob-url", `${u.url}#sha256=${u.sha256}=${u.path}`);
  if (args.cacheDir !== undefined) out.push("--cache-dir", args.cacheDir);
  if (args.cacheMaxBytes !== undefined) out.push("--cache-max-bytes", String(args.cacheMaxBytes));
  return out;
}

/** The argument list of the cache-preparing container. */
export const formatPrepareCacheArgs = (cacheDir: string): string[] => ["--prepare-cache", cacheDir];

export type ParsedArgs = { ok: true; args: FetchModelArgs } | { ok: false; errors: string[] };

/**
 * `--prepare-cache <dir>` (alone): the folder to prepare; undefined for any other command
 * line (parsed by `parseFetchModelArgs`).
 */
export function parsePrepareCacheArgs(
  argv: readonly string[],
): { ok: true; cacheDir: string } | { ok: false; errors: string[] } | undefined {
  const list = argv[0] === "fetch-model" ? argv.slice(1) : [...argv];
  if (!list.includes("--prepare-cache")) return undefined;
  const dir = list[1];
  if (list.length !== 2 || list[0] !== "--prepare-cache" || dir.startsWith("--"))
    return { ok: false, errors: ["--prepare-cache takes one folder and no other arguments"] };
  if (!dir.startsWith("/")) return { ok: false, errors: ["--prepare-cache needs an absolute folder"] };
  return { ok: true, cacheDir: dir };
}

const FLAGS = ["--account-url", "--container", "--dest", "--blob", "--blob-url", "--cache-dir", "--cache-max-bytes"];

/** Parses the argument list; a leading `fetch-model` is ignored. Collects every problem. */
export function parseFetchModelArgs(argv: readonly string[]): ParsedArgs {
  const list = argv[0] === "fetch-model" ? argv.slice(1) : [...argv];
  const errors: string[] = [];
  let accountUrl: string | undefined;
  let container: string | undefined;
  let dest: string | undefined;
  let cacheDir: string | undefined;
  let cacheMaxBytes: number | undefined;
  const blobs: BlobToFetch[] = [];
  const urls: BlobUrlToFetch[] = [];
  for (let i = 0; i < list.length; i++) {
    const flag = list[i];
    const value = list[i + 1];
    if (!FLAGS.includes(flag)) {
      errors.push(`unknown argument ${JSON.stringify(flag)}; expected ${FLAGS.join(", ")}`);
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
    else if (flag === "--cache-dir") cacheDir = value;
    else if (flag === "--cache-max-bytes") {
      cacheMaxBytes = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(cacheMaxBytes))
        errors.push(`--cache-max-bytes must be a whole number of bytes, got ${JSON.stringify(value)}`);
    } else if (flag === "--blob") {
      const eq = value.indexOf("=");
      const blob = eq > 0 ? value.slice(0, eq) : "";
      const path = eq > 0 ? value.slice(eq + 1) : "";
      if (!blob || !path) errors.push(`--blob ${JSON.stringify(value)} must be <blob name>=<relative path>`);
      else if (!expectedHashOf(blob))
        errors.push(`--blob ${JSON.stringify(blob)}: the blob name must end with the 64-hex SHA-256 of its content`);
      else if (!isSafeRelativePath(path)) errors.push(pathError("--blob", value));
      else blobs.push({ blob, path });
    } else {
      const parsed = parseBlobUrl(value);
      if (typeof parsed === "string") errors.push(parsed);
      else urls.push(parsed);
    }
  }
  if (blobs.length && !container) errors.push("--container is required with --blob");
  if (!dest) errors.push("--dest is required");
  if (blobs.length === 0 && urls.length === 0) errors.push("at least one --blob or --blob-url is required");
  if (accountUrl !== undefined && !/^https?:\/\//.test(accountUrl))
    errors.push(`--account-url must be an http(s) URL, got ${JSON.stringify(accountUrl)}`);
  if (cacheMaxBytes !== undefined && cacheDir === undefined) errors.push("--cache-max-bytes needs --cache-dir");
  if (cacheDir !== undefined && !cacheDir.startsWith("/")) errors.push("--cache-dir needs an absolute folder");
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    args: {
      accountUrl,
      container,
      dest: dest!,
      blobs,
      ...(urls.length ? { urls } : {}),
      ...(cacheDir !== undefined ? { cacheDir, cacheMaxBytes: cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES } : {}),
    },
  };
}

/** `<url>#sha256=<hex>=<path>`: the URL ends at its first "#" (a "#" in a blob name is percent-encoded). */
function parseBlobUrl(value: string): BlobUrlToFetch | string {
  const hash = value.indexOf("#");
  const url = hash > 0 ? value.slice(0, hash) : "";
  const m = hash > 0 ? SHA256_FRAGMENT.exec(value.slice(hash + 1)) : null;
  if (!url || !m)
    return `--blob-url ${JSON.stringify(value)} must be <blob URL>#sha256=<64 lowercase hex>=<relative path>`;
  if (!/^https?:\/\/[^/?#\s]+\/[^?#\s]+$/.test(url))
    return `--blob-url ${JSON.stringify(url)}: must be an http(s) blob URL without a query string (no SAS)`;
  if (!isSafeRelativePath(m[2])) return pathError("--blob-url", value);
  return { url, sha256: m[1], path: m[2] };
}

const pathError = (flag: string, value: string) =>
  `${flag} ${JSON.stringify(value)}: the path must be relative and stay inside --dest (no "..", no leading "/")`;

function isSafeRelativePath(path: string): boolean {
  if (path.startsWith("/") || path.includes("\\")) return false;
  return path.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}
