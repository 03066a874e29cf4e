/**
 * Model data capture and Application Insights of one data-path worker (the main thread's
 * with one worker, each worker thread's own otherwise): its ModelDataCapture (buffer,
 * writer, blobs named after its thread) and its telemetry exporter, from options every
 * worker is given alike, so each writes what its own exchanges observed and flushes it
 * when it stops or is retired. A sink object cannot cross to a worker thread: a worker
 * is given the sink's plain `destination`, from which its capture writer thread builds
 * its own (capture/writerLink.ts).
 */
import type { Registry } from "prom-client";
import { ModelDataCapture, type ModelDataCaptureOptions } from "./capture/modelDataCapture.js";
import { CAPTURE_METRICS } from "./capture/captureMetrics.js";
import type { CaptureDestination } from "./capture/sinks.js";
import type { AppInsightsOptions, AppInsightsTelemetry } from "./telemetry/appInsights.js";
import { combineObservers, type ExchangeObservers } from "./exchangeObserver.js";
import type { Logger } from "./log.js";
import { CAPTURE_BUFFER_BYTES_RANGE, DEFAULT_CAPTURE_BUFFER_BYTES } from "./contract/routerEnvironment.js";

/** Capture options as they cross to a worker thread: the sink as its destination. */
export interface WorkerCaptureOptions extends Omit<ModelDataCaptureOptions, "sink"> {
  destination?: CaptureDestination;
}

/** What every data-path worker observes exchanges with (structured-cloneable). */
export interface ObserverOptions {
  capture?: WorkerCaptureOptions;
  appInsights?: AppInsightsOptions;
}

/**
 * The cloneable form of startRouter's options; throws for a sink no worker thread could
 * rebuild. The capture budget is the pod's: each of up to `workers` workers gets its
 * share (at least the contract's 1 MiB), so more workers never hold more capture memory.
 */
export function workerObserverOptions(
  capture: ModelDataCaptureOptions | undefined,
  appInsights: AppInsightsOptions | undefined,
  workers: number,
): ObserverOptions {
  if (!capture) return { appInsights };
  const { sink, ...rest } = capture;
  if (sink && !sink.destination)
    throw new Error(
      "this model data sink cannot be rebuilt in a worker thread (no destination): run one worker, or use a BlobCaptureSink or DirectoryCaptureSink",
    );
  const bufferBytes = workerShare(rest.bufferBytes ?? DEFAULT_CAPTURE_BUFFER_BYTES, workers);
  return { capture: { ...rest, bufferBytes, destination: sink ? sink.destination : rest.destination }, appInsights };
}

/** One worker's share of the pod's capture budget. */
export function workerShare(podBytes: number, workers: number): number {
  return Math.max(CAPTURE_BUFFER_BYTES_RANGE.min, Math.floor(podBytes / Math.max(1, workers)));
}

/** The metrics the workers' observers count, to be summed into the main thread's scrape (podMetrics.ts). */
export async function observerMetricDefs(
  options: ObserverOptions,
): Promise<ReadonlyArray<{ name: string; help: string; type: string }>> {
  const defs: { name: string; help: string; type: string }[] = [];
  if (options.capture) defs.push(...Object.values(CAPTURE_METRICS));
  if (options.appInsights) defs.push(...Object.values((await import("./telemetry/appInsights.js")).TELEMETRY_METRICS));
  return defs;
}

export class DataObservers {
  private constructor(
    readonly capture: ModelDataCapture | undefined,
    private readonly telemetry: AppInsightsTelemetry | undefined,
  ) {}

  /** `capture.sink` when given (the main thread's own sink), else `capture.destination` (a worker thread's). */
  static async create(
    options: {
      capture?: ModelDataCaptureOptions & { destination?: CaptureDestination };
      appInsights?: AppInsightsOptions;
    },
    registry: Registry,
    log: Logger,
  ): Promise<DataObservers> {
    const c = options.capture;
    const capture = c ? new ModelDataCapture(c, registry, log) : undefined;
    await capture?.ready();
    // The exporter and OpenTelemetry load only when the router sends telemetry.
    const telemetry = options.appInsights
      ? new (await import("./telemetry/appInsights.js")).AppInsightsTelemetry(options.appInsights, registry, log)
      : undefined;
    return new DataObservers(capture, telemetry);
  }

  /** The exchange observers, or undefined when neither is on (an exchange then allocates nothing for them). */
  get observers(): ExchangeObservers | undefined {
    return combineObservers(this.capture, this.telemetry);
  }

  /** Writes what capture and telemetry hold, until `deadlineMs` (epoch ms). */
  async close(deadlineMs: number): Promise<void> {
    await Promise.all([this.capture?.close(deadlineMs), this.telemetry?.shutdown(deadlineMs)]);
  }
}
