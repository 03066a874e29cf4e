/**
 * What the main thread tells every data-path worker about the services (catalog.ts sends,
 * registry.ts applies): plain structured-cloneable objects, one per change the backend
 * pushed, numbered so the main thread knows when every worker has applied one.
 *
 * The backend's ServiceSnapshot and EndpointSnapshot travel whole: a field another module
 * adds to them reaches every worker's registry with no change here. An endpoint's rollout
 * state rides in its snapshot, so a new live split is one upsertEndpoint to every worker.
 */
import type { EndpointSnapshot, ServiceSnapshot } from "./contract/backend.js";

export type CatalogChange =
  | {
      kind: "upsert";
      snapshot: ServiceSnapshot;
      /** The service's row in the slot table. */
      row: number;
      /** The slot table row of each of `snapshot.replicas`, in the same order. */
      replicaRows: number[];
    }
  | { kind: "remove"; name: string }
  | {
      kind: "withdraw";
      name: string;
      /** What its requests are answered (503). */
      reason: string;
    }
  /** An endpoint the main thread accepted (its auth builds): config, keys and rollout state (the live weights). */
  | { kind: "upsertEndpoint"; snapshot: EndpointSnapshot }
  | { kind: "removeEndpoint"; name: string }
  | { kind: "withdrawEndpoint"; name: string; reason: string };

export interface SequencedChange {
  /** Increases by one per change; a worker records the last it applied in the slot table. */
  sequence: number;
  change: CatalogChange;
}

/** The whole catalog as changes, for a worker that starts (or restarts) now. */
export interface CatalogState {
  /** The number of the last change they include. */
  sequence: number;
  changes: CatalogChange[];
}
