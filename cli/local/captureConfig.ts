/**
 * The `capture` block of the `aksml local` config: where the router writes model data for
 * services with `collectModelData` (in their `config`), in the same layout as in the
 * cluster. A local directory, or any storage account by connection string (e.g. Azurite).
 */
import { isAbsolute, resolve } from "node:path";
import { CAPTURE_BUFFER_BYTES_RANGE, MODEL_DATA_CONTAINER } from "../../router/contract/routerEnvironment.js";

export interface LocalCapture {
  /** Files under this directory: `<dir>/<service>/<model>/<version>/inputs|predictions/...`. */
  dir?: string;
  /** A storage account's connection string (Azurite's well-known one works). */
  connectionString?: string;
  /** The container with `connectionString`. @default "modeldata" */
  container: string;
  /** The capture buffer's bound in bytes (1 MiB - 1 GiB). @default 64 MiB */
  bufferBytes?: number;
}

const KEYS = ["dir", "connectionString", "container", "bufferBytes"];
const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The capture block, checked; a relative `dir` resolves against the config file's folder. */
export function localCaptureFrom(
  raw: unknown,
  baseDir: string,
  add: (path: string, reason: string) => void,
): LocalCapture | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    add(
      "capture",
      'must be an object, e.g. {"dir": "modeldata"} or {"connectionString": "...", "container": "modeldata"}',
    );
    return undefined;
  }
  for (const k of Object.keys(raw))
    if (!KEYS.includes(k)) add(`capture.${k}`, `unknown key; expected one of ${KEYS.join(", ")}`);
  const { dir, connectionString, container, bufferBytes } = raw;
  if ((dir === undefined) === (connectionString === undefined))
    add("capture", "give exactly one of dir (a local folder) or connectionString (a storage account, e.g. Azurite)");
  if (dir !== undefined && (typeof dir !== "string" || !dir)) add("capture.dir", "must be a folder path");
  if (
    connectionString !== undefined &&
    (typeof connectionString !== "string" ||
      !/(^|;)\s*(AccountName|BlobEndpoint|UseDevelopmentStorage)=/i.test(connectionString))
  )
    add(
      "capture.connectionString",
      "must be a storage connection string (AccountName=...;AccountKey=...; or BlobEndpoint=...)",
    );
  if (container !== undefined && (typeof container !== "string" || !CONTAINER.test(container)))
    add(
      "capture.container",
      `must be a blob container name (3-63 lowercase letters, digits and "-"), got ${JSON.stringify(container)}`,
    );
  if (
    bufferBytes !== undefined &&
    (typeof bufferBytes !== "number" ||
      !Number.isInteger(bufferBytes) ||
      bufferBytes < CAPTURE_BUFFER_BYTES_RANGE.min ||
      bufferBytes > CAPTURE_BUFFER_BYTES_RANGE.max)
  )
    add(
      "capture.bufferBytes",
      `must be an integer between ${CAPTURE_BUFFER_BYTES_RANGE.min} and ${CAPTURE_BUFFER_BYTES_RANGE.max}, got ${JSON.stringify(bufferBytes)}`,
    );
  return {
    dir: typeof dir === "string" && dir ? (isAbsolute(dir) ? dir : resolve(baseDir, dir)) : undefined,
    connectionString: typeof connectionString === "string" ? connectionString : undefined,
    container: typeof container === "string" ? container : MODEL_DATA_CONTAINER,
    bufferBytes: typeof bufferBytes === "number" ? bufferBytes : undefined,
  };
}
