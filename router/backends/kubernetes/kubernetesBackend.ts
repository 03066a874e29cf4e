/**
 * The Kubernetes backend: model services from watches in the declared namespaces
 * (ModelServiceWatch), scaled through their Deployments' `scale` subresource; Lease
 * leadership among the router pods, found through the headless peers Service, their
 * load reports authenticated with the shared peer secret; and, unless disabled
 * (DevTest), the router Deployment for self-scaling: its replica count and, given CPU
 * bounds, its pods' CPU (routerPodCpu.ts); endpoints and their rollouts' live state
 * (EndpointWatch, the RolloutStore). The router composes the
 * autoscaler, the peer load endpoint and the self-scaler around it. `start` resolves
 * only once every watch has listed successfully (the router stays not-ready until then).
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type {
  EndpointCatalog,
  LeaderElection,
  RouterBackend,
  RouterLeadership,
  RouterReplicas,
  ServiceCatalog,
} from "../../contract/backend.js";
import { ROUTER_ENV } from "../../contract/routerEnvironment.js";
import { RouterConfigError, type RouterEnvConfig } from "../../config.js";
import type { Log } from "../../log.js";
import { ModelServiceWatch } from "./modelServiceWatch.js";
import { EndpointWatch } from "./endpointWatch.js";
import { LeaseElection } from "./leaseElection.js";
import { PeerDirectory } from "./peerDirectory.js";
import { FilePeerSecret } from "./peerSecret.js";
import { deploymentReplicas } from "./scaleSubresource.js";
import { RouterPodCpu } from "./routerPodCpu.js";

export type KubernetesSettings = Pick<
  RouterEnvConfig,
  "podName" | "podNamespace" | "peersService" | "leaseName" | "routerDeployment" | "selfScaling" | "watchNamespaces"
> &
  Partial<Pick<RouterEnvConfig, "peerSecretFile" | "selfScalingBounds">>;

export interface KubernetesBackendTuning {
  leaseDurationSeconds?: number;
  renewSeconds?: number;
  /** First delay before a failed list or watch restarts (then exponential back-off). */
  restartDelayMs?: number;
  /** How often the peer secret file is re-read. */
  peerSecretRefreshMs?: number;
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

export class KubernetesBackend implements RouterBackend {
  readonly leadership?: RouterLeadership;
  readonly routerReplicas?: RouterReplicas;
  /** The endpoints' watch is also where rollouts' live state is kept (ConfigMaps, Events). */
  readonly rollouts: EndpointWatch;
  private readonly models: ModelServiceWatch;

  constructor(
    settings: KubernetesSettings,
    private readonly log: Log,
    kc: KubeConfig = defaultKubeConfig(),
    tuning: KubernetesBackendTuning = {},
  ) {
    this.models = new ModelServiceWatch(kc, {
      namespaces: settings.watchNamespaces,
      restartDelayMs: tuning.restartDelayMs,
      log,
    });
    this.rollouts = new EndpointWatch(kc, {
      namespaces: settings.watchNamespaces,
      restartDelayMs: tuning.restartDelayMs,
      podName: settings.podName,
      log,
    });
    const { podNamespace: namespace, leaseName, peersService } = settings;
    let directory: PeerDirectory | undefined;
    if (namespace && leaseName && peersService) {
      if (!settings.peerSecretFile)
        throw new RouterConfigError([
          `${ROUTER_ENV.peerSecretFile} is required with leader election (${ROUTER_ENV.leaseName})`,
        ]);
      const secret = new FilePeerSecret(settings.peerSecretFile, log, tuning.peerSecretRefreshMs);
      const peers = new PeerDirectory(kc, namespace, peersService, log, tuning.restartDelayMs);
      directory = peers;
      const lease = new LeaseElection(kc, {
        namespace,
        leaseName,
        identity: settings.podName,
        resolvePeer: (pod) => peers.urlOf(pod),
        leaseDurationSeconds: tuning.leaseDurationSeconds,
        renewSeconds: tuning.renewSeconds,
        log,
      });
      this.leadership = {
        election: new ClusterLeadership(peers, lease),
        peerName: settings.podName,
        peerSecret: () => secret.current(),
      };
    }
    const deployment = settings.routerDeployment;
    if (settings.selfScaling && deployment && namespace) {
      const apps = kc.makeApiClient(AppsV1Api);
      const bounds = settings.selfScalingBounds ?? {};
      // CPU bounds come with the LimitRange that holds the pods' size (AzuremlFe writes both).
      const vertical = bounds.minCpuPerPod !== undefined && bounds.maxCpuPerPod !== undefined;
      const pods = () => (directory ? [...directory.peers().keys()] : [settings.podName]);
      this.routerReplicas = {
        ...deploymentReplicas(apps, namespace, deployment),
        bounds,
        cpu: vertical
          ? new RouterPodCpu(kc.makeApiClient(CoreV1Api), apps, { namespace, deployment, pods, log })
          : undefined,
      };
    }
  }

  async start(catalog: ServiceCatalog & EndpointCatalog): Promise<void> {
    await Promise.all([this.models.start(catalog), this.rollouts.start(catalog)]);
    if (!this.leadership)
      this.log.warn(
        { missing: [ROUTER_ENV.podNamespace, ROUTER_ENV.leaseName, ROUTER_ENV.peersService] },
        "no leader election configured: this router scales alone; run one replica only",
      );
  }

  scale(service: string, replicas: number): Promise<void> {
    return this.models.scale(service, replicas);
  }

  async stop(): Promise<void> {
    await Promise.all([this.models.stop(), this.rollouts.stop()]);
  }
}
