import { basename, resolve } from "node:path";
import * as storage from "@pulumi/azure-native/storage/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { BlobToFetch } from "../../router/contract/fetchModelArgs.js";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";
import type { ModelArgs } from "./args.js";
import { listFiles, sha256File } from "./contentHash.js";

/** Where model pods keep models: Azure ML's `./azureml-models` under the app root. */
export const MODEL_ROOT = "/var/azureml-app/azureml-models";

/** One file of one model, named by content. */
export interface ModelFile {
  /** SHA-256 of the file's bytes. */
  sha256: string;
  abs: string;
  /** Path under MODEL_ROOT: `<model>/<version>/<file or folder name>[/<relative path>]`. */
  path: string;
}

/** Plain-valued models (validation guarantees paths are known and exist); no path for a model by reference. */
export interface PlainModel {
  name: string;
  version: number;
  path?: string;
}

/**
 * Azure ML's layout: one model at `azureml-models/<name>/<version>/<file or folder>`;
 * `AZUREML_MODEL_DIR` is that model's version folder, or the root with several models.
 */
export function modelFiles(models: readonly PlainModel[]): ModelFile[] {
  return models.flatMap((m) => {
    if (m.path === undefined) return [];
    const top = basename(resolve(m.path));
    return listFiles(m.path).map((f) => ({
      sha256: sha256File(f.abs),
      abs: f.abs,
      path: `${m.name}/${m.version}/${top}${f.rel ? `/${f.rel}` : ""}`,
    }));
  });
}

export function modelDirFor(models: readonly PlainModel[]): string {
  return models.length === 1 ? `${MODEL_ROOT}/${models[0].name}/${models[0].version}` : MODEL_ROOT;
}

/** Blob name of a file: `<namespace>/<service>/<sha256>`; the router's fetch-model checks the content against the trailing hash. */
export const modelBlobName = (namespace: string, service: string, sha256: string) =>
  `${namespace}/${service}/${sha256}`;

export function plainModels(models: readonly ModelArgs[] | undefined): PlainModel[] {
  return (models ?? []).map((m) => ({
    name: m.name as string,
    version: m.version as number,
    path: m.path as string | undefined,
  }));
}

/**
 * Uploads each distinct file once, as a block blob named by its content. An unchanged
 * file keeps its name, so nothing is re-uploaded; a changed one gets a new blob and the
 * pods roll to it.
 */
export function uploadModels(
  name: string,
  files: readonly ModelFile[],
  namespace: pulumi.Input<string>,
  cluster: ClusterConnectionArgs,
  opts: pulumi.CustomResourceOptions,
): { blobs: storage.Blob[]; fetchList: pulumi.Output<BlobToFetch[]> } {
  const distinct = new Map<string, ModelFile>();
  for (const f of files) if (!distinct.has(f.sha256)) distinct.set(f.sha256, f);
  const blobs = [...distinct.values()].map(
    (f) =>
      new storage.Blob(
        `${name}-model-${f.sha256.slice(0, 16)}`,
        {
          resourceGroupName: cluster.resourceGroupName,
          accountName: cluster.storageAccountName,
          containerName: cluster.modelContainerName,
          blobName: pulumi.output(namespace).apply((ns) => modelBlobName(ns, name, f.sha256)),
          type: "Block",
          contentType: "application/octet-stream",
          source: new pulumi.asset.FileAsset(f.abs),
        },
        opts,
      ),
  );
  const fetchList = pulumi
    .output(namespace)
    .apply((ns) => files.map((f) => ({ blob: modelBlobName(ns, name, f.sha256), path: f.path })));
  return { blobs, fetchList };
}
