/**
 * The router's control half, composed around what the backend offers: the model
 * autoscaler (when the backend can scale), the peer load endpoint and board (when
 * router processes elect a scaling leader), router self-scaling (when the backend
 * can resize the router) and, with a worker pool that can change its size live, the
 * watch that keeps its worker count at the pod's CPU limit. Started once the backend
 * has pushed its initial state and its election has started; stopped before either stops. The peer load endpoint
 * accepts only reports carrying the peers' shared secret, about services this router
 * knows, from a bounded number of peers. When the backend keeps rollout state, the
 * leader also carries out endpoints' rollout plans (endpoints/rolloutController.ts).
 * The admin port's `GET /endpoints` shows every endpoint's split and rollout, from the
 * main thread's catalog (and the leader's latest look, judged on every worker's counts).
 */
import { PEER_LOAD_PATH, type RouterBackend } from "./contract/backend.js";
import { Autoscaler, type ScalingDecision } from "./autoscaler/autoscaler.js";
import { PeerLoadBoard, handlePeerLoadRequest } from "./autoscaler/peerLoads.js";
import { RouterSelfScaler } from "./autoscaler/selfScaling.js";
import { CpuQuotaWatch, type LiveWorkers } from "./autoscaler/cpuQuota.js";
import type { AdminRouteHandler } from "./httpHandlers.js";
import type { RouterCatalog } from "./catalog.js";
import type { RouterMetrics } from "./metrics.js";
import type { Log } from "./log.js";
import type { RolloutEvent } from "./contract/backend.js";
import { RolloutController } from "./endpoints/rolloutController.js";
import { endpointStatus } from "./endpoints/endpointStatus.js";
import type { EndpointMetrics } from "./endpoints/endpointMetrics.js";
import type { VersionStatsSource } from "./endpoints/versionStats.js";

export interface ControlLoopParts {
  registry: RouterCatalog;
  metrics: RouterMetrics;
  log: Log;
  /** Called for every decision that changes a replica count, e.g. to print it. */
  onScalingDecision?: (d: ScalingDecision) => void;
  endpointMetrics?: EndpointMetrics;
  /** The endpoint versions' counts over every data-path worker, for the rollout loop. */
  versionStats?: VersionStatsSource;
  /** Called for every rollout decision this router takes as leader. */
  onRolloutDecision?: (endpoint: string, event: RolloutEvent) => void;
  /** @default 1000 */
  rolloutCheckIntervalMs?: number;
  /**
   * The worker pool, when it runs `AKSML_WORKERS=auto` and can change its size live: its
   * count then follows the pod's CPU limit, and self-scaling resizes pods in place where
   * the cluster can (otherwise CPU changes restart the pods).
   */
  workers?: LiveWorkers;
  /** Reads the CPU limit for `workers`. @default the cgroup quota every 5 s */
  cpuLimit?: { read(): number | undefined; pollMs?: number };
}

/** The admin port's view of every endpoint (versions, live split, rollout). */
export const ENDPOINTS_ADMIN_PATH = "/endpoints";

type ScalingBackend = RouterBackend & Required<Pick<RouterBackend, "scale">>;
const canScale = (b: RouterBackend): b is ScalingBackend => typeof b.scale === "function";

export class ControlLoops {
  /** Admin-port routes of the loops: the peer load endpoint when there is a leader election. */
  readonly adminRoutes = new Map<string, AdminRouteHandler>();
  private readonly board?: PeerLoadBoard;
  private autoscaler?: Autoscaler;
  private selfScaler?: RouterSelfScaler;
  private rollouts?: RolloutController;
  private quotaWatch?: CpuQuotaWatch;

  constructor(
    private readonly backend: RouterBackend,
    private readonly parts: ControlLoopParts,
  ) {
    this.adminRoutes.set(ENDPOINTS_ADMIN_PATH, (_req, res) => {
      const { registry } = parts;
      const body = JSON.stringify({
        endpoints: [...registry.endpoints.all()].map((ep) =>
          endpointStatus(
            ep.name,
            ep.config,
            ep.rollout,
            (service) => registry.get(service)?.snapshot.replicas.length,
            this.rollouts?.observation(ep.name),
          ),
        ),
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    const { leadership } = backend;
    if (leadership) {
      // Reports may only speak of services this router serves: made-up names are dropped.
      const board = new PeerLoadBoard({ isService: (name) => parts.registry.get(name) !== undefined });
      this.board = board;
      const secret = () => leadership.peerSecret();
      this.adminRoutes.set(PEER_LOAD_PATH, (req, res) => void handlePeerLoadRequest(board, req, res, secret));
    }
  }

  start(): void {
    const { backend } = this;
    const { registry, metrics, log } = this.parts;
    const election = backend.leadership?.election;
    if (canScale(backend)) {
      this.autoscaler = new Autoscaler({
        services: () => registry.scalingViews(),
        load: registry,
        backend,
        election,
        peers: this.board,
        peerName: backend.leadership?.peerName,
        peerSecret: backend.leadership ? () => backend.leadership!.peerSecret() : undefined,
        metrics,
        log,
        onDecision: this.parts.onScalingDecision,
      });
      this.autoscaler.start();
    }
    if (backend.rollouts) {
      this.rollouts = new RolloutController({
        endpoints: registry.endpoints,
        stats: this.parts.versionStats,
        store: backend.rollouts,
        isLeader: election ? () => election.isLeader() : undefined,
        log,
        metrics: this.parts.endpointMetrics,
        onDecision: this.parts.onRolloutDecision,
        checkIntervalMs: this.parts.rolloutCheckIntervalMs,
      });
      this.rollouts.start();
    }
    if (backend.routerReplicas) {
      this.selfScaler = new RouterSelfScaler({
        target: backend.routerReplicas,
        isLeader: () => election?.isLeader() ?? true,
        metricsRegistry: metrics.registry,
        inPlace: this.parts.workers !== undefined,
        log,
      });
      this.selfScaler.start();
    }
    if (this.parts.workers) {
      const { cpuLimit } = this.parts;
      this.quotaWatch = new CpuQuotaWatch({
        workers: this.parts.workers,
        log,
        readLimit: cpuLimit ? () => cpuLimit.read() : undefined,
        intervalMs: cpuLimit?.pollMs,
      });
      this.quotaWatch.start();
    }
  }

  async stop(): Promise<void> {
    await this.rollouts?.stop();
    await this.autoscaler?.stop();
    await this.selfScaler?.stop();
    await this.quotaWatch?.stop();
  }
}
