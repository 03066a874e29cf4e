/**
 * The data path's end of its capture writer: arenas and profiles go to a writer thread
 * (ThreadWriterLink, for any sink with a `destination`), or, for a sink object that
 * cannot be rebuilt in another thread, to a writer on this thread (LocalWriterLink).
 *
 * A writer thread that ends unexpectedly loses what it held: the link gives those bytes
 * back to the budget (it knows what it handed over and the budget what the writer
 * released), counts those records as `writer_failed`, drops new ones meanwhile, and
 * starts a new thread after a back-off.
 */
import { Worker } from "node:worker_threads";
import type { Logger } from "../log.js";
import { threadEntry } from "../threadEntry.js";
import type { CaptureProfile, PackedArena } from "./captureArena.js";
import type { CaptureBudget } from "./captureBudget.js";
import { CaptureIntake, type WriterSettings } from "./captureIntake.js";
import type { DropReason } from "./captureTap.js";
import type { CaptureCounters } from "./captureWriter.js";
import type { CaptureDestination, CaptureSink } from "./sinks.js";
import type { LinkMessage, WriterMessage, WriterThreadData } from "./writerProtocol.js";

export interface WriterLink {
  profile(p: CaptureProfile): void;
  resetProfiles(): void;
  handOver(a: PackedArena): void;
  /** Resolves once the writer takes records (a writer thread has started, or failed to). */
  ready(): Promise<void>;
  /** Writes what was handed over until `deadlineMs` (epoch ms); the rest is dropped and counted. */
  close(deadlineMs: number): Promise<void>;
}

export interface LinkContext {
  budget: CaptureBudget;
  settings: WriterSettings;
  counters: CaptureCounters;
  log: Logger;
  /** Takes back an arena the writer is done with. */
  recycle?: (buffer: ArrayBuffer) => void;
}

/** A writer on the data path's own thread (a sink without a `destination`). */
export class LocalWriterLink implements WriterLink {
  private readonly intake: CaptureIntake;

  constructor(sink: CaptureSink, c: LinkContext) {
    this.intake = new CaptureIntake(sink, c.budget, c.settings, c.counters, c.log, c.recycle);
  }

  profile(p: CaptureProfile): void {
    this.intake.profile(p);
  }

  resetProfiles(): void {
    this.intake.resetProfiles();
  }

  handOver(a: PackedArena): void {
    this.intake.arena(Buffer.from(a.buffer, 0, a.length));
  }

  async ready(): Promise<void> {}

  close(deadlineMs: number): Promise<void> {
    return this.intake.close(deadlineMs);
  }
}

const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A thread that lived this long resets the restart back-off. */
const HEALTHY_MS = 60_000;
/** How long past the close deadline the link waits for the thread's answer before ending it. */
const CLOSE_GRACE_MS = 2_000;

export class ThreadWriterLink implements WriterLink {
  private worker: Worker | undefined;
  private startedAt = 0;
  private restartDelayMs = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private onClosed: (() => void) | undefined;
  private onStarted: (() => void) | undefined;
  private readonly started: Promise<void>;
  /** Profiles sent since the last reset: a new thread is given them again. */
  private readonly profiles = new Map<number, CaptureProfile>();
  /** Records handed over and not yet reported written or dropped, per service. */
  private readonly pending = new Map<string, number>();
  /** Budget bytes handed over, modulo 2^32 (compared with what the writer released). */
  private handedOver = 0;

  constructor(
    private readonly destination: CaptureDestination,
    private readonly c: LinkContext,
  ) {
    this.started = new Promise((resolve) => {
      this.onStarted = resolve;
    });
    this.spawn();
  }

  /** The first thread's start (or its failure: records are then dropped and counted until a restart works). */
  ready(): Promise<void> {
    return this.started;
  }

  /** The writer thread now (for tests that end it); undefined while it is being restarted or after close. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  profile(p: CaptureProfile): void {
    this.profiles.set(p.id, p);
    this.post({ t: "profile", profile: p });
  }

  resetProfiles(): void {
    this.profiles.clear();
    this.post({ t: "reset" });
  }

  handOver(a: PackedArena): void {
    if (!this.worker) {
      this.c.budget.release(a.reserved);
      for (const [service, n] of a.services)
        this.c.counters.dropped(service, this.closing ? "shutdown" : "writer_failed", n);
      this.c.recycle?.(a.buffer);
      return;
    }
    this.handedOver = (this.handedOver + a.reserved) >>> 0;
    for (const [service, n] of a.services) this.pending.set(service, (this.pending.get(service) ?? 0) + n);
    this.worker.postMessage({ t: "arena", buffer: a.buffer, length: a.length } satisfies LinkMessage, [a.buffer]);
  }

  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    const w = this.worker;
    if (!w) return;
    // Held by the process until the thread has answered, whatever else is still open.
    w.ref();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()) + CLOSE_GRACE_MS);
      this.onClosed = () => {
        clearTimeout(timer);
        resolve();
      };
      this.post({ t: "close", deadlineMs });
    });
    this.onClosed = undefined;
    this.worker = undefined;
    this.giveBack("shutdown");
    await w.terminate();
  }

  private post(m: LinkMessage): void {
    this.worker?.postMessage(m);
  }

  private spawn(): void {
    const entry = threadEntry(import.meta.url, "captureWriterThread");
    const workerData: WriterThreadData = {
      destination: this.destination,
      budget: this.c.budget.shared,
      capacityBytes: this.c.budget.capacityBytes,
      settings: this.c.settings,
    };
    const w = new Worker(entry.url, {
      workerData,
      execArgv: entry.execArgv,
      name: "aksml-capture-writer",
      // No resourceLimits: a small heap bound makes V8 collect the old generation every
      // few hundred milliseconds under load (measured: 42 mark-compacts in 12 s, not 6).
      // The capture budget bounds what the thread holds.
    });
    // The data plane's servers keep the process alive; the writer alone must not (close refs it).
    w.unref();
    this.worker = w;
    this.startedAt = Date.now();
    w.on("message", (m: WriterMessage) => this.onMessage(m));
    w.on("error", (err) => this.c.log.error({ err: err.message }, "model data capture: writer thread failed"));
    w.on("exit", () => this.onExit(w));
    for (const p of this.profiles.values()) w.postMessage({ t: "profile", profile: p } satisfies LinkMessage);
  }

  private onMessage(m: WriterMessage): void {
    switch (m.t) {
      case "ready":
        this.onStarted?.();
        break;
      case "spare":
        this.c.recycle?.(m.buffer);
        break;
      case "written":
        this.c.counters.written(m.service, m.n);
        this.settled(m.service, m.n);
        break;
      case "dropped":
        this.c.counters.dropped(m.service, m.reason, m.n);
        this.settled(m.service, m.n);
        break;
      case "storageError":
        this.c.counters.storageError();
        break;
      case "warn":
        this.c.log.warn(m.obj, m.msg);
        break;
      case "closed":
        this.onClosed?.();
        break;
    }
  }

  private settled(service: string, n: number): void {
    const left = (this.pending.get(service) ?? 0) - n;
    if (left > 0) this.pending.set(service, left);
    else this.pending.delete(service);
  }

  private onExit(w: Worker): void {
    this.onStarted?.();
    if (this.worker !== w) return;
    this.worker = undefined;
    if (this.closing) {
      this.onClosed?.();
      return;
    }
    this.giveBack("writer_failed");
    if (Date.now() - this.startedAt >= HEALTHY_MS) this.restartDelayMs = RESTART_MIN_MS;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(RESTART_MAX_MS, delay * 2);
    this.c.log.error({ restartInMs: delay }, "model data capture: writer thread ended; records it held are dropped");
    this.restartTimer = setTimeout(() => {
      if (!this.closing) this.spawn();
    }, delay);
    this.restartTimer.unref();
  }

  /** What a thread that is gone still held: its bytes back to the budget, its records counted as dropped. */
  private giveBack(reason: DropReason): void {
    const held = (this.handedOver - this.c.budget.releasedHandedOver) >>> 0;
    if (held) this.c.budget.releaseHandedOver(held);
    for (const [service, n] of this.pending) this.c.counters.dropped(service, reason, n);
    this.pending.clear();
  }
}
