/**
 * The node-level model cache in the model pods: a hostPath folder per node that
 * fetch-model reads and fills (see router/fetchModel/nodeCache.ts).
 *
 * Why a hostPath and not the Blob CSI driver (blobfuse2, which Azure ML's
 * `blobfuse_enabled` used): with blobfuse the model is read over the network when the
 * server loads it, its block cache is per mount (per pod) unless tuned, the driver is a
 * cluster add-on with its own identity setup, and nothing of it can run here to be
 * tested. The hostPath cache keeps today's contract (the model is a verified local copy
 * before the server starts) and needs nothing from the cluster.
 *
 * Privilege, kept narrow: only the init containers mount the folder, never the model
 * container (the user's code); fetch-model verifies every file it takes from there. The
 * kubelet creates the folder root-owned, so a first init container, root but with no
 * capabilities and nothing else mounted, makes its entries folder writable
 * (`--prepare-cache`); fetch-model then runs as the router image's non-root user as before.
 * A namespace enforcing Pod Security "baseline" forbids hostPath: turn the cache off there.
 */
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IVolume } from "kubernetes-models/v1/Volume";
import type * as pulumi from "@pulumi/pulumi";
import { formatPrepareCacheArgs } from "../../router/contract/fetchModelArgs.js";
import { known } from "../shared/inputs.js";
import type { AddProblem } from "../shared/problems.js";
import type { ModelCacheArgs } from "./podStartArgs.js";

/** The folder on every node (allow-list it where an Azure Policy restricts host paths). */
export const MODEL_CACHE_HOST_PATH = "/var/lib/aksml/model-cache";
export const MODEL_CACHE_VOLUME = "aksml-model-cache";
/** Where the init containers see it. */
export const MODEL_CACHE_MOUNT = "/var/lib/aksml/model-cache";

export const MODEL_CACHE_DEFAULTS = { enabled: true, maxSizeGb: 20 } as const;
const MAX_SIZE_GB = 10_000;

export interface ModelCacheSettings {
  readonly enabled: boolean;
  readonly maxSizeGb: number;
}

export function resolveModelCache(a: pulumi.Unwrap<ModelCacheArgs> | undefined): ModelCacheSettings {
  return {
    enabled: a?.enabled ?? MODEL_CACHE_DEFAULTS.enabled,
    maxSizeGb: a?.maxSizeGb ?? MODEL_CACHE_DEFAULTS.maxSizeGb,
  };
}

export function modelCacheProblems(a: ModelCacheArgs | undefined, add: AddProblem): void {
  const size = known(a?.maxSizeGb);
  if (size !== undefined && !(size > 0 && size <= MAX_SIZE_GB))
    add("modelCache.maxSizeGb", `must be more than 0 and at most ${MAX_SIZE_GB} (GB), got ${size}`);
}

/** The bound fetch-model enforces, in bytes (GB as elsewhere in this library: 1024³). */
export const modelCacheBytes = (s: ModelCacheSettings) => Math.floor(s.maxSizeGb * 1024 ** 3);

export const modelCacheVolume = (): IVolume => ({
  name: MODEL_CACHE_VOLUME,
  hostPath: { path: MODEL_CACHE_HOST_PATH, type: "DirectoryOrCreate" },
});

export const modelCacheMount = () => ({ name: MODEL_CACHE_VOLUME, mountPath: MODEL_CACHE_MOUNT });

/** The first init container: makes the cache's entries folder writable for fetch-model. */
export function prepareCacheContainer(routerImage: string): IContainer {
  return {
    name: "prepare-model-cache",
    image: routerImage,
    args: ["fetch-model", ...formatPrepareCacheArgs(MODEL_CACHE_MOUNT)],
    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "200m", memory: "256Mi" } },
    securityContext: {
      // Root owns the folder the kubelet created; with no capabilities it can only
      // create and chmod what it owns.
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [modelCacheMount()],
  };
}
