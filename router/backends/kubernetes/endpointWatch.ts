/**
 * The endpoint half of the Kubernetes backend: watches, in each declared namespace,
 * endpoint Services labelled `aksml/endpoint` (their `aksml/endpoint-config`), their
 * `<name>-keys` Secrets (labelled the same way) and their rollouts' live state (the
 * ConfigMaps labelled `aksml/rollout-of`), and pushes one EndpointSnapshot per endpoint
 * whenever any of them changes. It is also the RolloutStore: the scaling leader's
 * writes go to the ConfigMap (created, or replaced at the resourceVersion read), and
 * come back to every router through the watch; decisions become Events about the
 * endpoint's Service.
 *
 * As with services, an endpoint name claimed in two namespaces is served by neither
 * (withdrawn), and a ConfigMap named `<endpoint>-rollout` without the router's label is
 * never written over: it is someone else's.
 */
import {
  CoreV1Api,
  type KubeConfig,
  type V1ConfigMap,
  type CoreV1Event,
  type V1Secret,
  type V1Service,
} from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type {
  EndpointCatalog,
  EndpointSnapshot,
  RolloutEvent,
  RolloutStore,
  ServiceKeys,
} from "../../contract/backend.js";
import {
  ENDPOINT_CONFIG_ANNOTATION,
  ENDPOINT_LABEL,
  ROLLOUT_CONFIGMAP_SUFFIX,
  ROLLOUT_LABEL,
  ROLLOUT_STATE_KEY,
  type EndpointConfig,
} from "../../contract/endpointConfig.js";
import { parseEndpointConfig } from "../../contract/endpointConfigParser.js";
import { KEYS_SECRET_SUFFIX } from "../../contract/serviceConfig.js";
import { parseRolloutState, serializeRolloutState, type RolloutState } from "../../contract/rolloutState.js";
import type { Log } from "../../log.js";
import { startInformer, type InformerOptions, type RestartingInformer } from "./informers.js";
import { statusCode } from "./scaleSubresource.js";
import { ClaimedNames } from "./claimedNames.js";

export interface EndpointWatchOptions {
  namespaces: readonly string[];
  log?: Log;
  restartDelayMs?: number;
  /** This router pod's name, the Events' reporting instance. */
  podName?: string;
}

interface NamespaceCaches {
  services: RestartingInformer<V1Service>;
  secrets: RestartingInformer<V1Secret>;
  rollouts: RestartingInformer<V1ConfigMap>;
}

/** The component recording rollout decisions on Events. */
export const ROLLOUT_EVENT_SOURCE = "aksml-router";

export const DUPLICATE_ENDPOINT_REASON =
  "this endpoint name is claimed by more than one Service in the cluster, so the router serves none of them until only one is left; the platform team can see which on the router's admin /readyz";

export class EndpointWatch implements RolloutStore {
  private readonly core: CoreV1Api;
  private catalog?: EndpointCatalog;
  private readonly caches = new Map<string, NamespaceCaches>();
  private readonly stops: Array<() => Promise<void>> = [];
  /** The names endpoint Services claim, and what the catalog was told about each. */
  private readonly names: ClaimedNames<EndpointConfig, EndpointSnapshot>;
  private syncing = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: EndpointWatchOptions,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.names = new ClaimedNames<EndpointConfig, EndpointSnapshot>(
      {
        noun: "endpoint",
        label: ENDPOINT_LABEL,
        annotation: ENDPOINT_CONFIG_ANNOTATION,
        duplicateReason: DUPLICATE_ENDPOINT_REASON,
        duplicateDetail: (name, where) =>
          `endpoint Services named ${name} exist in namespaces ${where}; a name must be unique across the watched namespaces, so neither is served. Fix: delete or rename all but one (the policy pack's endpoint-unique-names flags this before deployment)`,
        parse: parseEndpointConfig,
        snapshot: (name, namespace, config) => ({
          name,
          config,
          keys: this.keysOf(namespace, name),
          rollout: this.rolloutOf(namespace, name, config),
        }),
      },
      opts.log,
    );
  }

  async start(catalog: EndpointCatalog): Promise<void> {
    this.catalog = catalog;
    this.syncing = true;
    await Promise.all([...new Set(this.opts.namespaces)].map((ns) => this.watchNamespace(ns)));
    this.syncing = false;
    for (const name of this.endpointNames()) this.syncOne(name);
  }

  async stop(): Promise<void> {
    await Promise.all(this.stops.splice(0).map((s) => s()));
  }

  private watchNamespace(namespace: string): Promise<void> {
    const common: InformerOptions = { restartDelayMs: this.opts.restartDelayMs, log: this.opts.log };
    const byLabel = (label: string) => (obj: { metadata?: { labels?: Record<string, string> } }) => {
      const name = obj.metadata?.labels?.[label];
      if (name) this.syncOne(name);
    };
    const ns = `/api/v1/namespaces/${namespace}`;
    const svc = startInformer<V1Service>(
      this.kc,
      `${ns}/services`,
      () => this.core.listNamespacedService({ namespace, labelSelector: ENDPOINT_LABEL }),
      byLabel(ENDPOINT_LABEL),
      { ...common, labelSelector: ENDPOINT_LABEL },
    );
    const sec = startInformer<V1Secret>(
      this.kc,
      `${ns}/secrets`,
      () => this.core.listNamespacedSecret({ namespace, labelSelector: ENDPOINT_LABEL }),
      byLabel(ENDPOINT_LABEL),
      { ...common, labelSelector: ENDPOINT_LABEL },
    );
    const cms = startInformer<V1ConfigMap>(
      this.kc,
      `${ns}/configmaps`,
      () => this.core.listNamespacedConfigMap({ namespace, labelSelector: ROLLOUT_LABEL }),
      byLabel(ROLLOUT_LABEL),
      { ...common, labelSelector: ROLLOUT_LABEL },
    );
    this.caches.set(namespace, { services: svc.informer, secrets: sec.informer, rollouts: cms.informer });
    this.stops.push(svc.stop, sec.stop, cms.stop);
    return Promise.all([svc.synced, sec.synced, cms.synced]).then(() => undefined);
  }

  private endpointServices(): V1Service[] {
    return [...this.caches.values()].flatMap((c) => c.services.list());
  }

  private endpointNames(): Set<string> {
    return this.names.names(this.endpointServices());
  }

  private syncOne(name: string): void {
    const catalog = this.catalog;
    if (!catalog || this.syncing) return;
    this.names.sync(name, this.endpointServices(), {
      upsert: (snapshot) => catalog.upsertEndpoint(snapshot),
      remove: (n) => catalog.removeEndpoint(n),
      reject: (n, reason) => catalog.rejectEndpoint(n, reason),
      withdraw: (n, reason, detail) => catalog.withdrawEndpoint(n, reason, detail),
    });
  }

  private keysOf(namespace: string, name: string): ServiceKeys | undefined {
    const secret = this.caches.get(namespace)?.secrets.get(`${name}${KEYS_SECRET_SUFFIX}`, namespace);
    if (secret?.metadata?.labels?.[ENDPOINT_LABEL] !== name) return undefined;
    const primaryKey = decode(secret.data?.primaryKey);
    const secondaryKey = decode(secret.data?.secondaryKey);
    return primaryKey && secondaryKey ? { primaryKey, secondaryKey } : undefined;
  }

  private rolloutOf(namespace: string, name: string, config: EndpointSnapshot["config"]): RolloutState | undefined {
    const cm = this.rolloutConfigMap(namespace, name);
    if (!cm) return undefined;
    return parseRolloutState(cm.data?.[ROLLOUT_STATE_KEY], config);
  }

  /** The endpoint's rollout ConfigMap, only when it carries the router's label for this endpoint. */
  private rolloutConfigMap(namespace: string, name: string): V1ConfigMap | undefined {
    const cm = this.caches.get(namespace)?.rollouts.get(`${name}${ROLLOUT_CONFIGMAP_SUFFIX}`, namespace);
    return cm?.metadata?.labels?.[ROLLOUT_LABEL] === name ? cm : undefined;
  }

  /** RolloutStore: create or replace `<endpoint>-rollout` in the endpoint's namespace. */
  async write(endpoint: string, state: RolloutState): Promise<void> {
    const namespace = this.names.accepted.get(endpoint)?.namespace;
    if (namespace === undefined) throw new Error(`endpoint ${endpoint} is not served by this router`);
    const name = `${endpoint}${ROLLOUT_CONFIGMAP_SUFFIX}`;
    const body: V1ConfigMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name,
        namespace,
        labels: { [ROLLOUT_LABEL]: endpoint, "app.kubernetes.io/managed-by": ROLLOUT_EVENT_SOURCE },
      },
      data: { [ROLLOUT_STATE_KEY]: serializeRolloutState(state) },
    };
    // The watch's copy (no `get` is granted): replaced at its resourceVersion, so a stale
    // copy is a 409 and the leader tries again once the watch has caught up.
    const existing = this.rolloutConfigMap(namespace, endpoint);
    if (existing) {
      body.metadata!.resourceVersion = existing.metadata?.resourceVersion;
      await this.core.replaceNamespacedConfigMap({ name, namespace, body });
      return;
    }
    try {
      await this.core.createNamespacedConfigMap({ namespace, body });
    } catch (e) {
      // Not in the watch (which sees only the router's label) yet there: someone else's.
      if (statusCode(e) === 409 && !this.rolloutConfigMap(namespace, endpoint))
        throw new Error(
          `ConfigMap ${namespace}/${name} exists without the label ${ROLLOUT_LABEL}=${endpoint}: it is not the router's, so the rollout's state is not written over it; rename or delete it`,
        );
      throw e;
    }
  }

  /** RolloutStore: an Event about the endpoint's Service. */
  async record(endpoint: string, event: RolloutEvent): Promise<void> {
    const namespace = this.names.accepted.get(endpoint)?.namespace;
    if (namespace === undefined) return;
    const svc = this.caches.get(namespace)?.services.get(endpoint, namespace);
    const now = new Date();
    const body: CoreV1Event = {
      metadata: { name: `${endpoint}.${now.getTime().toString(16)}${randomBytes(4).toString("hex")}`, namespace },
      involvedObject: { apiVersion: "v1", kind: "Service", name: endpoint, namespace, uid: svc?.metadata?.uid },
      reason: event.reason,
      message: event.message,
      type: event.type,
      action: "Rollout",
      source: { component: ROLLOUT_EVENT_SOURCE },
      reportingComponent: ROLLOUT_EVENT_SOURCE,
      reportingInstance: this.opts.podName ?? "",
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await this.core.createNamespacedEvent({ namespace, body });
  }
}

function decode(b64: string | undefined): string | undefined {
  if (!b64) return undefined;
  const s = Buffer.from(b64, "base64").toString("utf8").trim();
  return s.length ? s : undefined;
}
