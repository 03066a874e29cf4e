/** Starts a real router on loopback ephemeral ports for a test. */
import { Writable } from "node:stream";
import { startRouter, type RunningRouter, type StartRouterOptions } from "../../../router/startRouter.js";
import { createLogger } from "../../../router/log.js";
import { StaticBackend, type StaticEndpoint, type StaticService } from "./staticBackend.js";

export interface TestRouter extends RunningRouter {
  backend: StaticBackend;
  /** Every log line the router wrote, as text. */
  logText(): string;
}

/**
 * Data-path workers of every test router: AKSML_TEST_WORKERS (default 1), so the whole
 * router suite can be run again with several worker threads
 * (`AKSML_TEST_WORKERS=2 npx vitest run test/router`). A test may still ask for its own count.
 */
export const TEST_WORKERS = Number(process.env.AKSML_TEST_WORKERS ?? 1);

/**
 * Blocks until every worker has applied the catalog's changes (at once with one worker): a
 * test that changes a service and sends a request right after must not race the message
 * to a worker thread. Atomics.wait may block the main thread in node; the workers apply
 * changes on their own threads.
 */
export function waitForWorkers(router: RunningRouter): void {
  if (router.catalogApplied()) return;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + 10_000;
  while (!router.catalogApplied()) {
    if (Date.now() > end) throw new Error("the router's workers did not apply a catalog change within 10 s");
    Atomics.wait(nap, 0, 0, 1);
  }
}

export async function startTestRouter(
  services: StaticService[],
  extra: Partial<StartRouterOptions> = {},
  endpoints: StaticEndpoint[] = [],
  backendOptions: { rollouts?: boolean } = {},
): Promise<TestRouter> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const backend = new StaticBackend(services, endpoints, backendOptions);
  const router = await startRouter({
    backend,
    host: "127.0.0.1",
    dataPort: 0,
    adminPort: 0,
    processMetrics: false,
    logger: createLogger("info", sink),
    shutdownGraceMs: 5000,
    workers: TEST_WORKERS,
    ...extra,
  });
  backend.afterChange = () => waitForWorkers(router);
  waitForWorkers(router);
  return { ...router, backend, logText: () => lines.join("") };
}

export const KEYS = {
  primaryKey: "pk-0123456789abcdef0123456789abcdef",
  secondaryKey: "sk-fedcba9876543210fedcba9876543210",
};
