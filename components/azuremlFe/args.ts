import type * as pulumi from "@pulumi/pulumi";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";

/** Router log levels (pino). */
export const RouterLogLevel = {
  Debug: "debug",
  Info: "info",
  Warn: "warn",
  Error: "error",
} as const;
export type RouterLogLevel = (typeof RouterLogLevel)[keyof typeof RouterLogLevel];

/** An A record for the router's IP in an existing Azure DNS zone. */
export interface RouterDnsRecordArgs {
  /** Resource group of the DNS zone. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** The zone, e.g. `ml.example.com`. */
  readonly zoneName: pulumi.Input<string>;
  /** Record name relative to the zone, e.g. `scoring`. */
  readonly relativeRecordSetName: pulumi.Input<string>;
  /**
   * Time to live of the record, in seconds.
   * @default 300
   */
  readonly ttl?: pulumi.Input<number>;
}

/** Credentials for pushing the router image (e.g. an ACR token or a service principal). */
export interface RegistryCredentialsArgs {
  /** User name (an ACR token name or a service principal's client id). */
  readonly username: pulumi.Input<string>;
  /** Stored as a secret. */
  readonly password: pulumi.Input<string>;
}

/**
 * The Prometheus scraper allowed to reach the router's admin port (`/metrics`) through
 * the router's NetworkPolicy, by its namespace and pod labels. Nothing else but other
 * router pods reaches that port.
 */
export interface MetricsScraperArgs {
  /** Off: only router pods reach the admin port. @default true */
  readonly enabled?: pulumi.Input<boolean>;
  /** The scraper pods' namespace. @default "kube-system" (Azure Monitor managed Prometheus) */
  readonly namespace?: pulumi.Input<string>;
  /**
   * Labels the scraper pods carry (all must match; at least one).
   * @default { rsName: "ama-metrics" } (managed Prometheus's replica pods, which run custom scrape jobs)
   */
  readonly podLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The router's model data capture (for ModelWebservices with `collectModelData`). */
export interface ModelDataCaptureArgs {
  /**
   * Bytes a router pod holds for capture (bodies being copied and records waiting to be
   * written), shared out among its data-listener threads (each gets at least 1 MiB),
   * 1048576-1073741824 (`AKSML_CAPTURE_BUFFER_BYTES`); when full, captures are dropped and
   * counted, never waited for. Each capturing thread also has a writer thread (about 36 MB
   * resident). aksml's own (Azure ML v1 captured in score.py). @default 67108864 (64 MiB)
   */
  readonly bufferBytes?: pulumi.Input<number>;
  /**
   * Seconds a stopping router pod spends writing what it holds, 0-300
   * (`AKSML_CAPTURE_FLUSH_MS`); added to the pod's termination grace. @default 10
   */
  readonly flushSeconds?: pulumi.Input<number>;
}

/** Where operators look at the router's metrics. */
export interface RouterMonitoringArgs {
  /**
   * `prometheus.io/scrape`, `prometheus.io/port` (9091) and `prometheus.io/path` annotations
   * on the router pods, which Azure Monitor managed Prometheus scrapes once the router's
   * namespace is listed in its `ama-metrics-settings-configmap` (`podannotationnamespaceregex`). @default true
   */
  readonly podAnnotations?: pulumi.Input<boolean>;
  /**
   * A PodMonitor (`azmonitoring.coreos.com/v1`, Azure Monitor managed Prometheus's CRD) for
   * the router pods' admin port. Needs the CRD in the cluster (managed Prometheus enabled).
   * A plain boolean. @default false
   */
  readonly podMonitor?: pulumi.Input<boolean>;
  /**
   * A ConfigMap `azureml-fe-grafana-dashboard` labelled `grafana_dashboard: "1"` holding the
   * router's Grafana dashboard (docs/grafana/aksml-router.json), for a Grafana sidecar or to
   * import into Azure Managed Grafana. A plain boolean. @default false
   */
  readonly grafanaDashboard?: pulumi.Input<boolean>;
}

/**
 * Bounds of the router's self-scaling (outside DevTest). azureml-fe scales itself up (more
 * cores per pod) and out (more pods) when routing stays slow, and down, then in, when its
 * CPU use is low; Azure ML offers no setting for it. The router applies a CPU change to
 * its running pods in place (Kubernetes >= 1.33) or by restarting them one by one, never
 * losing a request. Growth also stops where the cluster has no room: a size whose pods
 * cannot be scheduled, or that a node refuses, is taken back.
 */
export interface RouterSelfScalingArgs {
  /**
   * Fewest router pods; scale-in stops here. With 1, a node drain leaves no router for a moment.
   * @default 2
   */
  readonly minPods?: pulumi.Input<number>;
  /**
   * Most router pods, at most 32.
   * @default 10
   */
  readonly maxPods?: pulumi.Input<number>;
  /**
   * Fewest whole CPU cores per router pod (its CPU limit; its request is 450m per core).
   * @default 1
   */
  readonly minCpuPerPod?: pulumi.Input<number>;
  /**
   * Most whole CPU cores per router pod, at most 64 and at most `nodeVcpus` when given:
   * more cores than its node has would only add workers that contend for them.
   * @default 4 (the vCPUs of the default FastProd/DenseProd node, Standard_D4s_v5)
   */
  readonly maxCpuPerPod?: pulumi.Input<number>;
}

export interface AzuremlFeArgs {
  /** What the cluster hands over (`AksInferenceCluster.connection`). */
  readonly cluster: ClusterConnectionArgs;
  /**
   * Namespace created for the router. Azure ML installs azureml-fe in `azureml`.
   * @default "azureml"
   */
  readonly namespace?: pulumi.Input<string>;
  /**
   * A prebuilt router image reference (ideally `repo@sha256:...`). When set nothing is
   * built; otherwise the image is built from this repository (`router/Dockerfile`) and
   * pushed to the cluster's ACR.
   */
  readonly image?: pulumi.Input<string>;
  /**
   * Credentials to push the built image. Without them the build uses the Docker
   * credential store of the machine running Pulumi (`az acr login --name <acr>`), so the
   * ACR admin user can stay disabled. Ignored when `image` is set.
   */
  readonly registryCredentials?: RegistryCredentialsArgs;
  /**
   * Router pods, at most 32. azureml-fe-v2 runs 3 (`inferenceRouterHA`), 1 without HA.
   * Outside DevTest this is the count at creation, within `selfScaling`'s bounds; the
   * router owns it afterwards.
   * @default 3, or 1 on a DevTest cluster
   */
  readonly replicas?: pulumi.Input<number>;
  /**
   * Whole CPU cores per router pod: its CPU limit (request 450m per core; memory fixed at
   * 800Mi request, 1229Mi limit), and so its worker threads (`AKSML_WORKERS=auto`).
   * Outside DevTest this is the size at creation, within `selfScaling`'s bounds; the
   * router owns it afterwards. azureml-fe publishes 900m requested, 2 vCPU limit.
   * @default 2, or 1 on a DevTest cluster (its single node also runs the models)
   */
  readonly cpuPerPod?: pulumi.Input<number>;
  /**
   * Bounds of the router's self-scaling; not allowed on DevTest, where self-scaling is
   * off (as Azure ML's self-scaler is for dev-test clusters).
   * @default 2 to 10 pods, 1 to 4 cores per pod
   */
  readonly selfScaling?: RouterSelfScalingArgs;
  /**
   * vCPUs of the smallest node the router can run on (the node pools' VM size, e.g. 4 for
   * Standard_D4s_v5). Given, `cpuPerPod` and `selfScaling.maxCpuPerPod` must not exceed
   * it. The router never reads its nodes (that would need a ClusterRole).
   * @default unchecked
   */
  readonly nodeVcpus?: pulumi.Input<number>;
  /**
   * Largest accepted request body in bytes (`AKSML_MAX_REQUEST_BYTES`); azureml-fe's limit is 100 MB.
   * @default 104857600
   */
  readonly maxRequestBytes?: pulumi.Input<number>;
  /**
   * Log level of the router (`AKSML_LOG_LEVEL`).
   * @default "info"
   */
  readonly logLevel?: pulumi.Input<RouterLogLevel>;
  /** Optional A record pointing at the router's load balancer IP. */
  readonly dnsRecord?: RouterDnsRecordArgs;
  /**
   * The namespaces whose ModelWebservices this router serves, 1 to 20: it watches these
   * only, and its RBAC (read model Services, their keys Secrets, EndpointSlices and
   * Deployments; scale the Deployments) is granted by one Role and RoleBinding in each,
   * never cluster-wide. A ModelWebservice in another namespace fails validation. Plain
   * strings known when the program runs (each namespace gets its own Role); each must
   * exist (create it first, or pass it in `dependsOn`). Neither the router's own
   * namespace nor `kube-system`, `kube-public` or `kube-node-lease`. Azure ML: azureml-fe
   * serves the deployments of the workspace's namespace.
   * @default ["default"] (ModelWebservice's default namespace)
   */
  readonly serviceNamespaces?: pulumi.Input<pulumi.Input<string>[]>;
  /** Who may scrape the router's `/metrics` (its NetworkPolicy). @default Azure Monitor managed Prometheus */
  readonly metricsScraper?: MetricsScraperArgs;
  /** Model data capture bounds. @default 64 MiB per data-listener thread, 10 s to flush on stop */
  readonly modelDataCapture?: ModelDataCaptureArgs;
  /**
   * Application Insights connection string (`ContainerInsights.appInsightsConnectionString`):
   * the router sends request and dependency telemetry for services with `enableAppInsights`,
   * and hands it to them as their default. Kept in the Secret `azureml-fe-appinsights`.
   * Azure ML: the workspace's Application Insights. Stored as a secret. @default none (no telemetry)
   */
  readonly appInsightsConnectionString?: pulumi.Input<string>;
  /** Prometheus annotations, PodMonitor and Grafana dashboard. @default annotations only */
  readonly monitoring?: RouterMonitoringArgs;
}
