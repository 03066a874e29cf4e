/**
 * `serve`: the router as the image runs it. Reads the environment, creates the
 * logger, builds the backend chosen by AKSML_BACKEND (backends/index.ts) with it,
 * starts the router around that backend with AKSML_WORKERS data-path workers (by default
 * one per whole CPU of the container's limit) and turns SIGTERM/SIGINT into a graceful
 * shutdown of all of them.
 */
import { loadRouterConfig, RouterConfigError, type RouterEnvConfig } from "./config.js";
import { ROUTER_ENV } from "./contract/routerEnvironment.js";
import type { RouterBackend } from "./contract/backend.js";
import { BACKENDS } from "./backends/index.js";
import { createLogger, type Logger } from "./log.js";
import { startRouter } from "./startRouter.js";

function createBackend(config: RouterEnvConfig, log: Logger): Promise<RouterBackend> {
  const create = BACKENDS[config.backend];
  if (!create)
    throw new RouterConfigError([
      `${ROUTER_ENV.backend}=${config.backend} is served by "aksml local <config file>" (npm run local), not by the image's serve command`,
    ]);
  return create(config, log);
}

export async function run(_argv: string[]): Promise<number> {
  let config: RouterEnvConfig;
  try {
    config = loadRouterConfig();
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const log: Logger = createLogger(config.logLevel);
  let router: Awaited<ReturnType<typeof startRouter>>;
  try {
    router = await startRouter({
      backend: await createBackend(config, log),
      tls: config.tls,
      acmeHttp01SolverUrl: config.acmeHttp01SolverUrl,
      maxRequestBytes: config.maxRequestBytes,
      shutdownGraceMs: config.shutdownGraceMs,
      maxConnections: config.maxConnections,
      workers: config.workers,
      serviceTableSize: config.serviceTableSize,
      replicaTableSize: config.replicaTableSize,
      logger: log,
      capture: {
        // Plain data: each capture writer thread builds its sink (the cluster's container with the pod's identity, by default).
        destination: config.modelData,
        bufferBytes: config.captureBufferBytes,
        podName: config.podName,
      },
      captureFlushMs: config.captureFlushMs,
      appInsights: config.appInsights && { ...config.appInsights, podName: config.podName },
    });
  } catch (e) {
    log.fatal({ err: (e as Error).message }, "router failed to start");
    return e instanceof RouterConfigError ? 2 : 1;
  }
  return new Promise<number>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, "signal received");
      router.stop().then(
        () => resolve(0),
        (e) => {
          log.error({ err: (e as Error).message }, "shutdown failed");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
