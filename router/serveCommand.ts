/**
 * `serve`: the router as the image runs it. Reads the environment, composes the
 * backend chosen by AKSML_BACKEND, starts the router and turns SIGTERM/SIGINT into
 * a graceful shutdown.
 */
import { loadRouterConfig, RouterConfigError, type RouterEnvConfig } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { startRouter, type StartRouterOptions } from "./startRouter.js";

type Composition = Pick<StartRouterOptions, "backend" | "leaderElection" | "adminRoutes" | "onStarted">;

async function compose(config: RouterEnvConfig): Promise<Composition> {
  if (config.backend === "kubernetes") {
    const { kubernetesRouterOptions } = await import("./backends/kubernetes/kubernetesRouter.js");
    return kubernetesRouterOptions(config);
  }
  // Local replicas are described by a services file, which `aksml local <file>` reads
  // and composes (cli/local); the image itself only runs in a cluster.
  throw new RouterConfigError([
    'AKSML_BACKEND=local is served by "aksml local <config file>" (npm run local), not by the image\'s serve command',
  ]);
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
      ...(await compose(config)),
      tls: config.tls,
      maxRequestBytes: config.maxRequestBytes,
      shutdownGraceMs: config.shutdownGraceMs,
      logger: log,
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
