/**
 * A real RouterBackend with a fixed, test-controlled set of services: it pushes
 * snapshots into the router's catalog exactly as the Kubernetes and local backends
 * do. It cannot scale (no `scale`), so the router runs no autoscaler next to it.
 * Not a mock of the router: the router under test is the real one.
 */
import type {
  ReplicaEndpoint,
  RouterBackend,
  ServiceCatalog,
  ServiceKeys,
  ServiceSnapshot,
} from "../../../router/contract/backend.js";
import { parseServiceConfig, type ServiceConfig } from "../../../router/contract/serviceConfig.js";

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

export class StaticBackend implements RouterBackend {
  private catalog: ServiceCatalog | undefined;
  private readonly services = new Map<string, ServiceSnapshot>();
  /** Called after every change pushed into the catalog (the test router waits there for its workers to apply it). */
  afterChange: (() => void) | undefined;

  constructor(initial: StaticService[] = []) {
    for (const s of initial) this.services.set(s.name, toSnapshot(s));
  }

  async start(catalog: ServiceCatalog): Promise<void> {
    this.catalog = catalog;
    for (const s of this.services.values()) catalog.upsert(s);
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
