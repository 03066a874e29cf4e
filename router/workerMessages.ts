/**
 * What the main thread and a data-path worker thread say to each other (workerPool.ts,
 * workerThread.ts). Nothing per request crosses: requests share state through the slot
 * table; these carry catalog changes (services and endpoints), certificates, scrapes
 * (metrics, and endpoint versions' counts), log lines and the drain.
 */
import type { CatalogState, SequencedChange } from "./catalogChange.js";
import type { DataPlaneConfig } from "./dataPlane.js";
import type { MetricJson } from "./batchedMetrics.js";
import type { PemPair } from "./tls.js";
import type { VersionReading } from "./endpoints/versionStats.js";

/** A worker thread's workerData. */
export interface WorkerStart {
  config: DataPlaneConfig;
  /** The slot table (slotTable.ts). */
  buffer: SharedArrayBuffer;
  logLevel: string;
  /** The catalog as it is when the worker starts; later changes follow as messages. */
  catalog: CatalogState;
  /** The router is ready already (a restarted worker). */
  ready: boolean;
}

export type ToWorker =
  | { type: "change"; change: SequencedChange }
  | { type: "ready" }
  | { type: "tls"; pair: PemPair }
  | { type: "collect"; id: number }
  /** The endpoint versions' counts (the rollout loop sums them over workers). */
  | { type: "versionStats"; id: number }
  | { type: "drain"; graceMs: number };

export type FromWorker =
  | { type: "listening"; port: number }
  /** Access and other log lines, as written by the worker's pino logger (newline-terminated JSON). */
  | { type: "log"; text: string }
  | { type: "metrics"; id: number; metrics: MetricJson[] }
  | { type: "versionStats"; id: number; readings: VersionReading[] }
  | { type: "drained"; left: number };
