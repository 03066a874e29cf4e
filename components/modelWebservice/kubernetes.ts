import * as k8s from "@pulumi/kubernetes";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IService } from "kubernetes-models/v1/Service";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import * as pulumi from "@pulumi/pulumi";
import {
  CONFIG_ANNOTATION,
  CONFIG_VERSION,
  MODEL_CONTAINER_PORT,
  SERVICE_CONFIG_DEFAULTS,
  WEBSERVICE_LABEL,
  serializeServiceConfig,
  type ModelRef,
  type ServiceConfig,
} from "../../router/contract/serviceConfig.js";
import { ROUTER_RUN_AS_USER } from "../../router/contract/routerEnvironment.js";
import {
  CLUSTER_PURPOSE_ANNOTATION,
  MODEL_COUNT_ANNOTATION,
  NAMESPACE_NAME_LABEL,
  PART_OF_LABEL,
  PART_OF_VALUE,
  ROUTER_POD_LABELS,
} from "../shared/conventions.js";
import { formatFetchModelArgs, type BlobToFetch, type BlobUrlToFetch } from "../../router/contract/fetchModelArgs.js";
import { INFERENCE_SERVER_APP_INSIGHTS_ENV, connectionStringOf, inferenceServerKey } from "./dataCollection.js";
import { MODEL_WEBSERVICE_DEFAULTS, type ModelWebserviceSettings } from "./defaults.js";
import { WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION, WORKLOAD_IDENTITY_USE_LABEL } from "./identity.js";
import {
  MODEL_CACHE_MOUNT,
  modelCacheBytes,
  modelCacheMount,
  modelCacheVolume,
  prepareCacheContainer,
} from "./modelCache.js";
import { MODEL_ROOT } from "./models.js";
import { startupProbeManifest } from "./startupProbe.js";

export { CLUSTER_PURPOSE_ANNOTATION, MODEL_COUNT_ANNOTATION } from "../shared/conventions.js";
export const DESCRIPTION_ANNOTATION = "aksml/description";
export const GPU_RESOURCE = "nvidia.com/gpu";
/** The inference server's Application Insights key variable. */
export const APP_INSIGHTS_KEY_ENV = INFERENCE_SERVER_APP_INSIGHTS_ENV.key;
/** The connection string variable the Azure Monitor SDKs read (and user code in score.py may). */
export const APP_INSIGHTS_CONNECTION_STRING_ENV = INFERENCE_SERVER_APP_INSIGHTS_ENV.connectionString;
/** Tolerates the cluster's GPU pool taint (`nvidia.com/gpu=present:NoSchedule`). */
export const GPU_TOLERATION = { key: GPU_RESOURCE, operator: "Exists", effect: "NoSchedule" } as const;

/** Labels on the model Deployment, pods, Service and keys Secret (platform convention). */
export const webserviceLabels = (name: string) => ({ [WEBSERVICE_LABEL]: name, [PART_OF_LABEL]: PART_OF_VALUE });

/** What the service's Entra ID application (entra.ts) tells the router to expect of tokens. */
export interface EntraTokenSettings {
  issuer: string;
  /** The client id (v2.0 tokens' `aud`). */
  clientId: string;
  /** Accepted as `aud` too. */
  identifierUri: string;
}

/** The `aksml/config` the router enforces for this service (`models`: its models, named in captured records). */
export function serviceConfigFor(
  name: string,
  s: ModelWebserviceSettings,
  entra?: EntraTokenSettings,
  models: readonly ModelRef[] = [],
): ServiceConfig {
  return {
    version: CONFIG_VERSION,
    deployment: name,
    autoscale: { ...s.autoscale, scaleDownDelaySeconds: SERVICE_CONFIG_DEFAULTS.autoscale.scaleDownDelaySeconds },
    numReplicas: s.autoscale.enabled ? undefined : s.numReplicas,
    auth: {
      mode: s.authMode,
      issuer: entra?.issuer ?? s.tokenIssuer,
      audience: entra?.clientId ?? s.tokenAudience,
      additionalAudiences: entra ? [entra.identifierUri] : undefined,
      requiredRole: s.tokenRequiredRole,
      jwksUri: s.tokenJwksUri,
      algorithms: [...SERVICE_CONFIG_DEFAULTS.auth.algorithms],
    },
    scoringTimeoutMs: s.scoringTimeoutMs,
    maxConcurrentRequestsPerContainer: s.replicaMaxConcurrentRequests,
    maxRequestWaitTimeMs: s.maxRequestWaitTimeMs,
    maxQueuedRequests: s.maxQueuedRequests,
    collectModelData: s.collectModelData,
    dataCollection: { ...s.dataCollection, redactJsonFields: [...s.dataCollection.redactJsonFields] },
    appInsightsEnabled: s.enableAppInsights,
    models: models.map((m) => ({ name: m.name, version: m.version })),
  };
}

/**
 * A model pod's termination grace: the preStop delay, then long enough for a request
 * dispatched just before SIGTERM to finish (the scoring timeout), plus a margin.
 */
export const terminationGraceSeconds = (scoringTimeoutMs: number) =>
  MODEL_WEBSERVICE_DEFAULTS.preStopSeconds + Math.ceil(scoringTimeoutMs / 1000) + 5;

/** Kubernetes quantities from Azure ML's units (cores, GB). */
export const cpuQuantity = (cores: number) => `${Math.round(cores * 1000)}m`;
export const memoryQuantity = (gb: number) => `${Math.round(gb * 1024)}Mi`;

export interface ModelPodInputs {
  name: string;
  settings: ModelWebserviceSettings;
  image: string;
  routerImage: string;
  modelDir: string;
  /** What fetch-model fetches: uploaded blobs (by name) and models by reference (by URL). */
  fetchArgs?: { accountUrl: string; container: string; blobs: BlobToFetch[]; urls: BlobUrlToFetch[] };
  serviceAccountName: string;
  clusterPurpose: string;
  modelCount: number;
  tags: Record<string, string>;
  description?: string;
  /** Name of the Secret holding `AML_APP_INSIGHTS_KEY` and the connection string, when App Insights is on. */
  appInsightsSecretName?: string;
}

/** The model Deployment's manifest. No `spec.replicas` under autoscale: the router owns it. */
export function modelDeploymentManifest(i: ModelPodInputs, namespace: string): IDeployment {
  const s = i.settings;
  const labels = webserviceLabels(i.name);
  const gpu: Record<string, string> = s.gpuCores > 0 ? { [GPU_RESOURCE]: String(s.gpuCores) } : {};
  const mount = { name: "azureml-models", mountPath: MODEL_ROOT };
  const lp = s.livenessProbe;
  const cache = i.fetchArgs && s.modelCache.enabled ? s.modelCache : undefined;
  const initContainers: IContainer[] = i.fetchArgs
    ? [
        ...(cache ? [prepareCacheContainer(i.routerImage)] : []),
        {
          name: "fetch-model",
          image: i.routerImage,
          args: [
            "fetch-model",
            ...formatFetchModelArgs({
              accountUrl: i.fetchArgs.accountUrl,
              container: i.fetchArgs.container,
              dest: MODEL_ROOT,
              blobs: i.fetchArgs.blobs,
              urls: i.fetchArgs.urls,
              ...(cache ? { cacheDir: MODEL_CACHE_MOUNT, cacheMaxBytes: modelCacheBytes(cache) } : {}),
            }),
          ],
          resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
          securityContext: {
            runAsNonRoot: true,
            runAsUser: ROUTER_RUN_AS_USER,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
          volumeMounts: cache ? [mount, modelCacheMount()] : [mount],
        },
      ]
    : [];
  const env: IEnvVar[] = [
    { name: "AZUREML_MODEL_DIR", value: i.modelDir },
    { name: INFERENCE_SERVER_APP_INSIGHTS_ENV.enabled, value: String(s.enableAppInsights) },
    // No AML_MODEL_DC_STORAGE_ENABLED: the router captures model data (redacted); with it
    // and App Insights on, the inference server would log unredacted inputs and predictions there.
    { name: "SERVICE_NAME", value: i.name },
  ];
  if (i.appInsightsSecretName)
    for (const key of [APP_INSIGHTS_KEY_ENV, APP_INSIGHTS_CONNECTION_STRING_ENV])
      env.push({ name: key, valueFrom: { secretKeyRef: { name: i.appInsightsSecretName, key } } });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: i.name,
      namespace,
      labels: { ...i.tags, ...labels },
      annotations: {
        [MODEL_COUNT_ANNOTATION]: String(i.modelCount),
        [CLUSTER_PURPOSE_ANNOTATION]: i.clusterPurpose,
        ...(i.description ? { [DESCRIPTION_ANNOTATION]: i.description } : {}),
      },
    },
    spec: {
      ...(s.autoscale.enabled ? {} : { replicas: s.numReplicas }),
      selector: { matchLabels: { [WEBSERVICE_LABEL]: i.name } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...labels, [WORKLOAD_IDENTITY_USE_LABEL]: "true" } },
        spec: {
          serviceAccountName: i.serviceAccountName,
          terminationGracePeriodSeconds: terminationGraceSeconds(s.scoringTimeoutMs),
          initContainers,
          containers: [
            {
              name: "model",
              image: i.image,
              ports: [{ name: "http", containerPort: MODEL_CONTAINER_PORT }],
              env,
              resources: {
                requests: { cpu: cpuQuantity(s.cpuCores), memory: memoryQuantity(s.memoryGb), ...gpu },
                limits: { cpu: cpuQuantity(s.cpuCoresLimit), memory: memoryQuantity(s.memoryGbLimit), ...gpu },
              },
              startupProbe: startupProbeManifest(s.startupProbe, MODEL_CONTAINER_PORT),
              livenessProbe: { httpGet: { path: "/", port: MODEL_CONTAINER_PORT }, ...lp },
              readinessProbe: { httpGet: { path: "/", port: MODEL_CONTAINER_PORT }, ...s.readinessProbe },
              // Keep serving while the endpoint removal reaches the router (it then sends
              // nothing new); only then SIGTERM, and the requests in flight finish.
              lifecycle: { preStop: { sleep: { seconds: MODEL_WEBSERVICE_DEFAULTS.preStopSeconds } } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ ...mount, readOnly: true }],
            },
          ],
          tolerations: s.gpuCores > 0 ? [{ ...GPU_TOLERATION }] : [],
          volumes: [{ name: "azureml-models", emptyDir: {} }, ...(cache ? [modelCacheVolume()] : [])],
        },
      },
    },
  };
}

export function createServiceAccount(
  name: string,
  namespace: pulumi.Input<string>,
  clientId: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ServiceAccount {
  return new k8s.core.v1.ServiceAccount(
    `${name}-sa`,
    {
      metadata: {
        name,
        namespace,
        labels: webserviceLabels(name),
        annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: clientId },
      },
    },
    opts,
  );
}

/** The model Service: the router finds it by label and reads its settings from the `aksml/config` annotation. */
export function modelServiceManifest(
  name: string,
  namespace: string,
  config: ServiceConfig,
  description?: string,
): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace,
      labels: webserviceLabels(name),
      annotations: {
        [CONFIG_ANNOTATION]: serializeServiceConfig(config),
        ...(description ? { [DESCRIPTION_ANNOTATION]: description } : {}),
      },
    },
    spec: {
      type: "ClusterIP",
      selector: { [WEBSERVICE_LABEL]: name },
      ports: [{ name: "http", port: 80, targetPort: MODEL_CONTAINER_PORT }],
    },
  };
}

/**
 * `<name>-appinsights`: what the model container reads, from a connection string (or a
 * deprecated bare key): `AML_APP_INSIGHTS_KEY` in the form the inference server turns
 * into that connection string, and the connection string itself.
 */
export function createAppInsightsSecret(
  name: string,
  namespace: pulumi.Input<string>,
  connectionStringOrKey: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const given = pulumi.output(connectionStringOrKey);
  return new k8s.core.v1.Secret(
    `${name}-appinsights`,
    {
      metadata: { name: `${name}-appinsights`, namespace, labels: webserviceLabels(name) },
      type: "Opaque",
      stringData: {
        [APP_INSIGHTS_KEY_ENV]: pulumi.secret(given.apply(inferenceServerKey)),
        [APP_INSIGHTS_CONNECTION_STRING_ENV]: pulumi.secret(given.apply(connectionStringOf)),
      },
    },
    opts,
  );
}

/**
 * Who may reach the model pods: the router's pods (in the router's namespace) on the
 * model port, nothing else. The kubelet's probes come from the node, which network
 * policy engines always admit.
 */
export function modelNetworkPolicySpec(
  name: string,
  routerNamespace: string,
): k8s.types.input.networking.v1.NetworkPolicySpec {
  return {
    podSelector: { matchLabels: { [WEBSERVICE_LABEL]: name } },
    policyTypes: ["Ingress"],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: routerNamespace } },
            podSelector: { matchLabels: { ...ROUTER_POD_LABELS } },
          },
        ],
        ports: [{ protocol: "TCP", port: MODEL_CONTAINER_PORT }],
      },
    ],
  };
}

/** `<name>`: the model pods' NetworkPolicy. */
export function createModelNetworkPolicy(
  name: string,
  namespace: pulumi.Input<string>,
  routerNamespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  return new k8s.networking.v1.NetworkPolicy(
    `${name}-network-policy`,
    {
      metadata: { name, namespace, labels: webserviceLabels(name) },
      spec: pulumi.output(routerNamespace).apply((ns) => modelNetworkPolicySpec(name, ns)),
    },
    opts,
  );
}
