/**
 * One data-path worker's table of model services, rebuilt from the main thread's catalog
 * changes (catalog.ts decides, this applies): settings, keys and replicas are swapped in
 * place, so in-flight requests and queues carry on; a removed service fails this worker's
 * queue with 503; a withdrawn name is answered 503 with its reason until it is upserted or
 * removed. Endpoints (several versions behind one name) are in `endpoints`
 * (endpoints/endpointTable.ts), rebuilt from the same changes.
 */
import type { ServiceSnapshot } from "./contract/backend.js";
import { KEYS_SECRET_SUFFIX, unpresentableKeyProblem, type ServiceConfig } from "./contract/serviceConfig.js";
import type { ServiceAuth } from "./auth/authenticate.js";
import { KeyVerifier } from "./auth/keys.js";
import { TokenVerifier } from "./auth/tokens.js";
import { ServiceState } from "./serviceState.js";
import { ServiceGoneError, drain, failQueue } from "./dispatcher.js";
import type { CatalogChange } from "./catalogChange.js";
import type { SlotTable } from "./slotTable.js";
import { EndpointTable } from "./endpoints/endpointTable.js";

export class ServiceRegistry {
  private readonly byName = new Map<string, ServiceState>();
  /** Withdrawn names and the reason their requests are given. */
  private readonly withdrawn = new Map<string, string>();
  readonly endpoints: EndpointTable;

  constructor(
    private readonly table: SlotTable,
    private readonly worker: number,
  ) {
    this.endpoints = new EndpointTable((name) => this.byName.get(name), buildAuth);
  }

  get(name: string): ServiceState | undefined {
    return this.byName.get(name);
  }

  /** Why requests for a withdrawn name get 503 (undefined when the name is not withdrawn). */
  unavailableReason(name: string): string | undefined {
    return this.withdrawn.get(name);
  }

  apply(change: CatalogChange): void {
    switch (change.kind) {
      case "upsert":
        this.withdrawn.delete(change.snapshot.name);
        this.upsert(change.snapshot, change.row, change.replicaRows);
        return;
      case "remove":
        this.withdrawn.delete(change.name);
        this.drop(change.name);
        return;
      case "withdraw":
        this.drop(change.name);
        this.withdrawn.set(change.name, change.reason);
        return;
      case "upsertEndpoint":
        // The main thread accepted it (its auth builds), so it builds here too.
        this.endpoints.upsertEndpoint(change.snapshot);
        return;
      case "removeEndpoint":
        this.endpoints.removeEndpoint(change.name);
        return;
      case "withdrawEndpoint":
        this.endpoints.withdrawEndpoint(change.name, change.reason, change.reason);
        return;
    }
  }

  private upsert(snapshot: ServiceSnapshot, row: number, replicaRows: readonly number[]): void {
    const existing = this.byName.get(snapshot.name);
    // The main thread checked the keys (keysProblem) before sending the change.
    const auth = buildAuth(snapshot.config, existing?.auth, snapshot.keys);
    if (existing && existing.row === row) {
      existing.config = snapshot.config;
      existing.auth = auth;
      existing.currentReplicas = snapshot.currentReplicas;
      existing.setReplicas(snapshot.replicas, replicaRows);
      drain(existing);
      return;
    }
    if (existing) this.drop(snapshot.name);
    const svc = new ServiceState(snapshot.name, snapshot.config, auth, this.table, this.worker, row);
    svc.currentReplicas = snapshot.currentReplicas;
    svc.setReplicas(snapshot.replicas, replicaRows);
    this.byName.set(snapshot.name, svc);
  }

  /** Takes a service out of the table and fails its queue. */
  private drop(name: string): void {
    const svc = this.byName.get(name);
    if (!svc) return;
    this.byName.delete(name);
    svc.removed = true;
    failQueue(svc, new ServiceGoneError(name));
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** Why a snapshot cannot be served (a key no client could present), or undefined. The main thread rejects it then. */
export function keysProblem(snapshot: {
  config: Pick<ServiceConfig, "auth">;
  keys?: ServiceSnapshot["keys"];
}): string | undefined {
  if (snapshot.config.auth.mode !== "key" || !snapshot.keys) return undefined;
  for (const k of ["primaryKey", "secondaryKey"] as const) {
    const problem = unpresentableKeyProblem(snapshot.keys[k]);
    if (problem !== undefined)
      return `${k} ${problem}, so no request could ever be accepted with it; fix the key Secret (<name>${KEYS_SECRET_SUFFIX})`;
  }
  return undefined;
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
      const problem = keysProblem({ config, keys });
      if (problem !== undefined) throw new Error(problem);
      const next = new KeyVerifier(keys);
      if (previous?.mode === "key" && previous.keys?.sameKeysAs(next)) return previous;
      return { mode: "key", keys: next };
    }
    case "token":
      if (previous?.mode === "token" && previous.tokens.matches(config.auth)) return previous;
      return { mode: "token", tokens: new TokenVerifier(config.auth) };
  }
}
