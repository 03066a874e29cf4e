/**
 * The router's table of endpoints (several versions behind one name), next to the
 * registry's table of services: what backends push (EndpointCatalog), and how one
 * request to an endpoint is routed.
 *
 * - Unpinned requests go to a version by smooth weighted round robin over the live
 *   split (the rollout's weights when a rollout of this plan is under way, otherwise the
 *   annotation's static split), among versions whose service the router knows.
 * - `azureml-model-deployment: <version>` pins a version, also one at 0 % (Azure ML v2
 *   lets a request target a deployment that takes no traffic, to test it); an unknown
 *   version is a 400 naming the endpoint's versions (only after authentication).
 * - Versions with a mirror share get a copy of that share of unpinned requests.
 * - A name claimed by an endpoint and a service is served by neither (503), as a name
 *   two Services claim: picking a winner silently would hand one's clients to the other.
 */
import type { EndpointCatalog, EndpointSnapshot } from "../contract/backend.js";
import { ENDPOINT_CONFIG_ANNOTATION, type EndpointConfig } from "../contract/endpointConfig.js";
import { effectiveWeights, type RolloutState } from "../contract/rolloutState.js";
import type { ServiceAuth } from "../auth/authenticate.js";
import type { ServiceState } from "../serviceState.js";
import type { ServiceProblem } from "../catalog.js";
import type { Log } from "../log.js";
import { ShareCounter, SmoothWeightedChoice } from "./weightedChoice.js";
import { VersionStats } from "./versionStats.js";

/** How an endpoint's auth is built from its snapshot (the registry's `buildAuth`); throws for unusable keys. */
export type AuthBuilder = (
  config: Pick<EndpointConfig, "auth">,
  previous: ServiceAuth | undefined,
  keys: EndpointSnapshot["keys"],
) => ServiceAuth;

/** What the endpoint metrics record (RouterMetrics' endpoint half). */
export interface EndpointRequestMetrics {
  countEndpointRequest(endpoint: string, version: string, status: number): void;
}

/** Live state of one endpoint in this router process. */
export class EndpointState {
  config: EndpointConfig;
  auth: ServiceAuth;
  rollout: RolloutState | undefined;
  /** The split in force: version -> percent. */
  weights: Record<string, number>;
  readonly choice = new SmoothWeightedChoice();
  readonly mirrorShares = new Map<string, ShareCounter>();

  constructor(
    readonly name: string,
    config: EndpointConfig,
    auth: ServiceAuth,
    rollout: RolloutState | undefined,
  ) {
    this.config = config;
    this.auth = auth;
    this.rollout = rollout;
    this.weights = effectiveWeights(config, rollout);
  }

  versionNames(): string[] {
    return this.config.versions.map((v) => v.version);
  }
}

/** One request's version: where it goes and whether the client chose it. */
export interface EndpointRoute {
  readonly endpoint: EndpointState;
  readonly version: string;
  readonly service: ServiceState;
  readonly pinned: boolean;
}

export type RouteOutcome = { ok: true; route: EndpointRoute } | { ok: false; status: 400 | 503; message: string };

/** A copy of a request for a mirror version. */
export interface MirrorTarget {
  readonly version: string;
  readonly service: ServiceState | undefined;
}

/** What clients of a name claimed by an endpoint and a service are told (the details stay on the admin port). */
export const ENDPOINT_SERVICE_CLASH_REASON =
  "this name is claimed by both an endpoint and a service, so the router serves neither until only one is left; the platform team can see which on the router's admin /readyz";

export class EndpointTable implements EndpointCatalog {
  private readonly byName = new Map<string, EndpointState>();
  private readonly problems = new Map<string, ServiceProblem>();
  private readonly withdrawn = new Map<string, string>();
  readonly stats = new VersionStats();
  private metrics: EndpointRequestMetrics | undefined;

  /**
   * `services` finds a version's service where requests are routed (a worker's registry);
   * `hasService` (default: `services` finds it) tells a name clash where they are not (the
   * main thread's catalog, which keeps the endpoints for status and the rollout loop).
   */
  constructor(
    private readonly services: (name: string) => ServiceState | undefined,
    private readonly buildAuth: AuthBuilder,
    private readonly log?: Log,
    private readonly hasService: (name: string) => boolean = (name) => services(name) !== undefined,
  ) {}

  attachMetrics(metrics: EndpointRequestMetrics): void {
    this.metrics = metrics;
  }

  get(name: string): EndpointState | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  all(): Iterable<EndpointState> {
    return this.byName.values();
  }

  /** False when rejected (its keys could never be presented): the last good settings stay. */
  upsertEndpoint(s: EndpointSnapshot): boolean {
    const existing = this.byName.get(s.name);
    let auth: ServiceAuth;
    try {
      auth = this.buildAuth(s.config, existing?.auth, s.keys);
    } catch (e) {
      this.rejectEndpoint(s.name, (e as Error).message);
      return false;
    }
    this.problems.delete(s.name);
    this.withdrawn.delete(s.name);
    if (existing) {
      const before = JSON.stringify(existing.weights);
      existing.config = s.config;
      existing.auth = auth;
      existing.rollout = s.rollout;
      existing.weights = effectiveWeights(s.config, s.rollout);
      // New weights start the round robin afresh, so the next picks follow the new split at once.
      if (JSON.stringify(existing.weights) !== before) {
        existing.choice.reset();
        this.log?.info({ endpoint: s.name, weights: existing.weights }, "endpoint traffic split changed");
      }
      this.stats.forget(s.name, new Set(existing.versionNames()));
      return true;
    }
    const ep = new EndpointState(s.name, s.config, auth, s.rollout);
    this.byName.set(s.name, ep);
    this.log?.info({ endpoint: s.name, weights: ep.weights, auth: s.config.auth.mode }, "endpoint added");
    return true;
  }

  removeEndpoint(name: string): void {
    this.problems.delete(name);
    this.withdrawn.delete(name);
    this.stats.forget(name);
    if (this.byName.delete(name)) this.log?.info({ endpoint: name }, "endpoint removed");
  }

  rejectEndpoint(name: string, reason: string): void {
    const servingLastGood = this.byName.has(name);
    this.problems.set(name, { service: name, reason, servingLastGood, at: new Date().toISOString() });
    this.log?.warn({ endpoint: name, reason, servingLastGood }, "endpoint settings rejected");
  }

  withdrawEndpoint(name: string, reason: string, detail: string): void {
    const wasServed = this.byName.delete(name);
    this.stats.forget(name);
    this.withdrawn.set(name, reason);
    this.problems.set(name, { service: name, reason: detail, servingLastGood: false, at: new Date().toISOString() });
    this.log?.warn({ endpoint: name, reason: detail, wasServed }, "endpoint withdrawn");
  }

  /** Why requests for a withdrawn endpoint name get 503 (undefined when it is not withdrawn). */
  unavailableReason(name: string): string | undefined {
    return this.withdrawn.get(name);
  }

  /** The endpoints' problems, and every name an endpoint and a service both claim. */
  problemList(): ServiceProblem[] {
    const out = [...this.problems.values()];
    for (const name of this.byName.keys())
      if (this.hasService(name))
        out.push({
          service: name,
          reason: `the name ${name} is claimed by an endpoint (annotation ${ENDPOINT_CONFIG_ANNOTATION}) and by a model service; neither is served. Fix: rename or delete one of them (the policy pack's endpoint-unique-names flags this before deployment)`,
          servingLastGood: false,
          at: new Date().toISOString(),
        });
    return out;
  }

  /**
   * The version one request goes to: the pinned one (`pinnedHeader`), or the weighted
   * choice. Called after authentication, so only clients of the endpoint learn its versions.
   */
  route(ep: EndpointState, pinnedHeader: string | string[] | undefined): RouteOutcome {
    const pinnedName = typeof pinnedHeader === "string" ? pinnedHeader.trim() : undefined;
    if (Array.isArray(pinnedHeader) || (pinnedName !== undefined && pinnedName !== "")) {
      const v = pinnedName === undefined ? undefined : ep.config.versions.find((x) => x.version === pinnedName);
      if (!v)
        return {
          ok: false,
          status: 400,
          // The unknown value is not echoed back; the versions are what the client needs.
          message: `the ${"azureml-model-deployment"} header names no version of endpoint ${ep.name}; its versions are ${ep.versionNames().join(", ")}`,
        };
      const service = this.services(v.service);
      if (!service)
        return {
          ok: false,
          status: 503,
          message: `version ${v.version} of endpoint ${ep.name} is not available: its service ${v.service} is not deployed (or not discovered yet)`,
        };
      return { ok: true, route: { endpoint: ep, version: v.version, service, pinned: true } };
    }
    const candidates: { name: string; weight: number }[] = [];
    for (const v of ep.config.versions) {
      const weight = ep.weights[v.version] ?? 0;
      if (weight > 0 && this.services(v.service)) candidates.push({ name: v.version, weight });
    }
    const chosen = ep.choice.pick(candidates);
    if (chosen === undefined)
      return {
        ok: false,
        status: 503,
        message: `no version of endpoint ${ep.name} that takes traffic is available (their services are not deployed or not discovered yet)`,
      };
    const v = ep.config.versions.find((x) => x.version === chosen)!;
    return { ok: true, route: { endpoint: ep, version: chosen, service: this.services(v.service)!, pinned: false } };
  }

  /** The mirror versions that get a copy of this (unpinned) request, each by its own exact share. */
  mirrorTargets(route: EndpointRoute): MirrorTarget[] {
    if (route.pinned) return [];
    let out: MirrorTarget[] | undefined;
    for (const v of route.endpoint.config.versions) {
      if (v.mirrorPercentile === 0 || v.version === route.version) continue;
      let share = route.endpoint.mirrorShares.get(v.version);
      if (!share) {
        share = new ShareCounter();
        route.endpoint.mirrorShares.set(v.version, share);
      }
      if (!share.take(v.mirrorPercentile)) continue;
      out ??= [];
      out.push({ version: v.version, service: this.services(v.service) });
    }
    return out ?? [];
  }

  /** A finished request through an endpoint: metrics, and (unpinned ones) the canary statistics. */
  observe(route: EndpointRoute, status: number, ms: number): void {
    this.metrics?.countEndpointRequest(route.endpoint.name, route.version, status);
    // Pinned requests are someone testing a version, not the traffic a rollout is judged on.
    if (!route.pinned) this.stats.observe(route.endpoint.name, route.version, status, ms);
  }
}
