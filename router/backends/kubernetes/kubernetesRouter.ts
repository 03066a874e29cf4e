/**
 * Router options for the cluster: the Kubernetes backend, Lease leadership among
 * the router pods (found through the headless peers Service), the peer load
 * endpoint on the admin port, the model autoscaler and, unless disabled (DevTest),
 * router self-scaling.
 */
import { AppsV1Api, KubeConfig } from "@kubernetes/client-node";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LeaderElection } from "../../contract/backend.js";
import { PEER_LOAD_PATH } from "../../contract/backend.js";
import type { RouterEnvConfig } from "../../config.js";
import type { AdminRouteHandler, StartRouterOptions } from "../../startRouter.js";
import { Autoscaler } from "../../autoscaler/autoscaler.js";
import { LateBoundLog, type ControlLog } from "../../autoscaler/lateBoundLog.js";
import { ObservedBackend } from "../../autoscaler/observedBackend.js";
import { PeerLoadBoard, handlePeerLoadRequest } from "../../autoscaler/peerLoads.js";
import { ModelServiceWatch } from "./modelServiceWatch.js";
import { LeaseElection } from "./leaseElection.js";
import { PeerDirectory } from "./peerDirectory.js";
import { RouterSelfScaler, type SelfScalingConfig } from "./selfScaling.js";

type Settings = Pick<
  RouterEnvConfig,
  "podName" | "podNamespace" | "peersService" | "leaseName" | "routerDeployment" | "selfScaling"
>;

export interface KubernetesRouterTuning {
  /** Logger for discovery and election; default: the router's logger once it exists (JSON on stderr before that). */
  log?: ControlLog;
  leaseDurationSeconds?: number;
  renewSeconds?: number;
  selfScaling?: Partial<SelfScalingConfig>;
  restartDelayMs?: number;
}

/** Leadership = peer discovery + the Lease; started and stopped together. */
class ClusterLeadership implements LeaderElection {
  constructor(
    readonly directory: PeerDirectory,
    readonly lease: LeaseElection,
  ) {}
  isLeader(): boolean {
    return this.lease.isLeader();
  }
  leaderUrl(): string | undefined {
    return this.lease.leaderUrl();
  }
  async start(): Promise<void> {
    await this.directory.start();
    await this.lease.start();
  }
  async stop(): Promise<void> {
    await this.lease.stop();
    await this.directory.stop();
  }
}

/** Kubeconfig in the pod (service account) or, outside, the default kubeconfig. */
export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

export function kubernetesRouterOptions(
  settings: Settings,
  kc: KubeConfig = defaultKubeConfig(),
  tuning: KubernetesRouterTuning = {},
): Pick<StartRouterOptions, "backend" | "leaderElection" | "adminRoutes" | "onStarted"> {
  const late = new LateBoundLog();
  const log: ControlLog = tuning.log ?? late;
  const observed = new ObservedBackend(new ModelServiceWatch(kc, { restartDelayMs: tuning.restartDelayMs, log }));
  const board = new PeerLoadBoard();
  const adminRoutes = new Map<string, AdminRouteHandler>([
    [PEER_LOAD_PATH, (req: IncomingMessage, res: ServerResponse) => void handlePeerLoadRequest(board, req, res)],
  ]);

  const { podNamespace: namespace, leaseName, peersService } = settings;
  let leadership: ClusterLeadership | undefined;
  if (namespace && leaseName && peersService) {
    const directory = new PeerDirectory(kc, namespace, peersService, log);
    const lease = new LeaseElection(kc, {
      namespace,
      leaseName,
      identity: settings.podName,
      resolvePeer: (pod) => directory.urlOf(pod),
      leaseDurationSeconds: tuning.leaseDurationSeconds,
      renewSeconds: tuning.renewSeconds,
      log,
    });
    leadership = new ClusterLeadership(directory, lease);
  }

  return {
    backend: observed,
    leaderElection: leadership,
    adminRoutes,
    onStarted: ({ registry, metrics, log }) => {
      late.target = log;
      if (!leadership)
        log.warn(
          { missing: ["AKSML_POD_NAMESPACE", "AKSML_LEASE_NAME", "AKSML_PEERS_SERVICE"] },
          "no leader election configured: this router scales alone; run one replica only",
        );
      const autoscaler = new Autoscaler({
        services: () => observed.services(),
        load: registry,
        backend: observed,
        election: leadership,
        peers: board,
        peerName: settings.podName,
        metrics,
        log,
      });
      autoscaler.start();
      let selfScaler: RouterSelfScaler | undefined;
      if (settings.selfScaling && settings.routerDeployment && namespace) {
        selfScaler = new RouterSelfScaler({
          apps: kc.makeApiClient(AppsV1Api),
          namespace,
          deployment: settings.routerDeployment,
          isLeader: () => leadership?.isLeader() ?? true,
          metricsRegistry: metrics.registry,
          config: tuning.selfScaling,
          log,
        });
        selfScaler.start();
      }
      return async () => {
        await autoscaler.stop();
        await selfScaler?.stop();
      };
    },
  };
}
