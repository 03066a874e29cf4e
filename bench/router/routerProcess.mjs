// One compiled router process (router/dist) in front of fixed replicas, for the benchmark.
// Environment:
//   BENCH_SERVICES    JSON array of {name, url, auth: "key"|"none"}; key auth uses BENCH_KEY.
//   BENCH_KEY         the services' primary key (default bench-key-0123456789abcdef).
//   BENCH_DATA_PORT   data listener port on 127.0.0.1 (0: any free port).
//   BENCH_ADMIN_PORT  admin listener port on 127.0.0.1 (0: any free port).
//   BENCH_WORKERS     router data-path worker threads (default 1); see WORKERS below.
//   AKSML_LOG_LEVEL   default "info": one JSON access line per request on stdout.
//   BENCH_CAPTURE_DIR model data capture on (collectModelData, sampleRate 1) for every service,
//                     written under this folder (the `aksml local` destination); unset: off.
// Prints {"dataUrl", "adminUrl", "pid", "workersRequested", "workers"} on stderr once
// listening; SIGTERM stops it gracefully (so a --cpu-prof profile gets written).
import { startRouter } from "../../router/dist/startRouter.js";
import { parseServiceConfig } from "../../router/dist/contract/serviceConfig.js";
import { DirectoryCaptureSink } from "../../router/dist/capture/sinks.js";

const key = process.env.BENCH_KEY ?? "bench-key-0123456789abcdef";
const services = JSON.parse(process.env.BENCH_SERVICES ?? "[]");
const captureDir = process.env.BENCH_CAPTURE_DIR || undefined;
const workersRequested = Number(process.env.BENCH_WORKERS ?? 1);
if (!Number.isInteger(workersRequested) || workersRequested < 1) {
  process.stderr.write(`BENCH_WORKERS must be a positive integer, got ${JSON.stringify(process.env.BENCH_WORKERS)}\n`);
  process.exit(2);
}

// WORKERS: startRouter's `workers` (data-path worker threads in this process, sharing the
// data port with SO_REUSEPORT). run.sh reads the effective count back from the ready line,
// and charges CPU to this process (all its threads) and all its descendants.
const ROUTER_SUPPORTS_WORKERS = true;
let workers = workersRequested;
if (!ROUTER_SUPPORTS_WORKERS && workersRequested !== 1) {
  process.stderr.write(
    `warning: BENCH_WORKERS=${workersRequested}: router has no worker support yet; running 1 process\n`,
  );
  workers = 1;
}

/** A RouterBackend with fixed replicas (no `scale`, so no autoscaler): what a Kubernetes watch would push, once. */
const backend = {
  async start(catalog) {
    for (const s of services) {
      const parsed = parseServiceConfig(s.name, {
        auth: { mode: s.auth },
        maxConcurrentRequestsPerContainer: 1000, // the contract's maximum: never the limit here
        maxRequestWaitTimeMs: 5000,
        ...(captureDir ? { collectModelData: true, models: [{ name: s.name, version: 1 }] } : {}),
      });
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
      catalog.upsert({
        name: s.name,
        config: parsed.config,
        keys: { primaryKey: key, secondaryKey: `${key}-2` },
        replicas: [{ id: `${s.name}-0`, url: s.url }],
        currentReplicas: 1,
      });
    }
  },
  async stop() {},
};

const router = await startRouter({
  backend,
  host: "127.0.0.1",
  dataPort: Number(process.env.BENCH_DATA_PORT ?? 0),
  adminPort: Number(process.env.BENCH_ADMIN_PORT ?? 0),
  logLevel: process.env.AKSML_LOG_LEVEL ?? "info",
  ...(captureDir ? { capture: { sink: new DirectoryCaptureSink(captureDir), podName: "bench" } } : {}),
  ...(ROUTER_SUPPORTS_WORKERS ? { workers } : {}),
});
// Before the line that says it listens, so a SIGTERM sent on reading it stops it gracefully.
process.once("SIGTERM", () => router.stop().then(() => process.exit(0)));
process.stderr.write(
  `${JSON.stringify({ dataUrl: router.dataUrl, adminUrl: router.adminUrl, pid: process.pid, workersRequested, workers: router.workers })}\n`,
);
