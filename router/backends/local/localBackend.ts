/**
 * The local-process backend (`aksml local`): each service's replicas are child processes on
 * 127.0.0.1. `scale()` sets how many should run; the backend starts or stops
 * processes to match, announces a replica in the catalog only once `GET /` answers,
 * replaces replicas that exit (with backoff, so a crashing command does not spin),
 * and kills every child when it stops or the router exits. Each replica is a process
 * group that dies with the router even when the router cannot run any handler
 * (SIGKILL): see the lifeline in replicaProcess.ts. Endpoints (several services behind
 * one name) are published as configured; their rollouts' live state is kept in memory
 * (localEndpoints.ts). `rollReplicas` replaces a service's replicas one by one, as a
 * Deployment rollout does (maxUnavailable 0).
 */
import type { EndpointCatalog, RouterBackend, ServiceCatalog, ServiceKeys } from "../../contract/backend.js";
import type { LogStore } from "./logStore.js";
import { LocalEndpoints } from "./localEndpoints.js";
import {
  LocalService,
  type BackendOpts,
  type LocalBackendOptions,
  type LocalServiceSpec,
  type LocalServiceStatus,
} from "./localService.js";

export type { LocalEndpointSpec } from "./localEndpoints.js";
export type { LocalBackendOptions, LocalServiceSpec, LocalServiceStatus, ReplicaFailure } from "./localService.js";

export class LocalProcessBackend implements RouterBackend {
  private readonly services = new Map<string, LocalService>();
  private stopping?: Promise<void>;
  private readonly opts: BackendOpts;
  /** The endpoints, and the rollouts' live state (in memory: `aksml local` is one router). */
  readonly rollouts: LocalEndpoints;
  private readonly killOnExit = () => {
    for (const s of this.services.values()) s.killNow();
  };

  constructor(
    private readonly specs: LocalServiceSpec[],
    options: LocalBackendOptions = {},
  ) {
    this.opts = {
      host: options.host ?? "127.0.0.1",
      healthTimeoutMs: options.healthTimeoutMs ?? 60_000,
      stopGraceMs: options.stopGraceMs ?? 10_000,
      onOutput:
        options.onOutput ?? ((service, replica, line) => process.stderr.write(`[${service}/${replica}] ${line}\n`)),
      log: options.log,
    };
    this.rollouts = new LocalEndpoints(options.endpoints ?? []);
  }

  async start(catalog: ServiceCatalog & EndpointCatalog): Promise<void> {
    // Stopped before it started (a stop signal while the router was starting): start nothing.
    if (this.stopping) return;
    process.on("exit", this.killOnExit);
    for (const spec of this.specs) {
      const svc = new LocalService(spec, this.opts, catalog);
      this.services.set(spec.name, svc);
      svc.publish();
    }
    this.rollouts.start(catalog);
    await Promise.all([...this.services.values()].map((s) => s.reconcile()));
  }

  async scale(service: string, replicas: number): Promise<void> {
    const svc = this.services.get(service);
    if (!svc) throw new Error(`unknown local service ${JSON.stringify(service)}`);
    const target = Math.max(0, Math.trunc(replicas));
    if (target !== svc.target) svc.event(`scaled from ${svc.target} to ${target} replicas`);
    svc.target = target;
    svc.publish();
    // Starting replicas can take seconds; the decision is recorded at once (currentReplicas), the processes follow.
    void svc.reconcile();
  }

  /** Replaces a service's replicas one by one (see LocalService.rollReplicas). */
  rollReplicas(service: string): Promise<boolean> {
    const svc = this.services.get(service);
    if (!svc) throw new Error(`unknown local service ${JSON.stringify(service)}`);
    return svc.rollReplicas();
  }

  /** The services this backend runs, in config order. */
  serviceNames(): string[] {
    return this.specs.map((s) => s.name);
  }

  /** A service's settings and keys as currently served, or undefined if unknown. */
  spec(service: string): LocalServiceSpec | undefined {
    return this.services.get(service)?.spec ?? this.specs.find((s) => s.name === service);
  }

  /** What the service's state is derived from; undefined if unknown (or not started yet). */
  status(service: string): LocalServiceStatus | undefined {
    return this.services.get(service)?.status();
  }

  /** The service's replicas' output; undefined if unknown (or not started yet). */
  logs(service: string): LogStore | undefined {
    return this.services.get(service)?.logs;
  }

  /**
   * Replaces a key-auth service's keys, effective for the next request (no restart, no
   * refused connection): the router swaps its verifier in one assignment.
   */
  setKeys(service: string, keys: ServiceKeys): void {
    const svc = this.services.get(service);
    const spec = svc?.spec ?? this.specs.find((s) => s.name === service);
    if (!spec) throw new Error(`unknown local service ${JSON.stringify(service)}`);
    spec.keys = { ...keys };
    svc?.event("keys replaced");
    svc?.publish();
  }

  /** Live child processes of a service (starting or ready), for status and tests. */
  processes(service: string): ReadonlyArray<{ id: string; pid: number | undefined; url: string; state: string }> {
    const svc = this.services.get(service);
    return svc
      ? [...svc.replicas.values()].map((r) => ({ id: r.spec.id, pid: r.pid, url: r.url, state: r.state }))
      : [];
  }

  /**
   * Stops every replica (SIGTERM, SIGKILL after the grace period). Also cancels a start in
   * progress: replicas still waiting on their health check are stopped at once, and
   * start() resolves without waiting out the health timeout. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.services.values()].map((s) => s.stop()));
      process.off("exit", this.killOnExit);
    })();
    return this.stopping;
  }

  /** SIGKILL to every replica's process group, synchronously: when the router must exit now. */
  killNow(): void {
    this.killOnExit();
  }
}
