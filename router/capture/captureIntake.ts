/**
 * The writer side of model data capture: takes the profiles and arenas a data-path
 * thread hands over, unpacks them into its queue and runs the CaptureWriter on them.
 * The same class runs in a capture writer thread (captureWriterThread.ts, the usual
 * case) or, for a sink that cannot be rebuilt in another thread, on the data path's own
 * thread (writerLink.ts).
 */
import type { Log } from "../log.js";
import { unpackArena, type CaptureProfile } from "./captureArena.js";
import { writerProfile, type WriterProfile } from "./captureRecord.js";
import type { CaptureBudget } from "./captureBudget.js";
import { CaptureBuffer } from "./captureBuffer.js";
import { CaptureWriter, MAX_APPEND_BYTES, type CaptureCounters } from "./captureWriter.js";
import type { CaptureSink } from "./sinks.js";

/** The writer's settings, as plain data (they cross to the writer thread as they are). */
export interface WriterSettings {
  /** This writer's part of every blob name (pod, thread and run): two writers never share a blob. */
  instance: string;
  flushIntervalMs: number;
  maxBlobBytes: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/** Raw captured bytes the writer takes per batch: a quarter of the budget, 64 KiB to one append block. */
export function batchBytesFor(capacityBytes: number): number {
  return Math.min(MAX_APPEND_BYTES, Math.max(64 * 1024, Math.floor(capacityBytes / 4)));
}

export class CaptureIntake {
  private readonly profiles = new Map<number, WriterProfile>();
  private readonly buffer: CaptureBuffer;
  private readonly writer: CaptureWriter;

  constructor(
    sink: CaptureSink,
    private readonly budget: CaptureBudget,
    settings: WriterSettings,
    private readonly counters: CaptureCounters,
    log: Pick<Log, "warn">,
    /** Takes back an arena none of whose records is left (for the data path to pack into again). */
    private readonly recycle?: (buffer: ArrayBuffer) => void,
  ) {
    const batchBytes = batchBytesFor(budget.capacityBytes);
    this.buffer = new CaptureBuffer(budget, batchBytes);
    this.buffer.onArenaDone = recycle;
    this.writer = new CaptureWriter({ ...settings, sink, buffer: this.buffer, batchBytes, counters, log });
    this.writer.start();
  }

  profile(p: CaptureProfile): void {
    this.profiles.set(p.id, writerProfile(p.service, p.models, p.redactJsonFields));
  }

  /** Forgets every profile (the data path re-sends those it uses; bounds the table). */
  resetProfiles(): void {
    this.profiles.clear();
  }

  /** Queues an arena's records; once the writer has finished they are dropped and counted. */
  arena(arena: Buffer): void {
    const { exchanges, unknownReserved } = unpackArena(arena, this.profiles);
    if (unknownReserved) this.budget.releaseHandedOver(unknownReserved);
    if (exchanges.length === 0) {
      this.recycle?.(arena.buffer as ArrayBuffer);
      return;
    }
    const use = { buffer: arena.buffer as ArrayBuffer, left: exchanges.length };
    for (const x of exchanges) {
      x.arena = use;
      if (!this.writer.finished) {
        this.buffer.enqueue(x);
        continue;
      }
      this.buffer.release(x);
      this.counters.dropped(x.profile.service, "shutdown", 1);
    }
  }

  /** Writes what is queued until `deadlineMs` (epoch ms); what is left then is dropped and counted. */
  close(deadlineMs: number): Promise<void> {
    return this.writer.close(deadlineMs);
  }
}
