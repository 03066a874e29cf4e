/**
 * Model data collection, done by the router (Azure ML v1's `collect_model_data`, without
 * `ModelDataCollector` in score.py): for a service with `collectModelData` on, a sampled
 * share of its scoring requests is copied as it passes (CaptureTap), packed into arenas
 * (captureArena.ts) and handed to a writer (writerLink.ts) that builds the records and
 * writes them in batches, on a thread of its own: the data path does only the copies.
 *
 * One ModelDataCapture per data-listener thread: its budget, writer and blob names are
 * its own (`instance` names the pod, the thread and the run), so several threads of one
 * pod never write the same blob, and each flushes what it holds when it stops.
 */
import type { IncomingMessage } from "node:http";
import { randomBytes } from "node:crypto";
import { threadId } from "node:worker_threads";
import type { Registry } from "prom-client";
import type { ServiceConfig } from "../contract/serviceConfig.js";
import type { ExchangeObserver } from "../exchangeObserver.js";
import type { Logger } from "../log.js";
import type { ServiceAction } from "../proxyContext.js";
import type { ServiceState } from "../serviceState.js";
import {
  ArenaPacker,
  arenaBytesFor,
  maxPackedSize,
  type CaptureProfile,
  type FinishedCapture,
} from "./captureArena.js";
import { CaptureBudget } from "./captureBudget.js";
import { CaptureMetrics } from "./captureMetrics.js";
import { CaptureTap, RECORD_OVERHEAD_BYTES, type CaptureTarget, type DropReason } from "./captureTap.js";
import type { CaptureDestination, CaptureSink } from "./sinks.js";
import { LocalWriterLink, ThreadWriterLink, type WriterLink } from "./writerLink.js";

import { DEFAULT_CAPTURE_BUFFER_BYTES } from "../contract/routerEnvironment.js";

export { DEFAULT_CAPTURE_FLUSH_MS } from "../contract/routerEnvironment.js";

/** How often the data path hands its packed captures to the writer (also when an arena fills). */
export const HAND_OVER_MS = 50;
/** Profiles the writer may hold before the data path resets the table (each config change makes one). */
const MAX_PROFILES = 1024;

export interface ModelDataCaptureOptions {
  /**
   * Where records go. A sink with a `destination` is rebuilt in a writer thread; one
   * without (a caller's own object) is written from this thread.
   */
  sink?: CaptureSink;
  /** Where records go, as plain data (a worker thread's options): written from a writer thread. */
  destination?: CaptureDestination;
  /** @default DEFAULT_CAPTURE_BUFFER_BYTES */
  bufferBytes?: number;
  /** How often queued records are written. @default 1000 */
  flushIntervalMs?: number;
  /** A blob rolls before it passes this size. @default 64 MiB */
  maxBlobBytes?: number;
  /** The pod (or machine) name in blob names. */
  podName: string;
  /** First retry delay after a failed append; doubles up to `backoffMaxMs`. @default 500 */
  backoffInitialMs?: number;
  /** @default 30000 */
  backoffMaxMs?: number;
}

export class ModelDataCapture implements CaptureTarget {
  readonly budget: CaptureBudget;
  readonly metrics: CaptureMetrics;
  /** `<pod>-w<thread>-<run>`: this writer's part of every blob name. */
  readonly instance: string;
  private readonly link: WriterLink | undefined;
  private readonly packer: ArenaPacker;
  private readonly handOverTimer: NodeJS.Timeout | undefined;
  private profiles = new WeakMap<ServiceConfig, CaptureProfile>();
  private profileCount = 0;
  private nextProfileId = 1;
  private readonly warnedNoDestination = new Set<string>();
  private closed = false;

  constructor(
    options: ModelDataCaptureOptions,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.budget = new CaptureBudget(options.bufferBytes ?? DEFAULT_CAPTURE_BUFFER_BYTES);
    this.metrics = new CaptureMetrics(registry, () => this.budget.bytes, log);
    this.instance = `${options.podName}-w${threadId}-${randomBytes(3).toString("hex")}`;
    const context = {
      budget: this.budget,
      settings: {
        instance: this.instance,
        flushIntervalMs: options.flushIntervalMs ?? 1000,
        maxBlobBytes: options.maxBlobBytes ?? 64 * 1024 * 1024,
        backoffInitialMs: options.backoffInitialMs ?? 500,
        backoffMaxMs: options.backoffMaxMs ?? 30_000,
      },
      counters: this.metrics,
      log,
      recycle: (buffer: ArrayBuffer) => this.packer.recycle(buffer),
    };
    const destination = options.sink ? options.sink.destination : options.destination;
    if (destination) this.link = new ThreadWriterLink(destination, context);
    else if (options.sink) this.link = new LocalWriterLink(options.sink, context);
    this.packer = new ArenaPacker(arenaBytesFor(this.budget.capacityBytes), (a) => this.link?.handOver(a));
    if (this.link) {
      this.handOverTimer = setInterval(
        () => this.packer.flush(),
        Math.min(HAND_OVER_MS, context.settings.flushIntervalMs),
      );
      this.handOverTimer.unref();
    }
  }

  /** Resolves once the writer takes records (its thread has started): the router is not ready before. */
  async ready(): Promise<void> {
    await this.link?.ready();
  }

  /** A finished capture: packed for the writer, or dropped once capture has stopped. */
  enqueue(x: FinishedCapture): void {
    if (this.closed) {
      this.budget.release(x.reserved);
      this.dropped(x.profile.service, "shutdown");
      return;
    }
    // The packed record is bounded by the budget too: strings beyond the overhead reserved up front.
    const extra = maxPackedSize(x) - x.reserved;
    if (extra > 0) {
      if (!this.budget.tryReserve(extra)) {
        this.budget.release(x.reserved);
        this.dropped(x.profile.service, "buffer_full");
        return;
      }
      x.reserved += extra;
    }
    this.packer.pack(x);
  }

  /** A tap for this exchange when its service captures and the sample takes it; undefined otherwise. */
  observe(
    svc: ServiceState,
    action: ServiceAction,
    req: IncomingMessage,
    requestId: string,
  ): ExchangeObserver | undefined {
    const config = svc.config;
    if (!config.collectModelData || action !== "score") return undefined;
    const rate = config.dataCollection.sampleRate;
    if (rate < 1 && Math.random() >= rate) return undefined;
    if (!this.link) {
      this.noDestination(svc.name);
      return undefined;
    }
    if (this.closed) {
      this.dropped(svc.name, "shutdown");
      return undefined;
    }
    if (!this.budget.tryReserve(RECORD_OVERHEAD_BYTES)) {
      this.dropped(svc.name, "buffer_full");
      return undefined;
    }
    return new CaptureTap(this, this.profileOf(svc.name, config), config.dataCollection.maxBodyBytes, requestId, req);
  }

  /** The capture profile of a service config, sent to the writer the first time it is used. */
  private profileOf(service: string, config: ServiceConfig): CaptureProfile {
    let p = this.profiles.get(config);
    if (p) return p;
    if (this.profileCount >= MAX_PROFILES) {
      // Arenas already packed name the old ids: they go first, then the writer forgets them.
      this.packer.flush();
      this.link?.resetProfiles();
      this.profiles = new WeakMap();
      this.profileCount = 0;
    }
    const { models, dataCollection } = config;
    p = { id: this.nextProfileId++, service, models, redactJsonFields: dataCollection.redactJsonFields };
    this.profiles.set(config, p);
    this.profileCount++;
    this.link?.profile(p);
    return p;
  }

  dropped(service: string, reason: DropReason): void {
    this.metrics.dropped(service, reason);
  }

  private noDestination(service: string): void {
    this.metrics.dropped(service, "no_destination");
    if (this.warnedNoDestination.has(service)) return;
    this.warnedNoDestination.add(service);
    this.log.warn(
      { service },
      "collectModelData is on but this router has no model data destination (AKSML_MODEL_DATA_CONTAINER_URL, ..._CONNECTION_STRING or ..._DIR); requests are served, nothing is captured",
    );
  }

  /** Writes what is queued until `deadlineMs` (epoch ms); what is left then is dropped and counted. */
  async close(deadlineMs: number): Promise<void> {
    this.closed = true;
    clearInterval(this.handOverTimer);
    this.packer.flush();
    await this.link?.close(deadlineMs);
    this.metrics.stop();
  }
}
