/**
 * Composes one router process around a backend: the catalog (fed by the backend), the
 * slot table and the data-path workers (one in this thread, or N worker threads each
 * listening on the data port), metrics, the admin listener, the backend's leader election,
 * and the control loops (autoscaler, peer load endpoint, self-scaling, endpoints' rollouts)
 * that what the backend offers calls for. `serve` (the image), `aksml local` and the tests all build
 * routers through this function.
 *
 * The main thread runs everything but the data path: the backend, the catalog, leadership,
 * the control loops, the admin and ACME listeners, certificate reloads, and it drives the
 * workers (dataPlanes.ts). The workers share per-replica slots, the queues' order and
 * bounds and the connection count through the slot table, so every limit holds for the pod.
 * Endpoints reach every worker as catalog changes; each worker routes them, mirrors with
 * its own MirrorSender and captures and traces its own exchanges (dataObservers.ts); the
 * rollout loop here reads the endpoint versions' counts summed over the workers.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import type { LeaderElection, RolloutEvent, RouterBackend } from "./contract/backend.js";
import { MAX_REQUEST_BYTES } from "./contract/serviceConfig.js";
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REPLICA_TABLE_SIZE,
  DEFAULT_SERVICE_TABLE_SIZE,
  ROUTER_ADMIN_PORT,
  ROUTER_HTTP_PORT,
  ROUTER_HTTPS_PORT,
} from "./contract/routerEnvironment.js";
import { RouterCatalog } from "./catalog.js";
import { RouterMetrics } from "./metrics.js";
import { createLogger, type Logger } from "./log.js";
import { adminHandler, type AdminRouteHandler } from "./httpHandlers.js";
import { ControlLoops } from "./controlLoops.js";
import type { ScalingDecision } from "./autoscaler/autoscaler.js";
import { loadPemPair, watchTlsFiles, type TlsFiles } from "./tls.js";
import { DATA_LISTENER_TIMEOUTS, type DataListenerTimeouts } from "./clientLimits.js";
import { createAcmeChallengeServer, type AcmeChallengeServer } from "./acmeChallenge.js";
import { SlotTable } from "./slotTable.js";
import { LocalDataPlane, type DataPlanes } from "./dataPlanes.js";
import { WorkerPool } from "./workerPool.js";
import { workerPlan } from "./workerCount.js";
import type { DataPlaneConfig } from "./dataPlane.js";
import type { ServiceRegistry } from "./registry.js";
import type { ModelDataCaptureOptions, ModelDataCapture } from "./capture/modelDataCapture.js";
import { describeDestination } from "./capture/sinks.js";
import type { AppInsightsOptions } from "./telemetry/appInsights.js";
import { EndpointMetrics, ENDPOINT_TRAFFIC_METRICS } from "./endpoints/endpointMetrics.js";
import type { VersionStatsSource } from "./endpoints/versionStats.js";
import { DataObservers, observerMetricDefs, workerObserverOptions } from "./dataObservers.js";

export type { AdminRouteHandler };

/** The live pieces of a running router. */
export interface RouterParts {
  /** The catalog of services (main thread): settings, problems, demand over all workers. */
  registry: RouterCatalog;
  metrics: RouterMetrics;
  log: Logger;
  backend: RouterBackend;
  /** The backend's election, when router processes elect a scaling leader. */
  leaderElection?: LeaderElection;
}

export interface StartRouterOptions {
  backend: RouterBackend;
  /**
   * Extra admin-port routes by exact path, or by prefix when the key ends in "/" (they
   * take precedence over the router's own).
   */
  adminRoutes?: ReadonlyMap<string, AdminRouteHandler>;
  /** Called for every autoscaler decision that changes a replica count, e.g. to print it. */
  onScalingDecision?: (d: ScalingDecision) => void;
  /** Called for every rollout decision this router takes as leader, e.g. to print it. */
  onRolloutDecision?: (endpoint: string, event: RolloutEvent) => void;
  /** How often the rollout loop looks at endpoints' rollouts (tests shorten it). @default 1000 */
  rolloutCheckIntervalMs?: number;
  /** @default "0.0.0.0" */
  host?: string;
  /** Address of the admin listener. @default host */
  adminHost?: string;
  /** @default 8080, or 8443 with TLS; 0 picks a free port. */
  dataPort?: number;
  /** @default 9091; 0 picks a free port. */
  adminPort?: number;
  tls?: TlsFiles;
  /** @default 2000 */
  tlsPollMs?: number;
  /**
   * With `tls`: cert-manager's HTTP-01 solver (`http://host:port`). The router then also
   * listens on the ACME port and answers `/.well-known/acme-challenge/<token>` there only.
   */
  acmeHttp01SolverUrl?: string;
  /** @default 8080; 0 picks a free port. */
  acmePort?: number;
  /** @default 104857600 */
  maxRequestBytes?: number;
  /** The router's logger; create it first and hand the same one to the backend. */
  logger?: Logger;
  /** @default "info" (ignored when `logger` is given) */
  logLevel?: string;
  /** Longest wait for in-flight requests on shutdown. @default 30000 */
  shutdownGraceMs?: number;
  /** Collect Node process metrics (off in tests that run several routers). @default true */
  processMetrics?: boolean;
  /** Client connections served at once over all workers; one more gets a 503. @default 4096 (AKSML_MAX_CONNECTIONS) */
  maxConnections?: number;
  /** The data listener's client timeouts (clientLimits.ts); tests shorten them. @default DATA_LISTENER_TIMEOUTS */
  clientTimeouts?: Partial<DataListenerTimeouts>;
  /**
   * Data-path workers: 1 serves the data port from this thread; more start that many
   * worker threads sharing the port (Linux); "auto" (what `serve` passes for AKSML_WORKERS
   * unset or auto) runs worker threads, as many as the whole cores of the CPU limit, and
   * follows the limit live (an in-place resize). @default 1
   */
  workers?: number | "auto";
  /**
   * The container's CPU limit in cores, read for `workers: "auto"` at start and every
   * `pollMs` after (tests give their own). @default the cgroup quota, every 5 s (autoscaler/cpuQuota.ts)
   */
  cpuLimit?: { read(): number | undefined; pollMs?: number };
  /** Services served at once. @default 1024 (AKSML_SERVICE_TABLE_SIZE) */
  serviceTableSize?: number;
  /** Replicas tracked at once over all services. @default 8192 (AKSML_REPLICA_TABLE_SIZE) */
  replicaTableSize?: number;
  /**
   * Model data capture for services with `collectModelData` (router/capture/), in every
   * data-path worker (each its own buffer, writer and blobs; with worker threads the sink
   * must have a `destination` to be rebuilt from). @default none
   */
  capture?: ModelDataCaptureOptions;
  /** Application Insights telemetry for services with `appInsightsEnabled` (router/telemetry/), from every worker. @default none */
  appInsights?: AppInsightsOptions;
  /** On stop (or a worker's retirement), how long capture and telemetry may take to write what they hold. @default 10000 */
  captureFlushMs?: number;
}

export interface RunningRouter extends RouterParts {
  /** Model data capture, when `capture` was given and the router has one worker (in this thread). */
  capture?: ModelDataCapture;
  /** The endpoint versions' counts the rollout loop reads (over every worker; `refresh` before reading). */
  versionStats: VersionStatsSource;
  dataUrl: string;
  adminUrl: string;
  /** The ACME HTTP-01 port, when `acmeHttp01SolverUrl` is set. */
  acmeUrl?: string;
  /** How many data-path workers served the data port at start (with `workers: "auto"` the pool follows the CPU limit after). */
  workers: number;
  /** Graceful: stop accepting, /readyz 503, finish in-flight requests (bounded), stop the backend. */
  stop(): Promise<void>;
  /** Requests currently being answered on the data port, over all workers. */
  activeRequests(): number;
  /** True once every worker has applied every catalog change the backend pushed so far. */
  catalogApplied(): boolean;
  /** With several workers: the pool (tests end a worker with it, as a crash would). */
  workerPool?: WorkerPool;
  /** With one worker: its registry of services, in this thread (tests inspect the data path's own state). */
  dataRegistry?: ServiceRegistry;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

export async function startRouter(options: StartRouterOptions): Promise<RunningRouter> {
  if (options.acmeHttp01SolverUrl !== undefined && !options.tls)
    throw new Error("acmeHttp01SolverUrl needs tls: the ACME port obtains the certificate the HTTPS port serves");
  const plan = workerPlan(options.workers ?? 1, options.cpuLimit?.read);
  const { workers } = plan;
  const log = options.logger ?? createLogger(options.logLevel ?? "info");
  const host = options.host ?? "0.0.0.0";
  const adminHost = options.adminHost ?? host;
  const table = SlotTable.create({
    workers: plan.capacity,
    serviceRows: options.serviceTableSize ?? DEFAULT_SERVICE_TABLE_SIZE,
    replicaRows: options.replicaTableSize ?? DEFAULT_REPLICA_TABLE_SIZE,
  });
  const catalog = new RouterCatalog(table, log);
  const metrics = new RouterMetrics(catalog, { defaultMetrics: options.processMetrics ?? true });
  let ready = false;
  let draining = false;
  const health = { ready: () => ready, draining: () => draining };

  const planeConfig: Omit<DataPlaneConfig, "worker"> = {
    host,
    port: options.dataPort ?? (options.tls ? ROUTER_HTTPS_PORT : ROUTER_HTTP_PORT),
    reusePort: plan.capacity > 1,
    // Session tickets every worker can decrypt: a client's next connection may land on another.
    tls: options.tls ? { pair: loadPemPair(options.tls), ticketKeys: randomBytes(48) } : undefined,
    timeouts: { ...DATA_LISTENER_TIMEOUTS, ...options.clientTimeouts },
    maxRequestBytes: options.maxRequestBytes ?? MAX_REQUEST_BYTES,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    observe: plan.capacity > 1 ? workerObserverOptions(options.capture, options.appInsights, plan.capacity) : {},
    captureFlushMs: options.captureFlushMs,
  };
  // A live count runs worker threads even at 1, so the pool can grow without moving the listener.
  const pool =
    plan.capacity > 1
      ? new WorkerPool({
          config: planeConfig,
          workers,
          table,
          catalog,
          log,
          metricsRegistry: metrics.registry,
          extraMetrics: [
            ...Object.values(ENDPOINT_TRAFFIC_METRICS),
            ...(await observerMetricDefs(planeConfig.observe)),
          ],
          retireGraceMs: options.shutdownGraceMs ?? 30_000,
        })
      : undefined;
  // One worker: capture and telemetry in this thread, with the caller's own sink.
  const localObservers = pool
    ? undefined
    : await DataObservers.create({ capture: options.capture, appInsights: options.appInsights }, metrics.registry, log);
  const local = pool ? undefined : new LocalDataPlane(planeConfig, table, metrics.registry, log, localObservers!);
  const planes: DataPlanes = pool ?? local!;
  catalog.attach(planes);

  const { backend } = options;
  const election = backend.leadership?.election;
  const control = new ControlLoops(backend, {
    registry: catalog,
    metrics,
    log,
    onScalingDecision: options.onScalingDecision,
    endpointMetrics: new EndpointMetrics(metrics.registry, catalog.endpoints),
    versionStats: planes.versionStats,
    onRolloutDecision: options.onRolloutDecision,
    rolloutCheckIntervalMs: options.rolloutCheckIntervalMs,
    workers: plan.live ? pool : undefined,
    cpuLimit: options.cpuLimit,
  });
  const adminRoutes = new Map([...control.adminRoutes, ...(options.adminRoutes ?? [])]);
  const admin = createHttpServer(adminHandler(catalog, metrics, health, log, adminRoutes));
  let stopTlsWatch: (() => void) | undefined;
  let acme: AcmeChallengeServer | undefined;
  const closeAll = async () => {
    stopTlsWatch?.();
    catalog.stop();
    admin.closeAllConnections();
    await Promise.all([planes.close(), new Promise((r) => admin.close(r)), acme?.close()]);
  };

  let dataPort: number;
  let adminPort: number;
  let acmePort: number | undefined;
  try {
    dataPort = await planes.start();
    if (options.tls)
      stopTlsWatch = watchTlsFiles(options.tls, (pair) => planes.setSecureContext(pair), log, options.tlsPollMs);
    adminPort = await listen(admin, options.adminPort ?? ROUTER_ADMIN_PORT, adminHost);
    // Challenges are answered from the first second: the certificate may not be issued yet.
    if (options.acmeHttp01SolverUrl !== undefined) {
      acme = createAcmeChallengeServer(options.acmeHttp01SolverUrl, log);
      acmePort = await listen(acme.server, options.acmePort ?? ROUTER_HTTP_PORT, host);
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  const shown = (h: string) => (h === "0.0.0.0" ? "127.0.0.1" : h);
  const shownHost = shown(host);
  const parts: RouterParts = { registry: catalog, metrics, log, backend, leaderElection: election };

  try {
    await backend.start(catalog);
    await election?.start();
    control.start();
  } catch (e) {
    // Leave nothing listening behind a failed start.
    await closeAll();
    await backend.stop().catch(() => undefined);
    throw e;
  }
  ready = true;
  planes.setReady();
  log.info(
    {
      dataPort,
      adminPort,
      acmePort,
      tls: Boolean(options.tls),
      workers,
      modelData: options.capture ? captureDescription(options.capture) : undefined,
      appInsights: options.appInsights ? true : undefined,
    },
    "router started",
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      log.info(
        { active: planes.activeRequests(), workers },
        "shutting down: no new connections, finishing in-flight requests",
      );
      await planes.drain(options.shutdownGraceMs ?? 30_000);
      stopTlsWatch?.();
      await acme?.close();
      await control.stop();
      await election?.stop();
      await backend.stop();
      catalog.stop();
      await new Promise<void>((resolve) => {
        admin.close(() => resolve());
        admin.closeAllConnections();
      });
      log.info("router stopped");
      // Out before the process exits (bounded: a stuck log reader cannot hold the stop).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        log.flush(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    })());

  return {
    ...parts,
    dataUrl: `${options.tls ? "https" : "http"}://${shownHost}:${dataPort}`,
    adminUrl: `http://${shown(adminHost)}:${adminPort}`,
    acmeUrl: acmePort === undefined ? undefined : `http://${shownHost}:${acmePort}`,
    workers,
    capture: localObservers?.capture,
    versionStats: planes.versionStats,
    stop,
    activeRequests: () => planes.activeRequests(),
    catalogApplied: () => catalog.applied(),
    workerPool: pool,
    dataRegistry: local?.registry,
  };
}

/** Where capture writes, for the startup line (never a connection string's key). */
function captureDescription(c: ModelDataCaptureOptions): string {
  if (c.sink) return c.sink.description;
  return c.destination ? describeDestination(c.destination) : "none";
}
