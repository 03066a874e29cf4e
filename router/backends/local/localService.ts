/**
 * One service of the local-process backend: its replica processes (started, health-checked,
 * replaced with backoff when they exit, rolled one by one by `rollReplicas`), its events and
 * its logs, published to the catalog as replicas become healthy.
 */
import type { ReplicaEndpoint, ServiceCatalog, ServiceKeys } from "../../contract/backend.js";
import type { Log } from "../../log.js";
import type { ServiceConfig } from "../../contract/serviceConfig.js";
import { freePort } from "./freePort.js";
import { LogStore } from "./logStore.js";
import { ReplicaProcess } from "./replicaProcess.js";
import type { LocalEndpointSpec } from "./localEndpoints.js";

export interface LocalServiceSpec {
  name: string;
  /** Shell command; `$PORT` is the port the replica must listen on (127.0.0.1). */
  command: string;
  cwd?: string;
  env?: Record<string, string>;
  config: ServiceConfig;
  keys?: ServiceKeys;
}

export interface LocalBackendOptions {
  host?: string;
  /** How long a new replica may take to answer `GET /`; default 60 s. */
  healthTimeoutMs?: number;
  /** SIGTERM-to-SIGKILL grace period; default 10 s. */
  stopGraceMs?: number;
  /** Child output; default: prefixed lines on stderr. */
  onOutput?: (service: string, replica: string, line: string) => void;
  /** The router's logger (create it first, then the backend, then the router). */
  log?: Log;
  /** Endpoints over the services (each version names one of them). */
  endpoints?: LocalEndpointSpec[];
}

const RESTART_BACKOFF_MIN_MS = 250;
const RESTART_BACKOFF_MAX_MS = 10_000;
/** Events kept per service for `aksml state` / `aksml wait`. */
const MAX_EVENTS = 20;

/** Why the last replica start of a service failed. */
export interface ReplicaFailure {
  /** `exited`: the process ended before or after answering; `unhealthy`: it never answered `GET /` in time. */
  kind: "exited" | "unhealthy";
  message: string;
  /** ISO time. */
  at: string;
}

/** What `aksml state --local` derives a service's state from. */
export interface LocalServiceStatus {
  name: string;
  /** Replicas wanted (the autoscaler's or numReplicas). */
  desired: number;
  /** Replicas answering `GET /` and receiving traffic. */
  ready: number;
  /** Replicas started and not yet healthy. */
  starting: number;
  /** Failed starts or crashes since the last healthy start. */
  consecutiveFailures: number;
  lastFailure?: ReplicaFailure;
  /** The newest last, ISO times. */
  events: { at: string; message: string }[];
}

export class LocalService {
  readonly replicas = new Map<string, ReplicaProcess>();
  /** Output of every replica (and of exited ones, a few), for `aksml logs`. */
  readonly logs = new LogStore();
  readonly events: { at: string; message: string }[] = [];
  consecutiveFailures = 0;
  lastFailure?: ReplicaFailure;
  target: number;
  private seq = 0;
  private pendingStarts = 0;
  private backoffMs = RESTART_BACKOFF_MIN_MS;
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;
  /** Replicas started by rollReplicas, not counted against the target until their old one is gone. */
  private surge = 0;

  constructor(
    readonly spec: LocalServiceSpec,
    private readonly opts: BackendOpts,
    private readonly catalog: ServiceCatalog,
  ) {
    const { config } = spec;
    this.target = config.autoscale.enabled ? config.autoscale.minReplicas : (config.numReplicas ?? 1);
  }

  event(message: string): void {
    this.events.push({ at: new Date().toISOString(), message });
    if (this.events.length > MAX_EVENTS) this.events.shift();
  }

  private failed(kind: ReplicaFailure["kind"], message: string): void {
    this.consecutiveFailures++;
    this.lastFailure = { kind, message, at: new Date().toISOString() };
    this.event(message);
  }

  status(): LocalServiceStatus {
    const states = [...this.replicas.values()].map((r) => r.state);
    return {
      name: this.spec.name,
      desired: this.target,
      ready: states.filter((s) => s === "ready").length,
      starting: states.filter((s) => s === "starting").length,
      consecutiveFailures: this.consecutiveFailures,
      lastFailure: this.lastFailure,
      events: [...this.events],
    };
  }

  private liveCount(): number {
    return [...this.replicas.values()].filter((r) => r.state === "starting" || r.state === "ready").length;
  }

  /** Ready replicas as the router sees them. */
  endpoints(): ReplicaEndpoint[] {
    return [...this.replicas.values()].filter((r) => r.state === "ready").map((r) => ({ id: r.spec.id, url: r.url }));
  }

  publish(): void {
    if (this.stopped) return;
    this.catalog.upsert({
      name: this.spec.name,
      config: this.spec.config,
      keys: this.spec.keys,
      replicas: this.endpoints(),
      currentReplicas: this.target,
    });
  }

  /** Starts or stops processes until the live count matches the target. Resolves when new replicas are healthy (or failed). */
  async reconcile(): Promise<void> {
    if (this.stopped) return;
    const live = [...this.replicas.values()].filter((r) => r.state === "starting" || r.state === "ready");
    const starts: Promise<boolean>[] = [];
    const target = this.target + this.surge;
    for (let i = live.length + this.pendingStarts; i < target; i++) starts.push(this.startOne());
    if (live.length > target) {
      // Stop the ones that serve nobody yet first, then the newest.
      const seqOf = (r: ReplicaProcess) => Number(r.spec.id.slice("local-".length));
      const order = [...live].sort(
        (a, b) => (a.state === b.state ? 0 : a.state === "starting" ? -1 : 1) || seqOf(b) - seqOf(a),
      );
      const victims = order.slice(0, live.length - target);
      for (const v of victims) v.state = "stopping";
      this.publish(); // out of the catalog before the signal, so no new request is sent to them
      await Promise.all(victims.map((v) => v.stop(this.opts.stopGraceMs)));
    }
    this.publish();
    await Promise.all(starts);
  }

  /**
   * Replaces every replica running now, one at a time, as a Deployment rollout with
   * maxSurge 1 and maxUnavailable 0 does: a new replica is started and must answer its
   * health check before the old one leaves the catalog (no new request reaches it) and
   * is stopped (SIGTERM: it finishes what it has). Resolves when all are replaced; false
   * if a new replica never became healthy (the old one is then kept).
   */
  async rollReplicas(): Promise<boolean> {
    const old = [...this.replicas.values()].filter((r) => r.state === "ready");
    for (const victim of old) {
      if (this.stopped || victim.state !== "ready") continue;
      this.surge++;
      const healthy = await this.startOne().catch(() => false);
      if (!healthy) {
        this.surge--;
        return false;
      }
      // The old one counts as gone from here on, so the new one is not taken for a surplus.
      victim.state = "stopping";
      this.surge--;
      this.publish(); // out of the catalog before the signal, so no new request is sent to it
      await victim.stop(this.opts.stopGraceMs);
    }
    return true;
  }

  /** Starts one replica; resolves once it is healthy (true) or has failed (false). */
  private async startOne(): Promise<boolean> {
    const id = `local-${++this.seq}`;
    this.pendingStarts++; // counted as live while its port is being found, so concurrent reconciles do not start extras
    const port = await freePort(this.opts.host).finally(() => this.pendingStarts--);
    if (this.stopped) return false;
    const replica = new ReplicaProcess({
      id,
      command: this.spec.command,
      cwd: this.spec.cwd,
      env: this.spec.env,
      host: this.opts.host,
      port,
      onOutput: (line) => {
        this.logs.append(id, line);
        this.opts.onOutput(this.spec.name, id, line);
      },
    });
    this.replicas.set(id, replica);
    this.event(`replica ${id} started (pid ${replica.pid}, port ${port})`);
    this.opts.log?.info({ service: this.spec.name, replica: id, pid: replica.pid, port }, "replica started");
    void replica.exited.then(({ code, signal }) => this.onExit(replica, code, signal));
    const healthy = await replica.waitHealthy(this.opts.healthTimeoutMs);
    if (healthy) {
      replica.state = "ready";
      this.backoffMs = RESTART_BACKOFF_MIN_MS;
      this.consecutiveFailures = 0;
      this.event(`replica ${id} ready at ${replica.url}`);
      this.opts.log?.info(
        { service: this.spec.name, replica: id, url: replica.url, pid: replica.pid },
        "replica ready",
      );
      this.publish();
      // The target may have dropped while this one was starting.
      if (this.liveCount() > this.target + this.surge) void this.reconcile();
      return true;
    }
    if (replica.state === "starting") {
      this.opts.log?.warn(
        { service: this.spec.name, replica: id, timeoutMs: this.opts.healthTimeoutMs },
        "replica never became healthy; stopping it",
      );
      this.failed(
        "unhealthy",
        `replica ${id} did not answer GET / with 2xx within ${Math.round(this.opts.healthTimeoutMs / 1000)} s`,
      );
      await replica.stop(this.opts.stopGraceMs);
      this.scheduleRestart();
    }
    return false;
  }

  private onExit(replica: ReplicaProcess, code: number | null, signal: NodeJS.Signals | null): void {
    this.replicas.delete(replica.spec.id);
    this.logs.retire(replica.spec.id);
    if (this.stopped) return;
    const wasWanted = !replica.stoppedOnPurpose;
    if (wasWanted) {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.failed(
        "exited",
        replica.becameReady
          ? `replica ${replica.spec.id} ${how}`
          : `replica ${replica.spec.id} ${how} before answering GET /`,
      );
    } else this.event(`replica ${replica.spec.id} stopped`);
    if (wasWanted)
      this.opts.log?.warn(
        { service: this.spec.name, replica: replica.spec.id, code, signal },
        "replica exited; replacing it",
      );
    this.publish();
    if (wasWanted) this.scheduleRestart();
  }

  /** Replaces missing replicas after a delay that doubles on every failure (reset by a healthy start). */
  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.reconcile();
    }, this.backoffMs);
    this.restartTimer.unref();
    this.backoffMs = Math.min(RESTART_BACKOFF_MAX_MS, this.backoffMs * 2);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await Promise.all([...this.replicas.values()].map((r) => r.stop(this.opts.stopGraceMs)));
  }

  killNow(): void {
    for (const r of this.replicas.values()) r.killNow();
  }
}

export type BackendOpts = Required<Omit<LocalBackendOptions, "log" | "endpoints">> & Pick<LocalBackendOptions, "log">;
