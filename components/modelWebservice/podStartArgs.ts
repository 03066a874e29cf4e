import type * as pulumi from "@pulumi/pulumi";

/**
 * Startup probe of the model containers: liveness and readiness probes wait until it
 * succeeds, so a replica still loading a large model in `init()` is not restarted. The
 * model may load for `initialDelaySeconds + failureThreshold × periodSeconds` (10 minutes
 * by default). Names as Azure ML's probe settings (`period_seconds`, ...).
 */
export interface StartupProbeArgs {
  /** `period_seconds` (1-3600). @default 5 */
  readonly periodSeconds?: pulumi.Input<number>;
  /** `initial_delay_seconds` (0-86400). @default 0 */
  readonly initialDelaySeconds?: pulumi.Input<number>;
  /** `timeout_seconds` (1-3600). @default 2 */
  readonly timeoutSeconds?: pulumi.Input<number>;
  /** `success_threshold`; Kubernetes requires 1 for a startup probe. @default 1 */
  readonly successThreshold?: pulumi.Input<number>;
  /** `failure_threshold` (1-100000). @default 120 (10 minutes at the default period) */
  readonly failureThreshold?: pulumi.Input<number>;
}

/**
 * The node's model cache: a folder on each node (hostPath `/var/lib/aksml/model-cache`)
 * holding every model file fetched on that node, named by its SHA-256, so a replica
 * starting where the same content was fetched before copies it from there (verifying
 * its hash) instead of downloading it. Only the pods' init containers mount it. Azure
 * ML had no equivalent (its storage initializer downloaded per pod; `blobfuse_enabled`
 * mounted blobs instead).
 */
export interface ModelCacheArgs {
  /**
   * Use the node cache. Turn it off where hostPath volumes are not allowed (a namespace
   * enforcing the Pod Security "baseline" or "restricted" level, or an Azure Policy
   * denying host paths): every replica then downloads its models. @default true
   */
  readonly enabled?: pulumi.Input<boolean>;
  /**
   * Bound of the node's cache in GB (1-10000), shared by every service on the node:
   * least recently used files are evicted to stay under it. Give the services of a
   * cluster the same value. @default 20
   */
  readonly maxSizeGb?: pulumi.Input<number>;
}
