// One compiled router process (router/dist) in front of fixed replicas, for the benchmark.
// BENCH_SERVICES: JSON array of {name, url, auth: "key"|"none"}; key auth uses BENCH_KEY.
// Prints {"dataUrl", "adminUrl", "pid"} on stdout once listening; SIGTERM stops it.
import { startRouter } from "../../router/dist/startRouter.js";
import { parseServiceConfig } from "../../router/dist/contract/serviceConfig.js";

const key = process.env.BENCH_KEY ?? "bench-key-0123456789abcdef";
const services = JSON.parse(process.env.BENCH_SERVICES ?? "[]");

/** A RouterBackend with fixed replicas (no `scale`, so no autoscaler): what a Kubernetes watch would push, once. */
const backend = {
  async start(catalog) {
    for (const s of services) {
      const parsed = parseServiceConfig(s.name, {
        auth: { mode: s.auth },
        maxConcurrentRequestsPerContainer: 1024,
        maxRequestWaitTimeMs: 5000,
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
});
process.stderr.write(`${JSON.stringify({ dataUrl: router.dataUrl, adminUrl: router.adminUrl, pid: process.pid })}\n`);
process.once("SIGTERM", () => router.stop().then(() => process.exit(0)));
