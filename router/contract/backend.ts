/**
 * The seam between the router and where its model services run.
 *
 * A RouterBackend discovers model services and tells the router about them through a
 * ServiceCatalog, and says what else it can do: set replica counts, elect one
 * scaling leader among several router processes, resize the router itself. The
 * router (startRouter) composes everything else around it: the registry, the
 * listeners, the autoscaler (which reads demand and replica counts from the
 * registry), the peer load endpoint and router self-scaling. Two real backends
 * implement it: Kubernetes (watches, scale subresource, Lease) and local processes.
 */
import type { ServiceConfig } from "./serviceConfig.js";
import type { EndpointConfig } from "./endpointConfig.js";
import type { RolloutAction, RolloutState } from "./rolloutState.js";
import type { RouterSizeBounds } from "./routerSize.js";

/** One ready replica of a model service: where to send requests. */
export interface ReplicaEndpoint {
  /** Stable id (pod name, or `local-<n>`), used in logs and metrics. */
  id: string;
  /** Base URL without trailing slash, e.g. `http://10.244.1.7:5001`. */
  url: string;
}

/** The two valid keys of a key-auth service. Both are accepted at all times. */
export interface ServiceKeys {
  primaryKey: string;
  secondaryKey: string;
}

/** Everything the router needs to serve one model service. */
export interface ServiceSnapshot {
  name: string;
  config: ServiceConfig;
  /** Present for auth mode "key"; absent means no valid key yet (every request gets 401). */
  keys?: ServiceKeys;
  /** Ready replicas only. */
  replicas: ReplicaEndpoint[];
  /** Replicas the backend currently runs or has asked for (ready or not), e.g. Deployment spec.replicas. */
  currentReplicas: number;
}

/** Implemented by the router core; backends push discovery results into it. */
export interface ServiceCatalog {
  /** Adds or replaces a service. Replacing keeps in-flight requests and queues intact. */
  upsert(snapshot: ServiceSnapshot): void;
  /** Removes a service; queued requests for it get 503. */
  remove(name: string): void;
  /**
   * Reports a service whose settings could not be used (e.g. a bad `aksml/config`
   * annotation). The router keeps serving the last good settings if it had any,
   * and exposes the problem on /readyz details and in logs.
   */
  reject(name: string, reason: string): void;
  /**
   * Stops serving a name that cannot be served safely (e.g. two Services in watched
   * namespaces claim it): it is removed like {@link remove}, but requests for it get 503
   * with `reason` instead of 404, and `detail` (which may name namespaces and objects)
   * shows only among the problems on the admin port's /readyz. An upsert or a remove
   * of the name ends the withdrawal.
   */
  withdraw(name: string, reason: string, detail: string): void;
}

/** Everything the router needs to serve one endpoint (several versions behind one name). */
export interface EndpointSnapshot {
  name: string;
  config: EndpointConfig;
  /** Present for auth mode "key" (the `<name>-keys` Secret); absent: every request gets 401. */
  keys?: ServiceKeys;
  /** The live state of its rollout as last read (the `<name>-rollout` ConfigMap); absent when there is none. */
  rollout?: RolloutState;
}

/**
 * Implemented by the router core next to {@link ServiceCatalog}: backends that discover
 * endpoints push them here, with the same semantics (a rejected config keeps the last
 * good one; a withdrawn name is answered 503 with its reason).
 */
export interface EndpointCatalog {
  upsertEndpoint(snapshot: EndpointSnapshot): void;
  removeEndpoint(name: string): void;
  rejectEndpoint(name: string, reason: string): void;
  withdrawEndpoint(name: string, reason: string, detail: string): void;
}

/** A rollout decision, recorded where operators look (a Kubernetes Event about the endpoint). */
export interface RolloutEvent {
  action: RolloutAction;
  /** "Normal", or "Warning" for a rollback. */
  type: "Normal" | "Warning";
  /** `RolloutStarted`, `RolloutAdvanced`, `RolloutPromoted`, `RolloutRolledBack`. */
  reason: string;
  message: string;
}

/**
 * Where the live state of rollouts is kept. The leader writes; the backend feeds every
 * write back into the catalog (`EndpointSnapshot.rollout`) on every router process.
 */
export interface RolloutStore {
  /** Persists `state` as endpoint `endpoint`'s live rollout state (create or replace). */
  write(endpoint: string, state: RolloutState): Promise<void>;
  /** Records a decision (after its state was written). */
  record(endpoint: string, event: RolloutEvent): Promise<void>;
}

/** Demand of one service as seen by one router process. */
export interface ServiceLoad {
  service: string;
  /** Requests currently being processed by replicas. */
  inFlight: number;
  /** Requests waiting in the router's queue for a free replica. */
  queued: number;
}

/** Read by the autoscaler every tick. */
export interface LoadSource {
  /** Load of every known service in this router process. */
  localLoad(): ServiceLoad[];
}

/** What the autoscaler reads of a service every tick; the router's registry answers it. */
export type ServiceScalingView = Pick<ServiceSnapshot, "name" | "config" | "currentReplicas">;

/** Everything that differs between the places model services can run. */
export interface RouterBackend {
  /**
   * Starts discovery; resolves once the initial state has been pushed into the catalog:
   * a complete first read of every source, however long that takes (the router stays
   * not-ready meanwhile), never an empty catalog because a source could not be read.
   */
  start(catalog: ServiceCatalog & EndpointCatalog): Promise<void>;
  /**
   * Sets the desired replica count of a service's Deployment (or process set).
   * Absent: replica counts are fixed (static endpoints) and no autoscaler runs.
   */
  scale?(service: string, replicas: number): Promise<void>;
  /** Stops watches/processes. */
  stop(): Promise<void>;
  /**
   * Present when several router processes serve the same services: one of them (the
   * leader) decides scaling from every process's load. Absent: this process decides alone.
   */
  readonly leadership?: RouterLeadership;
  /** Present when the backend can resize the router itself: the leader then self-scales it. */
  readonly routerReplicas?: RouterReplicas;
  /** Present when the backend keeps rollout state: the leader then carries out endpoints' rollout plans. */
  readonly rollouts?: RolloutStore;
}

export interface RouterLeadership {
  /** Started after the backend, stopped before it. */
  readonly election: LeaderElection;
  /** This process's name in the load reports it sends the leader (the pod name). */
  readonly peerName: string;
  /**
   * The secret the router processes share: every load report carries it
   * (`Authorization: Bearer <secret>`) and the endpoint refuses reports without it, so
   * no other pod can steer scaling. Asked on every use, so a rotated secret takes effect.
   */
  peerSecret(): string;
}

/** The router's own size: its pod count (e.g. the router Deployment's scale subresource) and, optionally, its pods' CPU. */
export interface RouterReplicas {
  /** What is scaled, for logs (the Deployment's name). */
  readonly name: string;
  get(): Promise<number>;
  set(replicas: number): Promise<void>;
  /** Present when the backend can also change every router pod's CPU: the router then scales up before out. */
  readonly cpu?: RouterCpu;
  /** The bounds the platform set (AzuremlFe `selfScaling`); unset ones take the self-scaler's defaults. */
  readonly bounds?: Partial<RouterSizeBounds>;
}

/**
 * Whole CPU cores per router pod (its CPU limit; its workers follow). Kubernetes: the
 * LimitRange the router pods are admitted with, applied to running pods by an in-place
 * resize or a rolling restart (router/backends/kubernetes/routerPodCpu.ts).
 */
export interface RouterCpu {
  /** The cores every router pod should have, and whether they all have them and the pod count is reached. */
  get(): Promise<RouterCpuState>;
  /**
   * Makes `cores` the router pods' size and applies it to the pods that differ: in place
   * when `inPlace` (the router can change its worker count live) and the cluster can
   * resize pods, otherwise by a rolling restart. Idempotent: called again while a change
   * is under way, it only redoes what was lost (e.g. a leader that died half-way).
   */
  set(cores: number, how: { inPlace: boolean }): Promise<void>;
}

export interface RouterCpuState {
  cores: number;
  /** Every router pod runs with `cores` and every wanted pod is available: no rollout, resize or pending pod left. */
  settled: boolean;
  /** Why it has not settled, for logs (e.g. `rollout: 1/3 pods updated`). */
  detail?: string;
  /** A pod's node can never give it `cores` (an in-place resize the kubelet found infeasible): waiting will not help. */
  infeasible?: boolean;
}

/** Who decides scaling: exactly one router process at a time. */
export interface LeaderElection {
  isLeader(): boolean;
  /** Base URL of the current leader's peer endpoint, or undefined if this process leads or none is known. */
  leaderUrl(): string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Path on which the leader accepts followers' load reports (POST, JSON {@link PeerLoadReport}, `Authorization: Bearer <peer secret>`). */
export const PEER_LOAD_PATH = "/internal/v1/load";

/** What a follower sends the leader every refresh tick. */
export interface PeerLoadReport {
  /** The follower's pod name. */
  peer: string;
  /** Milliseconds since epoch at the follower; reports older than a few ticks are ignored. */
  sentAt: number;
  loads: ServiceLoad[];
}
