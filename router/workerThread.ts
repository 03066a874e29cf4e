/**
 * Entry of a data-path worker thread (started by workerPool.ts): one DataPlane over the
 * slot table the main thread shares, its own metrics registry (scraped through the main
 * thread), its log lines forwarded to the main thread, and the main thread's messages
 * applied in order: catalog changes, the ready signal, a renewed certificate, a scrape
 * (metrics, or the endpoint versions' counts), the drain. Its capture and telemetry are
 * its own, built from the options every worker gets, and flushed when it drains. An
 * uncaught error ends the thread; the main thread restarts it.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Registry } from "prom-client";
import { DataPlane } from "./dataPlane.js";
import { createLogger } from "./log.js";
import { SlotTable } from "./slotTable.js";
import { ForwardedLog } from "./workerLog.js";
import type { FromWorker, ToWorker, WorkerStart } from "./workerMessages.js";
import type { MetricJson } from "./batchedMetrics.js";
import { DataObservers } from "./dataObservers.js";

const port = parentPort!;
const start = workerData as WorkerStart;
const post = (m: FromWorker) => port.postMessage(m);

const table = new SlotTable(start.buffer);
const forwarded = new ForwardedLog(port);
const log = createLogger(start.logLevel, forwarded);
const registry = new Registry();
// TLS material arrives as Uint8Arrays (structured clone); node's TLS takes them as they are.
const observers = await DataObservers.create(start.config.observe, registry, log);
const plane = new DataPlane(start.config, table, registry, log, observers);
for (const change of start.catalog.changes) plane.apply({ sequence: start.catalog.sequence, change });
table.setApplied(start.config.worker, start.catalog.sequence);
if (start.ready) plane.setReady();

port.on("message", (m: ToWorker) => {
  switch (m.type) {
    case "change":
      plane.apply(m.change);
      return;
    case "ready":
      plane.setReady();
      return;
    case "tls":
      plane.setSecureContext(m.pair);
      return;
    case "collect":
      void registry
        .getMetricsAsJSON()
        .then((metrics) => post({ type: "metrics", id: m.id, metrics: metrics as unknown as MetricJson[] }));
      return;
    case "versionStats":
      post({ type: "versionStats", id: m.id, readings: plane.registry.endpoints.stats.readings() });
      return;
    case "drain":
      void plane.drain(m.graceMs).then((left) => {
        forwarded.flush();
        post({ type: "drained", left });
      });
      return;
  }
});

post({ type: "listening", port: await plane.listen() });
