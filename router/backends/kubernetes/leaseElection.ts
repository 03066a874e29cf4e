/**
 * One scaling leader among the router pods, elected with a `coordination.k8s.io/v1`
 * Lease (RBAC: get, create, update). client-go's rules: the holder renews every
 * `renewSeconds`; every write carries the resourceVersion it read (optimistic
 * concurrency), so two candidates cannot both win; a candidate takes over only when
 * the record has not changed for a whole `leaseDurationSeconds` by ITS OWN clock
 * (no trust in other pods' clocks); a leader that cannot renew stops acting as
 * leader after two thirds of the duration (client-go: renewDeadline 10 s of a 15 s
 * lease), counted from the START of its last successful round, so it stands down
 * well before anyone else can take over.
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { LeaderElection } from "../../contract/backend.js";
import type { Log } from "../../log.js";
import { statusCode } from "./scaleSubresource.js";

export interface LeaseElectionOptions {
  namespace: string;
  leaseName: string;
  /** This pod's name: the Lease holderIdentity. */
  identity: string;
  /** Maps a holder (pod name) to its peer endpoint base URL. */
  resolvePeer: (podName: string) => string | undefined;
  leaseDurationSeconds?: number;
  renewSeconds?: number;
  now?: () => number;
  log?: Log;
}

export class LeaseElection implements LeaderElection {
  private readonly api: CoordinationV1Api;
  private readonly durationMs: number;
  private readonly renewMs: number;
  private readonly now: () => number;
  private holder?: string;
  /** Local time at the start of our last successful round as holder. */
  private renewedAt = -Infinity;
  /** The last record seen (holder + renewTime + resourceVersion) and when it was first seen locally. */
  private observed?: { key: string; at: number };
  private timer?: NodeJS.Timeout;
  private running = false;
  private loop?: Promise<void>;

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaseElectionOptions,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.durationMs = (opts.leaseDurationSeconds ?? 15) * 1000;
    this.renewMs = (opts.renewSeconds ?? 5) * 1000;
    this.now = opts.now ?? (() => performance.now());
  }

  isLeader(): boolean {
    return this.holder === this.opts.identity && this.now() - this.renewedAt < this.renewDeadlineMs();
  }

  private renewDeadlineMs(): number {
    return (this.durationMs * 2) / 3;
  }

  /** The holder's name as last observed. */
  leaderName(): string | undefined {
    return this.holder;
  }

  leaderUrl(): string | undefined {
    if (!this.holder || this.holder === this.opts.identity) return undefined;
    return this.opts.resolvePeer(this.holder);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.attempt();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.loop;
    if (this.isLeader()) await this.release();
  }

  private schedule(): void {
    if (!this.running) return;
    // Candidates poll at the renew interval too, so a takeover happens within duration + renew.
    this.timer = setTimeout(() => {
      this.loop = this.attempt().finally(() => this.schedule());
    }, this.renewMs);
    this.timer.unref();
  }

  /** One acquire-or-renew round. Never throws: a failed round only means "not leader for now". */
  async attempt(): Promise<void> {
    const { namespace, leaseName: name, identity } = this.opts;
    const startedAt = this.now();
    try {
      let lease: V1Lease;
      try {
        lease = await this.api.readNamespacedLease({ name, namespace });
      } catch (e) {
        if (statusCode(e) !== 404) throw e;
        await this.api.createNamespacedLease({ namespace, body: this.record({ metadata: { name, namespace } }, 0) });
        this.won("created the lease", startedAt);
        return;
      }
      const spec = lease.spec ?? {};
      const key = `${spec.holderIdentity ?? ""}|${spec.renewTime ? new Date(spec.renewTime).getTime() : ""}|${lease.metadata?.resourceVersion ?? ""}`;
      const now = this.now();
      if (this.observed?.key !== key) this.observed = { key, at: now };
      const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
      const expired =
        now - this.observed.at >= (spec.leaseDurationSeconds ? spec.leaseDurationSeconds * 1000 : this.durationMs);
      if (heldByOther && !expired) {
        if (this.holder !== spec.holderIdentity)
          this.opts.log?.info({ leader: spec.holderIdentity }, "following scaling leader");
        this.holder = spec.holderIdentity;
        return;
      }
      const transitions = (spec.leaseTransitions ?? 0) + (heldByOther || !spec.holderIdentity ? 1 : 0);
      const keepAcquire = !heldByOther && spec.holderIdentity === identity ? spec.acquireTime : undefined;
      await this.api.replaceNamespacedLease({ name, namespace, body: this.record(lease, transitions, keepAcquire) });
      this.won(heldByOther ? `took over from ${spec.holderIdentity} (lease expired)` : "renewed", startedAt);
    } catch (e) {
      // 409: someone else wrote first; re-read next round. Anything else: the API is unreachable.
      if (statusCode(e) !== 409) this.opts.log?.warn({ err: (e as Error).message }, "lease round failed");
      if (this.holder === this.opts.identity && !this.isLeader()) this.holder = undefined;
    }
  }

  private won(how: string, roundStartedAt: number): void {
    const was = this.isLeader();
    this.holder = this.opts.identity;
    this.renewedAt = roundStartedAt;
    this.observed = undefined;
    if (!was) this.opts.log?.info({ identity: this.opts.identity, how }, "became scaling leader");
  }

  private record(base: V1Lease, transitions: number, acquireTime?: Date): V1Lease {
    // MicroTime fields must carry 6 fractional digits: the API server parses them with RFC3339Micro and rejects a plain Date's 3.
    const now = new V1MicroTime();
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: base.metadata,
      spec: {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: this.durationMs / 1000,
        acquireTime: acquireTime ? new V1MicroTime(acquireTime) : now,
        renewTime: now,
        leaseTransitions: transitions,
      },
    };
  }

  /** Hands the lease over on shutdown by expiring it at once (holder cleared), as client-go's ReleaseOnCancel does. */
  private async release(): Promise<void> {
    const { namespace, leaseName: name } = this.opts;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.opts.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1 };
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (e) {
      this.opts.log?.warn({ err: (e as Error).message }, "lease release failed");
    } finally {
      this.holder = undefined;
    }
  }
}
