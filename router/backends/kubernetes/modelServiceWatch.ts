/**
 * The model half of the Kubernetes backend: watches (cluster-wide, within the router's RBAC)
 * model Services labelled `aksml/webservice`, their EndpointSlices, their
 * `<name>-keys` Secrets and their Deployments, and pushes one snapshot per service
 * into the catalog whenever any of them changes. Scales through the Deployment
 * `scale` subresource.
 */
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1EndpointSlice,
  type V1Secret,
  type V1Service,
} from "@kubernetes/client-node";
import type { ReplicaEndpoint, ServiceCatalog, ServiceKeys, ServiceSnapshot } from "../../contract/backend.js";
import {
  CONFIG_ANNOTATION,
  KEYS_SECRET_SUFFIX,
  MODEL_CONTAINER_PORT,
  WEBSERVICE_LABEL,
  parseServiceConfig,
  type ServiceConfig,
} from "../../contract/serviceConfig.js";
import type { Log } from "../../log.js";
import { startInformer, type RestartingInformer } from "./informers.js";
import { setDeploymentReplicas } from "./scaleSubresource.js";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface ModelServiceWatchOptions {
  log?: Log;
  restartDelayMs?: number;
}

interface Known {
  namespace: string;
  config: ServiceConfig;
}

export class ModelServiceWatch {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private catalog?: ServiceCatalog;
  private services?: RestartingInformer<V1Service>;
  private slices?: RestartingInformer<V1EndpointSlice>;
  private secrets?: RestartingInformer<V1Secret>;
  private deployments?: RestartingInformer<V1Deployment>;
  private readonly stops: Array<() => Promise<void>> = [];
  /** Services published to the catalog, and the last snapshot (to skip no-op upserts). */
  private readonly known = new Map<string, Known>();
  private readonly published = new Map<string, string>();
  private readonly rejected = new Map<string, string>();
  private syncing = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: ModelServiceWatchOptions = {},
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
  }

  async start(catalog: ServiceCatalog): Promise<void> {
    this.catalog = catalog;
    const common = { restartDelayMs: this.opts.restartDelayMs, log: this.opts.log };
    // An event touches one service: the one named by the object's label. Only that one is recomputed.
    const byLabel = (label: string) => (obj: { metadata?: { labels?: Record<string, string> } }) => {
      const name = obj.metadata?.labels?.[label];
      if (name) this.syncOne(name);
    };
    const svc = startInformer<V1Service>(
      this.kc,
      "/api/v1/services",
      () => this.core.listServiceForAllNamespaces({ labelSelector: WEBSERVICE_LABEL }),
      byLabel(WEBSERVICE_LABEL),
      { ...common, labelSelector: WEBSERVICE_LABEL },
    );
    const eps = startInformer<V1EndpointSlice>(
      this.kc,
      "/apis/discovery.k8s.io/v1/endpointslices",
      () => this.discovery.listEndpointSliceForAllNamespaces({ labelSelector: SERVICE_NAME_LABEL }),
      byLabel(SERVICE_NAME_LABEL),
      { ...common, labelSelector: SERVICE_NAME_LABEL },
    );
    const sec = startInformer<V1Secret>(
      this.kc,
      "/api/v1/secrets",
      () => this.core.listSecretForAllNamespaces({ labelSelector: WEBSERVICE_LABEL }),
      byLabel(WEBSERVICE_LABEL),
      { ...common, labelSelector: WEBSERVICE_LABEL },
    );
    // A Deployment also belongs to every service whose config names it (`deployment`), whatever its label value.
    const onDeployment = (obj: V1Deployment) => {
      byLabel(WEBSERVICE_LABEL)(obj);
      for (const [name, k] of this.known)
        if (
          k.config.deployment === obj.metadata?.name &&
          k.namespace === obj.metadata?.namespace &&
          name !== obj.metadata?.labels?.[WEBSERVICE_LABEL]
        )
          this.syncOne(name);
    };
    const dep = startInformer<V1Deployment>(
      this.kc,
      "/apis/apps/v1/deployments",
      () => this.apps.listDeploymentForAllNamespaces({ labelSelector: WEBSERVICE_LABEL }),
      onDeployment,
      { ...common, labelSelector: WEBSERVICE_LABEL },
    );
    this.services = svc.informer;
    this.slices = eps.informer;
    this.secrets = sec.informer;
    this.deployments = dep.informer;
    this.stops.push(svc.stop, eps.stop, sec.stop, dep.stop);
    this.syncing = true; // hold snapshots until every cache has its initial list
    await Promise.all([svc.started, eps.started, sec.started, dep.started]);
    this.syncing = false;
    const names = new Set(
      [...this.services.list()].map((o) => o.metadata?.labels?.[WEBSERVICE_LABEL]).filter((n): n is string => !!n),
    );
    for (const name of names) this.syncOne(name);
  }

  async scale(service: string, replicas: number): Promise<void> {
    const k = this.known.get(service);
    if (!k) throw new Error(`unknown service ${JSON.stringify(service)}`);
    await setDeploymentReplicas(this.apps, k.namespace, k.config.deployment, replicas);
  }

  async stop(): Promise<void> {
    await Promise.all(this.stops.splice(0).map((s) => s()));
  }

  /** Recomputes one service's snapshot from the caches and publishes it if it changed. */
  private syncOne(name: string): void {
    const catalog = this.catalog;
    if (!catalog || this.syncing || !this.services) return;
    // The Service named like its label; if several namespaces have one, the oldest is served.
    const candidates = this.services
      .list()
      .filter((s) => s.metadata?.name === name && s.metadata?.labels?.[WEBSERVICE_LABEL] === name)
      .sort(
        (a, b) => (a.metadata?.creationTimestamp?.valueOf() ?? 0) - (b.metadata?.creationTimestamp?.valueOf() ?? 0),
      );
    const svc = candidates[0];
    if (!svc) {
      if (this.published.delete(name) || this.known.delete(name)) catalog.remove(name);
      this.rejected.delete(name);
      return;
    }
    const namespace = svc.metadata?.namespace ?? "default";
    const parsed = parseServiceConfig(name, svc.metadata?.annotations?.[CONFIG_ANNOTATION] ?? "{}");
    if (!parsed.ok) {
      this.rejectOnce(
        catalog,
        name,
        `annotation ${CONFIG_ANNOTATION} on Service ${namespace}/${name}: ${parsed.problems.map((p) => `${p.path} ${p.reason}`).join("; ")}`,
      );
      return;
    }
    if (candidates.length > 1) {
      const others = candidates
        .slice(1)
        .map((c) => c.metadata?.namespace)
        .join(", ");
      this.rejectOnce(
        catalog,
        name,
        `a service named ${name} also exists in namespace(s) ${others}; names must be unique across the cluster (the one in ${namespace} is served)`,
      );
    } else this.rejected.delete(name);
    this.known.set(name, { namespace, config: parsed.config });
    const snapshot: ServiceSnapshot = {
      name,
      config: parsed.config,
      keys: this.keysOf(namespace, name),
      replicas: this.replicasOf(namespace, name),
      currentReplicas: this.currentReplicasOf(namespace, parsed.config.deployment),
    };
    const text = JSON.stringify(snapshot);
    if (this.published.get(name) === text) return;
    this.published.set(name, text);
    catalog.upsert(snapshot);
  }

  private rejectOnce(catalog: ServiceCatalog, name: string, reason: string): void {
    if (this.rejected.get(name) === reason) return;
    this.rejected.set(name, reason);
    this.opts.log?.warn({ service: name, reason }, "service rejected");
    catalog.reject(name, reason);
  }

  private keysOf(namespace: string, name: string): ServiceKeys | undefined {
    const data = this.secrets?.get(`${name}${KEYS_SECRET_SUFFIX}`, namespace)?.data;
    const primaryKey = decode(data?.primaryKey);
    const secondaryKey = decode(data?.secondaryKey);
    return primaryKey && secondaryKey ? { primaryKey, secondaryKey } : undefined;
  }

  private replicasOf(namespace: string, name: string): ReplicaEndpoint[] {
    const out = new Map<string, ReplicaEndpoint>();
    for (const slice of this.slices?.list(namespace) ?? []) {
      if (slice.metadata?.labels?.[SERVICE_NAME_LABEL] !== name || slice.addressType === "FQDN") continue;
      const port =
        slice.ports?.find((p) => p.port === MODEL_CONTAINER_PORT)?.port ??
        (slice.ports?.length === 1 ? slice.ports[0]!.port : undefined);
      if (port === undefined) continue;
      for (const ep of slice.endpoints ?? []) {
        // `ready` unset means ready (EndpointSlice API); terminating endpoints are not ready.
        if (ep.conditions?.ready === false) continue;
        const address = ep.addresses[0];
        if (!address) continue;
        const host = slice.addressType === "IPv6" ? `[${address}]` : address;
        const id = ep.targetRef?.name ?? address;
        out.set(id, { id, url: `http://${host}:${port}` });
      }
    }
    return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  private currentReplicasOf(namespace: string, deployment: string): number {
    return this.deployments?.get(deployment, namespace)?.spec?.replicas ?? 0;
  }
}

function decode(b64: string | undefined): string | undefined {
  if (!b64) return undefined;
  const s = Buffer.from(b64, "base64").toString("utf8").trim();
  return s.length ? s : undefined;
}
