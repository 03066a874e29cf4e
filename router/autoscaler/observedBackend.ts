/**
 * Wraps a ScaleBackend so the catalog it pushes into is observed on the way: the
 * autoscaler then reads every service's settings and replica count from here.
 */
import type { ScaleBackend, ServiceCatalog, ServiceSnapshot } from "../contract/backend.js";
import { WatchedCatalog } from "./watchedCatalog.js";

export class ObservedBackend implements ScaleBackend {
  private watched?: WatchedCatalog;

  constructor(readonly inner: ScaleBackend) {}

  start(catalog: ServiceCatalog): Promise<void> {
    this.watched = new WatchedCatalog(catalog);
    return this.inner.start(this.watched);
  }

  scale(service: string, replicas: number): Promise<void> {
    return this.inner.scale(service, replicas);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  services(): ServiceSnapshot[] {
    return this.watched?.services() ?? [];
  }
}
