/**
 * The model half of the Kubernetes backend: watches, in each namespace the platform
 * declared (AKSML_WATCH_NAMESPACES; the router's RBAC is granted there and nowhere
 * else), model Services labelled `aksml/webservice`, their EndpointSlices, their
 * `<name>-keys` Secrets and their Deployments, and pushes one snapshot per service into
 * the catalog whenever any of them changes. Scales through the Deployment `scale`
 * subresource. A name claimed by Services in two namespaces is served by neither
 * (withdrawn: 503 and a problem on /readyz) until one of them is gone: picking a winner
 * silently would hand one team's clients, and their keys, to the other.
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
import { startInformer, type InformerOptions, type RestartingInformer } from "./informers.js";
import { setDeploymentReplicas } from "./scaleSubresource.js";
import { ClaimedNames } from "./claimedNames.js";

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface ModelServiceWatchOptions {
  /** The namespaces to watch (at least one). */
  namespaces: readonly string[];
  log?: Log;
  /** First delay before a failed list or watch restarts (it then backs off exponentially). */
  restartDelayMs?: number;
}

/** One namespace's caches. */
interface NamespaceCaches {
  services: RestartingInformer<V1Service>;
  slices: RestartingInformer<V1EndpointSlice>;
  secrets: RestartingInformer<V1Secret>;
  deployments: RestartingInformer<V1Deployment>;
}

/** What clients of a withdrawn name are told (the namespaces stay on the admin port). */
export const DUPLICATE_NAME_REASON =
  "this service name is claimed by more than one Service in the cluster, so the router serves none of them until only one is left; the platform team can see which on the router's admin /readyz";

export class ModelServiceWatch {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private catalog?: ServiceCatalog;
  private readonly caches = new Map<string, NamespaceCaches>();
  private readonly stops: Array<() => Promise<void>> = [];
  /** The names model Services claim, and what the catalog was told about each. */
  private readonly names: ClaimedNames<ServiceConfig, ServiceSnapshot>;
  private syncing = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: ModelServiceWatchOptions,
  ) {
    if (opts.namespaces.length === 0) throw new Error("ModelServiceWatch needs at least one namespace to watch");
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.discovery = kc.makeApiClient(DiscoveryV1Api);
    this.names = new ClaimedNames<ServiceConfig, ServiceSnapshot>(
      {
        noun: "service",
        label: WEBSERVICE_LABEL,
        annotation: CONFIG_ANNOTATION,
        duplicateReason: DUPLICATE_NAME_REASON,
        duplicateDetail: (name, where) =>
          `Services named ${name} exist in namespaces ${where}; a name must be unique across the watched namespaces, so neither is served. Fix: delete or rename all but one (the policy pack's webservice-unique-names flags this before deployment)`,
        parse: parseServiceConfig,
        snapshot: (name, namespace, config) => ({
          name,
          config,
          keys: this.keysOf(namespace, name),
          replicas: this.replicasOf(namespace, name),
          currentReplicas: this.currentReplicasOf(namespace, config.deployment),
        }),
      },
      opts.log,
    );
  }

  /** Resolves once every informer of every namespace has listed successfully, and the catalog holds the result. */
  async start(catalog: ServiceCatalog): Promise<void> {
    this.catalog = catalog;
    this.syncing = true; // hold snapshots until every cache has its initial list
    const synced: Promise<void>[] = [];
    for (const namespace of new Set(this.opts.namespaces)) synced.push(this.watchNamespace(namespace));
    await Promise.all(synced);
    this.syncing = false;
    for (const name of this.serviceNames()) this.syncOne(name);
  }

  private watchNamespace(namespace: string): Promise<void> {
    const common: InformerOptions = {
      restartDelayMs: this.opts.restartDelayMs,
      log: this.opts.log,
    };
    // An event touches one service: the one named by the object's label. Only that one is recomputed.
    const byLabel = (label: string) => (obj: { metadata?: { labels?: Record<string, string> } }) => {
      const name = obj.metadata?.labels?.[label];
      if (name) this.syncOne(name);
    };
    const ns = `/namespaces/${namespace}`;
    const svc = startInformer<V1Service>(
      this.kc,
      `/api/v1${ns}/services`,
      () => this.core.listNamespacedService({ namespace, labelSelector: WEBSERVICE_LABEL }),
      byLabel(WEBSERVICE_LABEL),
      { ...common, labelSelector: WEBSERVICE_LABEL },
    );
    const eps = startInformer<V1EndpointSlice>(
      this.kc,
      `/apis/discovery.k8s.io/v1${ns}/endpointslices`,
      () => this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: SERVICE_NAME_LABEL }),
      byLabel(SERVICE_NAME_LABEL),
      { ...common, labelSelector: SERVICE_NAME_LABEL },
    );
    const sec = startInformer<V1Secret>(
      this.kc,
      `/api/v1${ns}/secrets`,
      () => this.core.listNamespacedSecret({ namespace, labelSelector: WEBSERVICE_LABEL }),
      byLabel(WEBSERVICE_LABEL),
      { ...common, labelSelector: WEBSERVICE_LABEL },
    );
    // A Deployment also belongs to every service whose config names it (`deployment`), whatever its label value.
    const onDeployment = (obj: V1Deployment) => {
      byLabel(WEBSERVICE_LABEL)(obj);
      for (const [name, k] of this.names.accepted)
        if (
          k.config.deployment === obj.metadata?.name &&
          k.namespace === obj.metadata?.namespace &&
          name !== obj.metadata?.labels?.[WEBSERVICE_LABEL]
        )
          this.syncOne(name);
    };
    const dep = startInformer<V1Deployment>(
      this.kc,
      `/apis/apps/v1${ns}/deployments`,
      () => this.apps.listNamespacedDeployment({ namespace, labelSelector: WEBSERVICE_LABEL }),
      onDeployment,
      { ...common, labelSelector: WEBSERVICE_LABEL },
    );
    this.caches.set(namespace, {
      services: svc.informer,
      slices: eps.informer,
      secrets: sec.informer,
      deployments: dep.informer,
    });
    this.stops.push(svc.stop, eps.stop, sec.stop, dep.stop);
    return Promise.all([svc.synced, eps.synced, sec.synced, dep.synced]).then(() => undefined);
  }

  /** Every model Service in the watched namespaces. */
  private modelServices(): V1Service[] {
    return [...this.caches.values()].flatMap((c) => c.services.list());
  }

  private serviceNames(): Set<string> {
    return this.names.names(this.modelServices());
  }

  async scale(service: string, replicas: number): Promise<void> {
    const k = this.names.accepted.get(service);
    if (!k) throw new Error(`unknown service ${JSON.stringify(service)}`);
    await setDeploymentReplicas(this.apps, k.namespace, k.config.deployment, replicas);
  }

  async stop(): Promise<void> {
    await Promise.all(this.stops.splice(0).map((s) => s()));
  }

  /** Recomputes one service's snapshot from the caches and publishes it if it changed. */
  private syncOne(name: string): void {
    const catalog = this.catalog;
    if (!catalog || this.syncing) return;
    this.names.sync(name, this.modelServices(), catalog);
  }

  private keysOf(namespace: string, name: string): ServiceKeys | undefined {
    const data = this.caches.get(namespace)?.secrets.get(`${name}${KEYS_SECRET_SUFFIX}`, namespace)?.data;
    const primaryKey = decode(data?.primaryKey);
    const secondaryKey = decode(data?.secondaryKey);
    return primaryKey && secondaryKey ? { primaryKey, secondaryKey } : undefined;
  }

  /**
   * The replicas new requests may go to, from the EndpointSlices' conditions: ready and
   * not terminating (`ready`/`serving` unset mean true, `terminating` unset false). A
   * terminating replica (its pod deleted, in its preStop delay) gets no new request, and
   * the requests it has finish (the router holds their connections); only when no replica
   * is ready at all do terminating ones that still serve take requests, as kube-proxy
   * does, rather than none.
   */
  private replicasOf(namespace: string, name: string): ReplicaEndpoint[] {
    const ready = this.endpointsOf(namespace, name, "ready");
    return ready.length > 0 ? ready : this.endpointsOf(namespace, name, "serving-terminating");
  }

  private endpointsOf(namespace: string, name: string, which: "ready" | "serving-terminating"): ReplicaEndpoint[] {
    const out = new Map<string, ReplicaEndpoint>();
    for (const slice of this.caches.get(namespace)?.slices.list(namespace) ?? []) {
      if (slice.metadata?.labels?.[SERVICE_NAME_LABEL] !== name || slice.addressType === "FQDN") continue;
      const port =
        slice.ports?.find((p) => p.port === MODEL_CONTAINER_PORT)?.port ??
        (slice.ports?.length === 1 ? slice.ports[0]!.port : undefined);
      if (port === undefined) continue;
      for (const ep of slice.endpoints ?? []) {
        const isReady = ep.conditions?.ready !== false;
        const serving = ep.conditions?.serving ?? isReady;
        const terminating = ep.conditions?.terminating === true;
        if (which === "ready" ? !isReady || terminating : !(terminating && serving)) continue;
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
    return this.caches.get(namespace)?.deployments.get(deployment, namespace)?.spec?.replicas ?? 0;
  }
}

function decode(b64: string | undefined): string | undefined {
  if (!b64) return undefined;
  const s = Buffer.from(b64, "base64").toString("utf8").trim();
  return s.length ? s : undefined;
}
