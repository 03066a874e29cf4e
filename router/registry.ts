/**
 * The router's table of model services. Backends push snapshots into it
 * (ServiceCatalog); the autoscaler reads demand (LoadSource), settings and replica
 * counts (scalingViews) from it; metrics read live gauges from it. Replacing a snapshot swaps settings, keys and replicas in
 * place, so in-flight requests and queues carry on; removing a service fails its
 * queue with 503; a rejected config keeps the last good settings; a withdrawn name is
 * removed and answered with 503 and its reason until it is upserted or removed.
 * Endpoints (several versions behind one name) are in `endpoints` (endpoints/endpointTable.ts);
 * the registry is their catalog too.
 */
import type {
  EndpointCatalog,
  EndpointSnapshot,
  LoadSource,
  ServiceCatalog,
  ServiceLoad,
  ServiceScalingView,
  ServiceSnapshot,
} from "./contract/backend.js";
import { KEYS_SECRET_SUFFIX, unpresentableKeyProblem, type ServiceConfig } from "./contract/serviceConfig.js";
import type { ServiceAuth } from "./auth/authenticate.js";
import { KeyVerifier } from "./auth/keys.js";
import { TokenVerifier } from "./auth/tokens.js";
import { ServiceState } from "./serviceState.js";
import { ServiceGoneError, drain, failQueue } from "./dispatcher.js";
import type { LiveState } from "./metrics.js";
import type { Log } from "./log.js";
import { EndpointTable } from "./endpoints/endpointTable.js";

export interface ServiceProblem {
  service: string;
  reason: string;
  /** True when the router still serves the service with its last good settings. */
  servingLastGood: boolean;
  at: string;
}

export class ServiceRegistry implements ServiceCatalog, EndpointCatalog, LoadSource, LiveState {
  private readonly byName = new Map<string, ServiceState>();
  private readonly problems = new Map<string, ServiceProblem>();
  /** Withdrawn names and the reason their requests are given. */
  private readonly withdrawn = new Map<string, string>();
  readonly endpoints: EndpointTable;

  constructor(private readonly log?: Log) {
    this.endpoints = new EndpointTable((name) => this.byName.get(name), buildAuth, log);
  }

  upsertEndpoint(snapshot: EndpointSnapshot): void {
    this.endpoints.upsertEndpoint(snapshot);
  }

  removeEndpoint(name: string): void {
    this.endpoints.removeEndpoint(name);
  }

  rejectEndpoint(name: string, reason: string): void {
    this.endpoints.rejectEndpoint(name, reason);
  }

  withdrawEndpoint(name: string, reason: string, detail: string): void {
    this.endpoints.withdrawEndpoint(name, reason, detail);
  }

  get(name: string): ServiceState | undefined {
    return this.byName.get(name);
  }

  upsert(snapshot: ServiceSnapshot): void {
    const existing = this.byName.get(snapshot.name);
    let auth: ServiceAuth;
    try {
      auth = buildAuth(snapshot.config, existing?.auth, snapshot.keys);
    } catch (e) {
      this.reject(snapshot.name, (e as Error).message);
      return;
    }
    this.problems.delete(snapshot.name);
    this.withdrawn.delete(snapshot.name);
    if (existing) {
      existing.config = snapshot.config;
      existing.auth = auth;
      existing.currentReplicas = snapshot.currentReplicas;
      existing.setReplicas(snapshot.replicas);
      drain(existing);
      return;
    }
    const svc = new ServiceState(snapshot.name, snapshot.config, auth);
    svc.currentReplicas = snapshot.currentReplicas;
    svc.setReplicas(snapshot.replicas);
    this.byName.set(snapshot.name, svc);
    this.log?.info(
      { service: snapshot.name, replicas: snapshot.replicas.length, auth: snapshot.config.auth.mode },
      "service added",
    );
  }

  remove(name: string): void {
    this.problems.delete(name);
    this.withdrawn.delete(name);
    if (this.drop(name)) this.log?.info({ service: name }, "service removed");
  }

  withdraw(name: string, reason: string, detail: string): void {
    const wasServed = this.drop(name);
    this.withdrawn.set(name, reason);
    this.problems.set(name, { service: name, reason: detail, servingLastGood: false, at: new Date().toISOString() });
    this.log?.warn({ service: name, reason: detail, wasServed }, "service withdrawn");
  }

  /** Why requests for a withdrawn name get 503 (undefined when the name is not withdrawn). */
  unavailableReason(name: string): string | undefined {
    return this.withdrawn.get(name);
  }

  /** Takes a service out of the table and fails its queue; false when it was not there. */
  private drop(name: string): boolean {
    const svc = this.byName.get(name);
    if (!svc) return false;
    this.byName.delete(name);
    svc.removed = true;
    failQueue(svc, new ServiceGoneError(name));
    return true;
  }

  reject(name: string, reason: string): void {
    const servingLastGood = this.byName.has(name);
    this.problems.set(name, { service: name, reason, servingLastGood, at: new Date().toISOString() });
    this.log?.warn({ service: name, reason, servingLastGood }, "service settings rejected");
  }

  problemList(): ServiceProblem[] {
    return [...this.problems.values(), ...this.endpoints.problemList()];
  }

  localLoad(): ServiceLoad[] {
    const out: ServiceLoad[] = [];
    for (const s of this.byName.values()) out.push({ service: s.name, inFlight: s.inFlight, queued: s.queued });
    return out;
  }

  /** Every service's settings and replica count, as last pushed by the backend (the last good ones after a rejection). */
  scalingViews(): ServiceScalingView[] {
    return [...this.byName.values()];
  }

  *services(): Iterable<{
    name: string;
    inFlight: number;
    queued: number;
    readyReplicas: number;
    currentReplicas: number;
  }> {
    for (const s of this.byName.values())
      yield {
        name: s.name,
        inFlight: s.inFlight,
        queued: s.queued,
        readyReplicas: s.replicas.length,
        currentReplicas: s.currentReplicas,
      };
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/**
 * Builds the auth of a snapshot, reusing the previous verifier when nothing changed.
 * Throws (the snapshot is rejected, the last good settings kept) for a key no client could present.
 */
export function buildAuth(
  config: Pick<ServiceConfig, "auth">,
  previous: ServiceAuth | undefined,
  keys: ServiceSnapshot["keys"],
): ServiceAuth {
  switch (config.auth.mode) {
    case "none":
      return { mode: "none" };
    case "key": {
      if (!keys) return { mode: "key", keys: undefined };
      for (const k of ["primaryKey", "secondaryKey"] as const) {
        const problem = unpresentableKeyProblem(keys[k]);
        if (problem !== undefined)
          throw new Error(
            `${k} ${problem}, so no request could ever be accepted with it; fix the key Secret (<name>${KEYS_SECRET_SUFFIX})`,
          );
      }
      const next = new KeyVerifier(keys);
      if (previous?.mode === "key" && previous.keys?.sameKeysAs(next)) return previous;
      return { mode: "key", keys: next };
    }
    case "token":
      if (previous?.mode === "token" && previous.tokens.matches(config.auth)) return previous;
      return { mode: "token", tokens: new TokenVerifier(config.auth) };
  }
}
