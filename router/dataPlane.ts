/**
 * One data-path worker: the data listener (HTTP or HTTPS) and everything a scoring request
 * touches, over its own registry of services rebuilt from the main thread's catalog
 * changes and the slot table every worker shares. The same code runs in the main thread
 * when the router has one worker, and in each worker thread otherwise (workerThread.ts).
 * Several workers listen on the same port with `reusePort`: the kernel spreads incoming
 * connections over them. Each worker routes endpoints itself (its registry's endpoint
 * table: weights, pinning, mirrors through its own MirrorSender) and observes exchanges
 * with its own capture and telemetry (dataObservers.ts), flushed when it drains.
 */
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { Agent } from "undici";
import type { Registry } from "prom-client";
import { ServiceRegistry } from "./registry.js";
import { DataMetrics } from "./dataMetrics.js";
import { accessLog, type Logger } from "./log.js";
import { dataHandler } from "./httpHandlers.js";
import { ClientConnections } from "./clientConnections.js";
import { closeIdleAfterLinger, stopAccepting } from "./connectionDrain.js";
import { WriteStallWatch } from "./writeStalls.js";
import { Deadlines } from "./deadlines.js";
import { dataServerOptions, type DataListenerTimeouts } from "./clientLimits.js";
import type { PemPair } from "./tls.js";
import type { SequencedChange } from "./catalogChange.js";
import type { SlotTable } from "./slotTable.js";
import { EndpointTrafficMetrics } from "./endpoints/endpointMetrics.js";
import { MirrorSender } from "./endpoints/mirror.js";
import type { DataObservers, ObserverOptions } from "./dataObservers.js";
import { DEFAULT_CAPTURE_FLUSH_MS } from "./contract/routerEnvironment.js";

/** Everything a data-path worker is started with (structured-cloneable: it is a worker thread's workerData). */
export interface DataPlaneConfig {
  /** This worker's index in the slot table. */
  worker: number;
  host: string;
  /** 0 picks a free port (only the first worker; the others then take the same). */
  port: number;
  /** Several workers share the port: listen with SO_REUSEPORT. */
  reusePort: boolean;
  /** HTTPS: the PEM pair, and the session ticket keys every worker shares (so resumption works on any). */
  tls?: { pair: PemPair; ticketKeys: Buffer };
  timeouts: DataListenerTimeouts;
  maxRequestBytes: number;
  /** Client connections served at once over all workers. */
  maxConnections: number;
  /** Model data capture and telemetry, as every worker builds them. */
  observe: ObserverOptions;
  /** On drain, how long capture and telemetry may take to write what they hold. @default 10000 */
  captureFlushMs?: number;
}

export class DataPlane {
  readonly registry: ServiceRegistry;
  readonly metrics: DataMetrics;
  private readonly server: Server;
  private readonly agent: Agent;
  private readonly writeStalls: WriteStallWatch;
  private readonly deadlines = new Deadlines();
  private readonly clients: ClientConnections;
  private readonly mirrors: MirrorSender;
  private ready = false;
  private draining = false;

  constructor(
    private readonly config: DataPlaneConfig,
    private readonly table: SlotTable,
    metricsRegistry: Registry,
    private readonly log: Logger,
    private readonly observers: DataObservers,
  ) {
    this.registry = new ServiceRegistry(table, config.worker);
    this.metrics = new DataMetrics(metricsRegistry, config.worker);
    const endpointMetrics = new EndpointTrafficMetrics(metricsRegistry, this.registry.endpoints);
    // Idle upstream sockets are dropped after 1.5 s unless the replica advertises a longer
    // `Keep-Alive: timeout` (undici honours the hint): the Azure ML inference server's
    // gunicorn closes idle connections after 2 s without saying so, and a request written
    // onto a socket the replica is closing fails with a reset (then retried, see retryDecision.ts).
    this.agent = new Agent({
      keepAliveTimeout: 1_500,
      keepAliveMaxTimeout: 600_000,
      connections: null,
      pipelining: 1,
      connect: { timeout: 5000 },
    });
    // Its bound of copies in flight per mirror version is this worker's.
    this.mirrors = new MirrorSender(this.agent, { metrics: endpointMetrics });
    const { timeouts } = config;
    this.writeStalls = new WriteStallWatch(timeouts.writeStallMs);
    const handle = dataHandler(
      {
        registry: this.registry,
        metrics: this.metrics,
        log,
        accessLog: accessLog(log),
        agent: this.agent,
        maxRequestBytes: config.maxRequestBytes,
        draining: () => this.draining,
        deadlines: this.deadlines,
        writeStalls: this.writeStalls,
        observers: observers.observers,
        mirrors: this.mirrors,
      },
      { ready: () => this.ready, draining: () => this.draining },
    );
    this.clients = new ClientConnections(handle, config.maxConnections, table, config.worker, this.metrics);
    this.server = config.tls
      ? createHttpsServer({
          ...config.tls.pair,
          ...dataServerOptions(timeouts),
          ticketKeys: config.tls.ticketKeys,
          minVersion: "TLSv1.2",
          handshakeTimeout: timeouts.tlsHandshakeTimeoutMs,
        })
      : createHttpServer(dataServerOptions(timeouts));
    this.clients.attach(this.server, Boolean(config.tls));
  }

  /** Listens; resolves with the port. */
  async listen(): Promise<number> {
    const { host, port, reusePort } = this.config;
    this.server.listen({ host, port, reusePort });
    await once(this.server, "listening");
    return (this.server.address() as AddressInfo).port;
  }

  /** Applies one catalog change and records that this worker has. */
  apply(s: SequencedChange): void {
    this.registry.apply(s.change);
    this.table.setApplied(this.config.worker, s.sequence);
  }

  /** The catalog is loaded: the data port's /readyz answers 200 (until draining). */
  setReady(): void {
    this.ready = true;
  }

  /** A renewed certificate (the main thread watches the files). */
  setSecureContext(pair: PemPair): void {
    (this.server as unknown as { setSecureContext(o: object): void }).setSecureContext({
      ...pair,
      minVersion: "TLSv1.2",
    });
  }

  /** Requests this worker is answering. */
  activeRequests(): number {
    return this.clients.activeRequests();
  }

  /**
   * Graceful: stop accepting, answer keep-alive responses with `Connection: close`, give
   * idle kept-alive connections a short linger to be used (and so closed after their
   * answer), let in-flight requests finish within `graceMs`, then close what is left. Resolves with the
   * number of requests cut off.
   */
  async drain(graceMs: number): Promise<number> {
    this.draining = true;
    this.mirrors.close();
    // Not server.close(): it would close idle keep-alive connections a client may be sending on (connectionDrain.ts).
    const closed = stopAccepting(this.server);
    await closeIdleAfterLinger(this.server, () => this.clients.activeRequests());
    if (this.clients.activeRequests() > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.clients.whenIdle(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    const left = this.clients.activeRequests();
    if (left > 0)
      this.log.warn({ worker: this.config.worker, active: left }, "grace period over; closing remaining connections");
    this.server.closeAllConnections();
    await closed;
    // Every exchange has finished: what capture and telemetry hold is written now, bounded.
    await this.observers.close(Date.now() + (this.config.captureFlushMs ?? DEFAULT_CAPTURE_FLUSH_MS));
    // Every client connection is closed, so no upstream call has anyone to answer:
    // destroy rather than close (which waits for them), so none can hold the exit.
    await this.agent.destroy();
    this.writeStalls.stop();
    this.deadlines.stop();
    return left;
  }

  /** At once, for a start that failed. */
  async close(): Promise<void> {
    this.mirrors.close();
    this.server.closeAllConnections();
    await Promise.all([new Promise((r) => this.server.close(r)), this.agent.close(), this.observers.close(Date.now())]);
    this.writeStalls.stop();
    this.deadlines.stop();
  }
}
