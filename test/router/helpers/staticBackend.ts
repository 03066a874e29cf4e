/**
 * A real RouterBackend with a fixed, test-controlled set of services: it pushes
 * snapshots into the router's catalog exactly as the Kubernetes and local backends
 * do. It cannot scale (no `scale`), so the router runs no autoscaler next to it.
 * Not a mock of the router: the router under test is the real one.
 */
import type {
  EndpointCatalog,
  EndpointSnapshot,
  ReplicaEndpoint,
  RolloutEvent,
  RolloutStore,
  RouterBackend,
  ServiceCatalog,
  ServiceKeys,
  ServiceSnapshot,
} from "../../../router/contract/backend.js";
import { parseServiceConfig, type ServiceConfig } from "../../../router/contract/serviceConfig.js";
import { parseEndpointConfig } from "../../../router/contract/endpointConfigParser.js";
import type { EndpointConfig } from "../../../router/contract/endpointConfig.js";
import type { RolloutState } from "../../../router/contract/rolloutState.js";

export function serviceConfig(name: string, raw: Record<string, unknown> = {}): ServiceConfig {
  const r = parseServiceConfig(name, raw);
  if (!r.ok) throw new Error(`bad test config: ${JSON.stringify(r.problems)}`);
  return r.config;
}

export interface StaticService {
  name: string;
  config?: Record<string, unknown>;
  keys?: ServiceKeys;
  replicas: ReplicaEndpoint[];
}

export function endpointConfig(name: string, raw: Record<string, unknown>): EndpointConfig {
  const r = parseEndpointConfig(name, raw);
  if (!r.ok) throw new Error(`bad test endpoint config: ${JSON.stringify(r.problems)}`);
  return r.config;
}

export interface StaticEndpoint {
  name: string;
  config: Record<string, unknown>;
  keys?: ServiceKeys;
}

/**
 * Rollout state kept in memory, fed back into the catalog on every write as the
 * Kubernetes backend feeds back its ConfigMap; every recorded event is kept.
 */
export class MemoryRolloutStore implements RolloutStore {
  readonly states = new Map<string, RolloutState>();
  readonly events: { endpoint: string; event: RolloutEvent }[] = [];
  /** When set, writes fail with this error (an API outage). */
  failWrites: Error | undefined;
  constructor(private readonly feed: (endpoint: string, state: RolloutState) => void) {}
  async write(endpoint: string, state: RolloutState): Promise<void> {
    if (this.failWrites) throw this.failWrites;
    this.states.set(endpoint, state);
    this.feed(endpoint, state);
  }
  async record(endpoint: string, event: RolloutEvent): Promise<void> {
    this.events.push({ endpoint, event });
  }
}

export class StaticBackend implements RouterBackend {
  private catalog: (ServiceCatalog & EndpointCatalog) | undefined;
  private readonly services = new Map<string, ServiceSnapshot>();
  private readonly endpoints = new Map<string, EndpointSnapshot>();
  /** Called after every change pushed into the catalog (the test router waits there for its workers to apply it). */
  afterChange: (() => void) | undefined;
  /** Present when constructed with `{ rollouts: true }`: the router then runs the rollout loop. */
  readonly rollouts?: MemoryRolloutStore;

  constructor(initial: StaticService[] = [], endpoints: StaticEndpoint[] = [], opts: { rollouts?: boolean } = {}) {
    for (const s of initial) this.services.set(s.name, toSnapshot(s));
    for (const e of endpoints) this.endpoints.set(e.name, toEndpointSnapshot(e));
    if (opts.rollouts)
      this.rollouts = new MemoryRolloutStore((name, state) => {
        const e = this.endpoints.get(name);
        if (!e) return;
        const next = { ...e, rollout: state };
        this.endpoints.set(name, next);
        this.catalog?.upsertEndpoint(next);
        this.afterChange?.();
      });
  }

  async start(catalog: ServiceCatalog & EndpointCatalog): Promise<void> {
    this.catalog = catalog;
    for (const s of this.services.values()) catalog.upsert(s);
    for (const e of this.endpoints.values()) catalog.upsertEndpoint(e);
  }

  /** Adds or replaces an endpoint (keeping its rollout state), as a watch event would. */
  setEndpoint(e: StaticEndpoint): void {
    const snap = { ...toEndpointSnapshot(e), rollout: this.endpoints.get(e.name)?.rollout };
    this.endpoints.set(e.name, snap);
    this.catalog?.upsertEndpoint(snap);
    this.afterChange?.();
  }

  removeEndpoint(name: string): void {
    this.endpoints.delete(name);
    this.catalog?.removeEndpoint(name);
    this.afterChange?.();
  }

  async stop(): Promise<void> {
    this.catalog = undefined;
  }

  /** Adds or replaces a service, as a watch event would. */
  set(s: StaticService): void {
    const snap = toSnapshot(s);
    this.services.set(s.name, snap);
    this.catalog?.upsert(snap);
    this.afterChange?.();
  }

  remove(name: string): void {
    this.services.delete(name);
    this.catalog?.remove(name);
    this.afterChange?.();
  }

  reject(name: string, reason: string): void {
    this.catalog?.reject(name, reason);
    this.afterChange?.();
  }
}

function toSnapshot(s: StaticService): ServiceSnapshot {
  return {
    name: s.name,
    config: serviceConfig(s.name, s.config),
    keys: s.keys,
    replicas: s.replicas,
    currentReplicas: s.replicas.length,
  };
}

function toEndpointSnapshot(e: StaticEndpoint): EndpointSnapshot {
  return { name: e.name, config: endpointConfig(e.name, e.config), keys: e.keys };
}
