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
    ...extra,
  });
  return { ...router, backend, logText: () => lines.join("") };
}

export const KEYS = {
  primaryKey: "pk-0123456789abcdef0123456789abcdef",
  secondaryKey: "sk-fedcba9876543210fedcba9876543210",
};
