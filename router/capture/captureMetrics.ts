/**
 * The capture's Prometheus metrics, in the router's registry: records written and
 * dropped (by reason) per service, storage errors, and the buffer's bytes read at
 * scrape time. Drops are also logged, once per interval with the counts since the last line.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "../log.js";
import type { CaptureCounters } from "./captureWriter.js";
import type { DropReason } from "./captureTap.js";

/** The capture's metrics: name, help, type (the main thread mirrors them by name from the data-path workers). */
export const CAPTURE_METRICS = {
  written: {
    name: "aksml_router_capture_records_total",
    help: "Captured requests written to model data storage (each is an inputs and a predictions record).",
    type: "counter",
  },
  dropped: {
    name: "aksml_router_capture_dropped_total",
    help: "Captured requests dropped: buffer_full, storage (given up), shutdown (not written within the flush bound), writer_failed (lost with a writer thread that ended), no_destination.",
    type: "counter",
  },
  storageErrors: {
    name: "aksml_router_capture_storage_errors_total",
    help: "Failed appends to model data storage (each is retried with back-off).",
    type: "counter",
  },
  bufferBytes: {
    name: "aksml_router_capture_buffer_bytes",
    help: "Bytes held by model data capture (bodies being copied and records waiting to be written), in this process.",
    type: "gauge",
  },
} as const;

/** Every capture drop reason, the writer's and the router's ("no_destination": capture on, nowhere to write). */
export type CaptureDropReason = DropReason | "no_destination";

export class CaptureMetrics implements CaptureCounters {
  private readonly writtenTotal: Counter<"service">;
  private readonly droppedTotal: Counter<"service" | "reason">;
  private readonly storageErrors: Counter;
  private readonly pendingDrops = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    registry: Registry,
    bufferBytes: () => number,
    private readonly log: Logger,
    logIntervalMs = 10_000,
  ) {
    const registers = [registry];
    const m = CAPTURE_METRICS;
    this.writtenTotal = new Counter({ ...m.written, labelNames: ["service"], registers });
    this.droppedTotal = new Counter({ ...m.dropped, labelNames: ["service", "reason"], registers });
    this.storageErrors = new Counter({ ...m.storageErrors, registers });
    new Gauge({
      ...m.bufferBytes,
      registers,
      collect() {
        this.set(bufferBytes());
      },
    });
    this.timer = setInterval(() => this.logDrops(), logIntervalMs);
    this.timer.unref();
  }

  written(service: string, n: number): void {
    this.writtenTotal.inc({ service }, n);
  }

  dropped(service: string, reason: CaptureDropReason, n = 1): void {
    this.droppedTotal.inc({ service, reason }, n);
    const key = `${service}\u0000${reason}`;
    this.pendingDrops.set(key, (this.pendingDrops.get(key) ?? 0) + n);
  }

  storageError(): void {
    this.storageErrors.inc();
  }

  /** One warning per interval naming what was dropped since the last one. */
  logDrops(): void {
    if (this.pendingDrops.size === 0) return;
    const dropped = [...this.pendingDrops].map(([key, n]) => {
      const [service, reason] = key.split("\u0000");
      return { service, reason, n };
    });
    this.pendingDrops.clear();
    this.log.warn({ dropped }, "model data capture dropped records");
  }

  stop(): void {
    clearInterval(this.timer);
    this.logDrops();
  }
}
