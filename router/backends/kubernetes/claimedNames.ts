/**
 * The names that model Services and endpoint Services claim across the watched namespaces,
 * and what the catalog was last told about each: no Service claims a name (removed), one
 * does (published, or rejected for a bad annotation), or two or more do (withdrawn until
 * all but one are gone: picking a winner would let a look-alike in another namespace take
 * the name's traffic and its clients' keys). One set of rules for both kinds of name.
 */
import type { V1Service } from "@kubernetes/client-node";
import type { Log } from "../../log.js";

type Parsed<C> = { ok: true; config: C } | { ok: false; problems: { path: string; reason: string }[] };

/** What differs between the kinds of name: where the claim and its settings are, and what a snapshot holds. */
export interface ClaimedKind<C, S> {
  /** The word in messages and the log field naming one. */
  readonly noun: "service" | "endpoint";
  /** The label whose value is the claimed name (the Service is also named like it). */
  readonly label: string;
  /** The annotation holding the settings. */
  readonly annotation: string;
  /** What clients of a withdrawn name are told (the namespaces stay on the admin port). */
  readonly duplicateReason: string;
  /** The withdrawn name's detail for the admin port, given the namespaces claiming it. */
  duplicateDetail(name: string, namespaces: string): string;
  parse(name: string, annotation: string): Parsed<C>;
  /** The accepted claim's snapshot (keys, replicas, rollout: read from the caches). */
  snapshot(name: string, namespace: string, config: C): S;
}

/** The catalog calls one kind of name takes. */
export interface ClaimCatalog<S> {
  upsert(snapshot: S): void;
  remove(name: string): void;
  reject(name: string, reason: string): void;
  withdraw(name: string, reason: string, detail: string): void;
}

export class ClaimedNames<C, S> {
  /** The Service accepted for each name: where it is and its settings. */
  readonly accepted = new Map<string, { namespace: string; config: C }>();
  /** The last snapshot published (to skip no-op upserts), rejection and withdrawal detail per name. */
  private readonly published = new Map<string, string>();
  private readonly rejected = new Map<string, string>();
  private readonly withdrawn = new Map<string, string>();

  constructor(
    private readonly kind: ClaimedKind<C, S>,
    private readonly log?: Log,
  ) {}

  /** The names the Services claim. */
  names(services: V1Service[]): Set<string> {
    return new Set(services.map((s) => s.metadata?.labels?.[this.kind.label]).filter((n): n is string => !!n));
  }

  /** Recomputes `name` from the Services of every watched namespace, and tells the catalog what changed. */
  sync(name: string, services: V1Service[], catalog: ClaimCatalog<S>): void {
    const { kind } = this;
    // The Service named like its label, in any watched namespace.
    const candidates = services.filter((s) => s.metadata?.name === name && s.metadata?.labels?.[kind.label] === name);
    if (candidates.length === 0) {
      // Every map is cleared (no short-circuit): a stale accepted entry would still be scalable,
      // and a name that was only ever rejected still has a problem to clear.
      const maps = [this.published, this.accepted, this.withdrawn, this.rejected];
      if (maps.map((m) => m.delete(name)).some(Boolean)) catalog.remove(name);
      return;
    }
    if (candidates.length > 1) {
      const where = candidates
        .map((c) => c.metadata?.namespace ?? "?")
        .sort()
        .join(", ");
      const detail = kind.duplicateDetail(name, where);
      this.accepted.delete(name);
      this.published.delete(name);
      this.rejected.delete(name);
      if (this.withdrawn.get(name) === detail) return;
      this.withdrawn.set(name, detail);
      this.log?.warn({ [kind.noun]: name, namespaces: where }, `${kind.noun} name claimed twice; withdrawn`);
      catalog.withdraw(name, `${kind.noun} ${JSON.stringify(name)} is unavailable: ${kind.duplicateReason}`, detail);
      return;
    }
    const wasWithdrawn = this.withdrawn.delete(name);
    const svc = candidates[0]!;
    const namespace = svc.metadata?.namespace ?? "default";
    const parsed = kind.parse(name, svc.metadata?.annotations?.[kind.annotation] ?? "{}");
    if (!parsed.ok) {
      // A withdrawn name has no last good settings to keep: it stays unserved, now for this reason.
      if (wasWithdrawn) catalog.remove(name);
      const reason = `annotation ${kind.annotation} on Service ${namespace}/${name}: ${parsed.problems.map((p) => `${p.path} ${p.reason}`).join("; ")}`;
      if (this.rejected.get(name) === reason) return;
      this.rejected.set(name, reason);
      this.log?.warn({ [kind.noun]: name, reason }, `${kind.noun} rejected`);
      catalog.reject(name, reason);
      return;
    }
    this.rejected.delete(name);
    this.accepted.set(name, { namespace, config: parsed.config });
    const snapshot = kind.snapshot(name, namespace, parsed.config);
    const text = JSON.stringify(snapshot);
    if (this.published.get(name) === text) return;
    this.published.set(name, text);
    catalog.upsert(snapshot);
  }
}
