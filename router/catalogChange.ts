/**
 * What the main thread tells every data-path worker about the services (catalog.ts sends,
 * registry.ts applies): plain structured-cloneable objects, one per change the backend
 * pushed, numbered so the main thread knows when every worker has applied one.
 *
 * The backend's ServiceSnapshot travels whole: a field another module adds to it (per
 * service or per endpoint) reaches every worker's registry with no change here.
 */
import type { ServiceSnapshot } from "./contract/backend.js";

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
    };

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
