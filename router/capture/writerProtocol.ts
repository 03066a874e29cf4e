/**
 * The messages between a data-path thread and its capture writer thread (structured
 * clones; an arena's ArrayBuffer is transferred, not copied).
 */
import type { CaptureProfile } from "./captureArena.js";
import type { WriterSettings } from "./captureIntake.js";
import type { DropReason } from "./captureTap.js";
import type { CaptureDestination } from "./sinks.js";

/** The writer thread's workerData. */
export interface WriterThreadData {
  destination: CaptureDestination;
  /** The data path's budget cells (captureBudget.ts). */
  budget: SharedArrayBuffer;
  capacityBytes: number;
  settings: WriterSettings;
}

/** Data path -> writer. Messages keep their order, so a profile always precedes the arenas that use it. */
export type LinkMessage =
  | { t: "profile"; profile: CaptureProfile }
  | { t: "reset" }
  | { t: "arena"; buffer: ArrayBuffer; length: number }
  | { t: "close"; deadlineMs: number };

/**
 * Writer -> data path: that it runs, arenas it is done with (transferred back, so the data
 * path packs into memory already paged in), the counts its metrics take, warnings its
 * logger writes, and the end of a close.
 */
export type WriterMessage =
  | { t: "ready" }
  | { t: "spare"; buffer: ArrayBuffer }
  | { t: "written"; service: string; n: number }
  | { t: "dropped"; service: string; reason: DropReason; n: number }
  | { t: "storageError" }
  | { t: "warn"; obj: object; msg: string }
  | { t: "closed" };
