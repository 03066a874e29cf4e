/**
 * Model data collection, done by the router (Azure ML v1's `collect_model_data`, without
 * `ModelDataCollector` in score.py): for a service with `collectModelData` on, a sampled
 * share of its scoring requests is copied as it passes (CaptureTap), queued in this
 * writer's bounded buffer and written asynchronously in batches (CaptureWriter).
 *
 * One ModelDataCapture per data-listener thread: its buffer, writer and blob names are
 * its own (`instance` names the pod, the thread and the run), so several threads of one
 * pod never write the same blob, and each flushes its own buffer when it stops.
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
import { CaptureBuffer } from "./captureBuffer.js";
import type { CapturedExchange } from "./captureRecord.js";
import { CaptureMetrics } from "./captureMetrics.js";
import { CaptureTap, RECORD_OVERHEAD_BYTES, type CaptureTarget, type DropReason } from "./captureTap.js";
import { CaptureWriter, MAX_APPEND_BYTES } from "./captureWriter.js";
import { redactionPlan, type RedactionPlan } from "./redact.js";
import type { CaptureSink } from "./sinks.js";

import { DEFAULT_CAPTURE_BUFFER_BYTES } from "../contract/routerEnvironment.js";

export { DEFAULT_CAPTURE_FLUSH_MS } from "../contract/routerEnvironment.js";

export interface ModelDataCaptureOptions {
  /** Where records go; without one, capture-enabled services only count `no_destination` drops. */
  sink?: CaptureSink;
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
  readonly buffer: CaptureBuffer;
  readonly metrics: CaptureMetrics;
  /** `<pod>-w<thread>-<run>`: this writer's part of every blob name. */
  readonly instance: string;
  private readonly writer: CaptureWriter | undefined;
  private readonly sink: CaptureSink | undefined;
  private readonly plans = new WeakMap<ServiceConfig, RedactionPlan>();
  private readonly warnedNoDestination = new Set<string>();
  private closed = false;

  constructor(
    options: ModelDataCaptureOptions,
    registry: Registry,
    private readonly log: Logger,
  ) {
    const capacity = options.bufferBytes ?? DEFAULT_CAPTURE_BUFFER_BYTES;
    const batchBytes = Math.min(MAX_APPEND_BYTES, Math.max(64 * 1024, Math.floor(capacity / 4)));
    this.buffer = new CaptureBuffer(capacity, batchBytes);
    this.metrics = new CaptureMetrics(registry, () => this.buffer.bytes, log);
    this.instance = `${options.podName}-w${threadId}-${randomBytes(3).toString("hex")}`;
    this.sink = options.sink;
    if (options.sink) {
      this.writer = new CaptureWriter({
        sink: options.sink,
        buffer: this.buffer,
        instance: this.instance,
        flushIntervalMs: options.flushIntervalMs ?? 1000,
        batchBytes,
        maxBlobBytes: options.maxBlobBytes ?? 64 * 1024 * 1024,
        backoffInitialMs: options.backoffInitialMs ?? 500,
        backoffMaxMs: options.backoffMaxMs ?? 30_000,
        counters: this.metrics,
        log,
      });
      this.writer.start();
    }
  }

  /** Where records land (for the startup log line), or undefined without a destination. */
  get destination(): string | undefined {
    return this.sink?.description;
  }

  /** A finished capture: queued for the writer, or dropped once the writer has stopped. */
  enqueue(x: CapturedExchange): void {
    if (this.writer && !this.writer.finished) {
      this.buffer.enqueue(x);
      return;
    }
    this.buffer.release(x.reserved);
    this.dropped(x.service, "shutdown");
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
    if (!this.writer) {
      this.noDestination(svc.name);
      return undefined;
    }
    if (this.closed) {
      this.dropped(svc.name, "shutdown");
      return undefined;
    }
    if (!this.buffer.tryReserve(RECORD_OVERHEAD_BYTES)) {
      this.dropped(svc.name, "buffer_full");
      return undefined;
    }
    let plan = this.plans.get(config);
    if (!plan) {
      plan = redactionPlan(config.dataCollection.redactJsonFields);
      this.plans.set(config, plan);
    }
    return new CaptureTap(this, svc.name, config.models, config.dataCollection.maxBodyBytes, plan, requestId, req);
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
    await this.writer?.close(deadlineMs);
    this.metrics.stop();
  }
}
