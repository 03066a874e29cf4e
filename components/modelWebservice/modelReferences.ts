/**
 * Models by reference: a blob already in storage (`models[].blobUri`), fetched by the
 * pods like an uploaded model file but never uploaded. Its content hash cannot be read
 * when the program runs (no storage credentials in a plan, and hashing a large blob would
 * mean downloading it), and a hash the blob carries (Content-MD5, metadata) is written by
 * whoever writes the blob: it proves nothing. So the hash is declared (`sha256`) and every
 * replica checks the content against it: a blob overwritten later fails to load rather
 * than quietly serving another model, and the node cache can key it like any other file.
 */
import * as pulumi from "@pulumi/pulumi";
import { isAzureBlobHost, type BlobUrlToFetch } from "../../router/contract/fetchModelArgs.js";
import { known } from "../shared/inputs.js";
import { componentSubject, problemList, throwIfInvalid, type AddProblem } from "../shared/problems.js";
import type { ModelArgs } from "./args.js";

const SHA256 = /^[0-9a-fA-F]{64}$/;
/** Azure's limit on a blob name. */
const MAX_BLOB_NAME = 1024;

/** The decoded last segment of a blob URL: the model's file name. */
export function blobFileName(uri: string): string {
  const segments = new URL(uri).pathname.split("/");
  return decodeURIComponent(segments[segments.length - 1]);
}

/** Why `uri` cannot be a model's `blobUri`, or undefined. */
export function blobUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${JSON.stringify(uri)} is not a URL; give https://<account>.blob.core.windows.net/<container>/<blob>`;
  }
  if (url.protocol !== "https:")
    return `${JSON.stringify(uri)} must be https (the pod's identity sends a bearer token to it)`;
  if (url.username || url.password || url.search || uri.includes("?"))
    return `${JSON.stringify(uri)} must carry no credentials or query (no SAS): the service's identity reads the blob, and a SAS would be written into the Deployment for anyone who can read it`;
  if (url.hash || uri.includes("#")) return `${JSON.stringify(uri)} must have no fragment`;
  if (!isAzureBlobHost(url.hostname) || url.port)
    return `${JSON.stringify(uri)} is not on an Azure Storage blob endpoint (<account>.blob.core.windows.net or a sovereign cloud's): the service's identity sends its token to that host`;
  const [container, ...blob] = url.pathname.slice(1).split("/");
  if (!container || blob.length === 0 || blob.some((s) => s === ""))
    return `${JSON.stringify(uri)} must name a container and a blob: https://<account>.blob.core.windows.net/<container>/<blob>`;
  let file: string;
  try {
    file = blobFileName(uri);
  } catch {
    return `${JSON.stringify(uri)} has a malformed percent-encoding in its file name`;
  }
  if (file === "." || file === ".." || /[/\\]/.test(file) || /\s/.test(uri))
    return `${JSON.stringify(uri)}: its file name ${JSON.stringify(file)} cannot be a file in the model folder`;
  if (decodeURIComponent(blob.join("/")).length > MAX_BLOB_NAME)
    return `${JSON.stringify(uri)}: blob names are at most ${MAX_BLOB_NAME} characters`;
  return undefined;
}

/** Every problem with the models' `path`, `blobUri` and `sha256` that is known now. */
export function modelReferenceProblems(models: readonly ModelArgs[] | undefined, add: AddProblem): void {
  (models ?? []).forEach((m, i) => {
    const local = m.path !== undefined;
    const reference = m.blobUri !== undefined;
    if (local === reference)
      add(
        `models[${i}]`,
        "give exactly one of path (a local file or folder, uploaded) and blobUri (a blob in storage)",
      );
    if (!reference && m.sha256 !== undefined)
      add(`models[${i}].sha256`, "is for blobUri models; the files of a local path are hashed when the program runs");
    if (!reference) return;
    if (m.sha256 === undefined)
      add(
        `models[${i}].sha256`,
        "is required with blobUri: the hash of the blob's content, which every replica checks (a hash stored on the blob proves nothing); compute it with `sha256sum` over the downloaded blob",
      );
    const hash = known(m.sha256);
    if (typeof hash === "string" && !SHA256.test(hash))
      add(`models[${i}].sha256`, `must be 64 hex digits (a SHA-256), got ${JSON.stringify(hash)}`);
    const uri = known(m.blobUri);
    const problem = typeof uri === "string" ? blobUriProblem(uri) : undefined;
    if (problem) add(`models[${i}].blobUri`, problem);
  });
}

/**
 * What fetch-model fetches for the referenced models. `blobUri` and `sha256` may be
 * Outputs (a blob in the cluster's own account); they are then checked by the same
 * rules once known, and the Deployment fails to register with that error.
 */
export function referencedFetchList(
  service: string,
  models: readonly ModelArgs[] | undefined,
): pulumi.Output<BlobUrlToFetch[]> {
  const all = models ?? [];
  const inputs = all.map((m) => (m.blobUri === undefined ? undefined : pulumi.all([m.blobUri, m.sha256 ?? ""])));
  return pulumi.output(inputs).apply((resolved) => {
    const plain = all.map((m, i) => {
      const r = resolved[i];
      return r ? { ...m, blobUri: r[0], sha256: r[1] || undefined } : m;
    });
    const { problems, add } = problemList();
    modelReferenceProblems(plain, add);
    throwIfInvalid(componentSubject("ModelWebservice", service), problems);
    return plain.flatMap((m) =>
      m.blobUri === undefined
        ? []
        : [
            {
              url: new URL(m.blobUri as string).href,
              sha256: (m.sha256 as string).toLowerCase(),
              path: `${m.name as string}/${m.version as number}/${blobFileName(m.blobUri as string)}`,
            },
          ],
    );
  });
}
