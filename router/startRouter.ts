/**
 * Composes one router process around a backend: registry, metrics, upstream pool,
 * the data listener (HTTP or HTTPS) and the admin listener, the backend feeding the
 * registry, its leader election, and the control loops (autoscaler, peer load
 * endpoint, self-scaling) that what the backend offers calls for. `serve` (the
 * image), `aksml local` and the tests all build routers through this function.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { Agent } from "undici";
import type { LeaderElection, RolloutEvent, RouterBackend } from "./contract/backend.js";
import { MAX_REQUEST_BYTES } from "./contract/serviceConfig.js";
import {
  DEFAULT_MAX_CONNECTIONS,
  ROUTER_ADMIN_PORT,
  ROUTER_HTTP_PORT,
  ROUTER_HTTPS_PORT,
} from "./contract/routerEnvironment.js";
import { ServiceRegistry } from "./registry.js";
import { RouterMetrics } from "./metrics.js";
import { createLogger, type Logger } from "./log.js";
import { adminHandler, dataHandler, type AdminRouteHandler } from "./httpHandlers.js";
import { ControlLoops } from "./controlLoops.js";
import type { ScalingDecision } from "./autoscaler/autoscaler.js";
import { loadPemPair, watchTlsFiles, type TlsFiles } from "./tls.js";
import { ClientConnections } from "./clientConnections.js";
import { closeIdleAfterLinger, stopAccepting } from "./connectionDrain.js";
import { WriteStallWatch } from "./writeStalls.js";
import { DATA_LISTENER_TIMEOUTS, dataServerOptions, type DataListenerTimeouts } from "./clientLimits.js";
import { createAcmeChallengeServer, type AcmeChallengeServer } from "./acmeChallenge.js";
import {
  DEFAULT_CAPTURE_FLUSH_MS,
  ModelDataCapture,
  type ModelDataCaptureOptions,
} from "./capture/modelDataCapture.js";
import type { AppInsightsOptions, AppInsightsTelemetry } from "./telemetry/appInsights.js";
import { combineObservers } from "./exchangeObserver.js";
import { EndpointMetrics } from "./endpoints/endpointMetrics.js";
import { MirrorSender } from "./endpoints/mirror.js";

export type { AdminRouteHandler };

/** The live pieces of a running router. */
export interface RouterParts {
  registry: ServiceRegistry;
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
  /** Client connections served at once; one more gets a 503. @default 4096 (AKSML_MAX_CONNECTIONS) */
  maxConnections?: number;
  /** The data listener's client timeouts (clientLimits.ts); tests shorten them. @default DATA_LISTENER_TIMEOUTS */
  clientTimeouts?: Partial<DataListenerTimeouts>;
  /** Model data capture for services with `collectModelData` (router/capture/). @default none */
  capture?: ModelDataCaptureOptions;
  /** Application Insights telemetry for services with `appInsightsEnabled` (router/telemetry/). @default none */
  appInsights?: AppInsightsOptions;
  /** On stop, how long capture and telemetry may take to write what they hold. @default 10000 */
  captureFlushMs?: number;
}

export interface RunningRouter extends RouterParts {
  /** Model data capture, when `capture` was given. */
  capture?: ModelDataCapture;
  dataUrl: string;
  adminUrl: string;
  /** The ACME HTTP-01 port, when `acmeHttp01SolverUrl` is set. */
  acmeUrl?: string;
  /** Graceful: stop accepting, /readyz 503, finish in-flight requests (bounded), stop the backend. */
  stop(): Promise<void>;
  /** Requests currently being answered on the data port. */
  activeRequests(): number;
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

export async function startRouter(options: StartRouterOptions): Promise<RunningRouter> {
  if (options.acmeHttp01SolverUrl !== undefined && !options.tls)
    throw new Error("acmeHttp01SolverUrl needs tls: the ACME port obtains the certificate the HTTPS port serves");
  const log = options.logger ?? createLogger(options.logLevel ?? "info");
  const host = options.host ?? "0.0.0.0";
  const registry = new ServiceRegistry(log);
  const metrics = new RouterMetrics(registry, { defaultMetrics: options.processMetrics ?? true });
  // Idle upstream sockets are dropped after 1.5 s unless the replica advertises a longer
  // `Keep-Alive: timeout` (undici honours the hint): the Azure ML inference server's
  // gunicorn closes idle connections after 2 s without saying so, and a request written
  // onto a socket the replica is closing fails with a reset (then retried, see retryDecision.ts).
  const agent = new Agent({
    keepAliveTimeout: 1_500,
    keepAliveMaxTimeout: 600_000,
    connections: null,
    pipelining: 1,
    connect: { timeout: 5000 },
  });
  let ready = false;
  let draining = false;
  const health = { ready: () => ready, draining: () => draining };
  const timeouts: DataListenerTimeouts = { ...DATA_LISTENER_TIMEOUTS, ...options.clientTimeouts };
  const writeStalls = new WriteStallWatch(timeouts.writeStallMs);
  const endpointMetrics = new EndpointMetrics(metrics.registry, registry.endpoints);
  const mirrors = new MirrorSender(agent, { metrics: endpointMetrics });

  const capture = options.capture ? new ModelDataCapture(options.capture, metrics.registry, log) : undefined;
  // The exporter and OpenTelemetry load only when the router sends telemetry.
  const telemetry: AppInsightsTelemetry | undefined = options.appInsights
    ? new (await import("./telemetry/appInsights.js")).AppInsightsTelemetry(options.appInsights, metrics.registry, log)
    : undefined;
  const handle = dataHandler(
    {
      registry,
      metrics,
      log,
      agent,
      maxRequestBytes: options.maxRequestBytes ?? MAX_REQUEST_BYTES,
      draining: () => draining,
      writeStalls,
      observers: combineObservers(capture, telemetry),
      mirrors,
    },
    health,
  );
  const clients = new ClientConnections(handle, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, metrics);
  metrics.watchConnections(clients);

  let data: Server;
  let stopTlsWatch: (() => void) | undefined;
  if (options.tls) {
    const https = createHttpsServer({
      ...loadPemPair(options.tls),
      ...dataServerOptions(timeouts),
      minVersion: "TLSv1.2",
      handshakeTimeout: timeouts.tlsHandshakeTimeoutMs,
    });
    stopTlsWatch = watchTlsFiles(https, options.tls, log, options.tlsPollMs);
    data = https;
  } else data = createHttpServer(dataServerOptions(timeouts));
  clients.attach(data, Boolean(options.tls));

  const { backend } = options;
  const election = backend.leadership?.election;
  const control = new ControlLoops(backend, {
    registry,
    metrics,
    endpointMetrics,
    log,
    onScalingDecision: options.onScalingDecision,
    onRolloutDecision: options.onRolloutDecision,
    rolloutCheckIntervalMs: options.rolloutCheckIntervalMs,
  });
  const adminRoutes = new Map([...control.adminRoutes, ...(options.adminRoutes ?? [])]);
  const admin = createHttpServer(adminHandler(registry, metrics, health, log, adminRoutes));
  const dataPort = await listen(data, options.dataPort ?? (options.tls ? ROUTER_HTTPS_PORT : ROUTER_HTTP_PORT), host);
  const adminHost = options.adminHost ?? host;
  const adminPort = await listen(admin, options.adminPort ?? ROUTER_ADMIN_PORT, adminHost);
  // Challenges are answered from the first second: the certificate may not be issued yet.
  let acme: AcmeChallengeServer | undefined;
  let acmePort: number | undefined;
  if (options.acmeHttp01SolverUrl !== undefined) {
    acme = createAcmeChallengeServer(options.acmeHttp01SolverUrl, log);
    acmePort = await listen(acme.server, options.acmePort ?? ROUTER_HTTP_PORT, host);
  }
  const shown = (h: string) => (h === "0.0.0.0" ? "127.0.0.1" : h);
  const shownHost = shown(host);
  const parts: RouterParts = { registry, metrics, log, backend, leaderElection: election };

  try {
    await backend.start(registry);
    await election?.start();
    control.start();
  } catch (e) {
    // Leave nothing listening behind a failed start.
    stopTlsWatch?.();
    data.closeAllConnections();
    admin.closeAllConnections();
    await Promise.all([
      new Promise((r) => data.close(r)),
      new Promise((r) => admin.close(r)),
      agent.close(),
      acme?.close(),
      capture?.close(Date.now()),
      telemetry?.shutdown(Date.now()),
    ]);
    writeStalls.stop();
    await backend.stop().catch(() => undefined);
    throw e;
  }
  ready = true;
  log.info(
    {
      dataPort,
      adminPort,
      acmePort,
      tls: Boolean(options.tls),
      modelData: capture ? (capture.destination ?? "none") : undefined,
      appInsights: telemetry ? true : undefined,
    },
    "router started",
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      mirrors.close();
      log.info({ active: clients.activeRequests() }, "shutting down: no new connections, finishing in-flight requests");
      // Not data.close(): it would close idle keep-alive connections a client may be sending on (connectionDrain.ts).
      const closed = stopAccepting(data);
      await closeIdleAfterLinger(data, () => clients.activeRequests());
      if (clients.activeRequests() > 0) {
        const grace = options.shutdownGraceMs ?? 30_000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([clients.whenIdle(), new Promise((resolve) => (timer = setTimeout(resolve, grace)))]);
        clearTimeout(timer);
      }
      const left = clients.activeRequests();
      if (left > 0) log.warn({ active: left }, "grace period over; closing remaining connections");
      data.closeAllConnections();
      await closed;
      // Every exchange has finished: what capture and telemetry hold is written now, bounded.
      const flushDeadline = Date.now() + (options.captureFlushMs ?? DEFAULT_CAPTURE_FLUSH_MS);
      await Promise.all([capture?.close(flushDeadline), telemetry?.shutdown(flushDeadline)]);
      stopTlsWatch?.();
      await acme?.close();
      await control.stop();
      await election?.stop();
      await backend.stop();
      // Every client connection is closed, so no upstream call has anyone to answer:
      // destroy rather than close (which waits for them), so none can hold the exit.
      await agent.destroy();
      writeStalls.stop();
      await new Promise<void>((resolve) => {
        admin.close(() => resolve());
        admin.closeAllConnections();
      });
      log.info("router stopped");
      log.flush();
    })());

  return {
    ...parts,
    dataUrl: `${options.tls ? "https" : "http"}://${shownHost}:${dataPort}`,
    adminUrl: `http://${shown(adminHost)}:${adminPort}`,
    acmeUrl: acmePort === undefined ? undefined : `http://${shownHost}:${acmePort}`,
    capture,
    stop,
    activeRequests: () => clients.activeRequests(),
  };
}
