/**
 * A ServiceCatalog that remembers what passes through it on the way to the router's
 * catalog, so the autoscaler can read every service's settings and replica count
 * without the data path having to expose them.
 */
import type { ServiceCatalog, ServiceSnapshot } from "../contract/backend.js";

export class WatchedCatalog implements ServiceCatalog {
  private readonly snapshots = new Map<string, ServiceSnapshot>();

  constructor(private readonly inner: ServiceCatalog) {}

  upsert(snapshot: ServiceSnapshot): void {
    this.snapshots.set(snapshot.name, snapshot);
    this.inner.upsert(snapshot);
  }

  remove(name: string): void {
    this.snapshots.delete(name);
    this.inner.remove(name);
  }

  reject(name: string, reason: string): void {
    this.inner.reject(name, reason);
  }

  services(): ServiceSnapshot[] {
    return [...this.snapshots.values()];
  }

  get(name: string): ServiceSnapshot | undefined {
    return this.snapshots.get(name);
  }
}
