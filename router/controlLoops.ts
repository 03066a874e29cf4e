/**
 * The router's control half, composed around what the backend offers: the model
 * autoscaler (when the backend can scale), the peer load endpoint and board (when
 * router processes elect a scaling leader), router self-scaling (when the backend
 * can resize the router) and, with a worker pool that can change its size live, the
 * watch that keeps its worker count at the pod's CPU limit. Started once the backend
 * has pushed its initial state and its election has started; stopped before either stops. The peer load endpoint
 * accepts only reports carrying the peers' shared secret, about services this router
 * knows, from a bounded number of peers.
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

export interface ControlLoopParts {
  registry: RouterCatalog;
  metrics: RouterMetrics;
  log: Log;
  /** Called for every decision that changes a replica count, e.g. to print it. */
  onScalingDecision?: (d: ScalingDecision) => void;
  /**
   * The worker pool, when it runs `AKSML_WORKERS=auto` and can change its size live: its
   * count then follows the pod's CPU limit, and self-scaling resizes pods in place where
   * the cluster can (otherwise CPU changes restart the pods).
   */
  workers?: LiveWorkers;
  /** Reads the CPU limit for `workers`. @default the cgroup quota every 5 s */
  cpuLimit?: { read(): number | undefined; pollMs?: number };
}

type ScalingBackend = RouterBackend & Required<Pick<RouterBackend, "scale">>;
const canScale = (b: RouterBackend): b is ScalingBackend => typeof b.scale === "function";

export class ControlLoops {
  /** Admin-port routes of the loops: the peer load endpoint when there is a leader election. */
  readonly adminRoutes = new Map<string, AdminRouteHandler>();
  private readonly board?: PeerLoadBoard;
  private autoscaler?: Autoscaler;
  private selfScaler?: RouterSelfScaler;
  private quotaWatch?: CpuQuotaWatch;

  constructor(
    private readonly backend: RouterBackend,
    private readonly parts: ControlLoopParts,
  ) {
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
    await this.autoscaler?.stop();
    await this.selfScaler?.stop();
    await this.quotaWatch?.stop();
  }
}
