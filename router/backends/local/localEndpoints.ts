/**
 * The endpoints of `aksml local` and their rollouts' live state. One router process
 * serves them, so the state lives in memory: every write is fed straight back into the
 * catalog (as the Kubernetes backend feeds back its ConfigMap), and the decisions are
 * kept (the last 100) for status and printed by the command.
 */
import type { EndpointCatalog, RolloutEvent, RolloutStore, ServiceKeys } from "../../contract/backend.js";
import type { EndpointConfig } from "../../contract/endpointConfig.js";
import type { RolloutState } from "../../contract/rolloutState.js";

export interface LocalEndpointSpec {
  name: string;
  /** The same JSON as the `aksml/endpoint-config` annotation, parsed. */
  config: EndpointConfig;
  keys?: ServiceKeys;
}

/** Decisions kept per run. */
const MAX_EVENTS = 100;

export class LocalEndpoints implements RolloutStore {
  private catalog: EndpointCatalog | undefined;
  private readonly states = new Map<string, RolloutState>();
  /** Every recorded decision, oldest first (at most 100). */
  readonly events: { at: string; endpoint: string; event: RolloutEvent }[] = [];

  constructor(private readonly specs: readonly LocalEndpointSpec[]) {}

  start(catalog: EndpointCatalog): void {
    this.catalog = catalog;
    for (const spec of this.specs) this.publish(spec);
  }

  async write(endpoint: string, state: RolloutState): Promise<void> {
    const spec = this.specs.find((s) => s.name === endpoint);
    if (!spec) throw new Error(`unknown local endpoint ${JSON.stringify(endpoint)}`);
    this.states.set(endpoint, state);
    this.publish(spec);
  }

  async record(endpoint: string, event: RolloutEvent): Promise<void> {
    this.events.push({ at: new Date().toISOString(), endpoint, event });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  private publish(spec: LocalEndpointSpec): void {
    this.catalog?.upsertEndpoint({
      name: spec.name,
      config: spec.config,
      keys: spec.keys,
      rollout: this.states.get(spec.name),
    });
  }
}
