/**
 * The router process's side of the contract with the component that deploys it
 * (components/azuremlFe/deployment.ts): the environment variables the router reads,
 * the ports it listens on, how long it drains, and the user its image runs as. Both
 * sides import these names, so a rename on one side cannot leave the other behind.
 */
import { SERVICE_CONFIG_DEFAULTS } from "./serviceConfig.js";

/** Every environment variable the router reads (router/config.ts), by what it sets. */
export const ROUTER_ENV = {
  /** Which backend serves the model services: "kubernetes" (the image) or "local" (`aksml local`). */
  backend: "AKSML_BACKEND",
  /** PEM certificate chain; with `tlsKeyFile`, the data port serves HTTPS. */
  tlsCertFile: "AKSML_TLS_CERT_FILE",
  tlsKeyFile: "AKSML_TLS_KEY_FILE",
  maxRequestBytes: "AKSML_MAX_REQUEST_BYTES",
  /** This pod's name: its identity in the Lease and in peer load reports. */
  podName: "AKSML_POD_NAME",
  podNamespace: "AKSML_POD_NAMESPACE",
  podIp: "AKSML_POD_IP",
  /** The headless Service through which router pods find each other. */
  peersService: "AKSML_PEERS_SERVICE",
  leaseName: "AKSML_LEASE_NAME",
  /** The router's own Deployment, which self-scaling resizes. */
  routerDeployment: "AKSML_ROUTER_DEPLOYMENT",
  selfScaling: "AKSML_SELF_SCALING",
  /**
   * Self-scaling bounds (integers, written by AzuremlFe outside DevTest): router pods, and
   * whole CPU cores per pod. Without the CPU bounds the router scales out and in only.
   */
  selfScalingMinPods: "AKSML_SELF_SCALING_MIN_PODS",
  selfScalingMaxPods: "AKSML_SELF_SCALING_MAX_PODS",
  selfScalingMinCpuPerPod: "AKSML_SELF_SCALING_MIN_CPU_PER_POD",
  selfScalingMaxCpuPerPod: "AKSML_SELF_SCALING_MAX_CPU_PER_POD",
  /**
   * Data-path worker threads per router process: `auto` (AzuremlFe's value, and the default
   * when unset) = the whole cores of its CPU limit (cgroup quota, autoscaler/cpuQuota.ts),
   * so a pod resized to more cores runs more workers; or 1..64.
   */
  workers: "AKSML_WORKERS",
  logLevel: "AKSML_LOG_LEVEL",
  shutdownGraceMs: "AKSML_SHUTDOWN_GRACE_MS",
  /** Comma-separated namespaces whose model Services the router serves; its RBAC is granted there only. */
  watchNamespaces: "AKSML_WATCH_NAMESPACES",
  /** File holding the secret router pods share on the peer load endpoint (a Secret mounted only into router pods). */
  peerSecretFile: "AKSML_PEER_SECRET_FILE",
  /**
   * With TLS: `http://host:port` of cert-manager's HTTP-01 solver (a Service selecting the
   * solver pods). The router then also listens on {@link ROUTER_HTTP_PORT} and answers
   * `/.well-known/acme-challenge/<token>` there, and nothing else.
   */
  acmeHttp01SolverUrl: "AKSML_ACME_HTTP01_SOLVER_URL",
  /**
   * Model data capture's container, `https://<account>.blob.core.windows.net/modeldata`,
   * written with the pod's workload identity (Storage Blob Data Contributor on it only).
   */
  modelDataContainerUrl: "AKSML_MODEL_DATA_CONTAINER_URL",
  /** Bytes the pod's capture may hold, shared out among its data-listener threads ({@link CAPTURE_BUFFER_BYTES_RANGE}). */
  captureBufferBytes: "AKSML_CAPTURE_BUFFER_BYTES",
  /** On stop, how long capture and telemetry may write what they hold (milliseconds). */
  captureFlushMs: "AKSML_CAPTURE_FLUSH_MS",
  /** Application Insights connection string: the router sends telemetry for services with `appInsightsEnabled`. */
  appInsightsConnectionString: "APPLICATIONINSIGHTS_CONNECTION_STRING",
} as const;

/** Namespaces watched when {@link ROUTER_ENV}.watchNamespaces is unset: ModelWebservice's default namespace. */
export const DEFAULT_WATCH_NAMESPACES: readonly string[] = ["default"];
/** At most this many watched namespaces: the router runs four watches in each. */
export const MAX_WATCH_NAMESPACES = 20;
/** The peer secret's shortest accepted length (AzuremlFe generates 48 random characters). */
export const MIN_PEER_SECRET_LENGTH = 32;
/**
 * The most router replicas a platform may run (AzuremlFe validates its `replicas`); the
 * peer load board holds reports from at most twice as many peers (a rollout surges
 * new pods while old ones still report).
 */
export const MAX_ROUTER_REPLICAS = 32;
/**
 * Variables the router also reads, each with a default, that the component does not set:
 * an operator's tuning knobs (router/config.ts states each range).
 */
export const ROUTER_TUNING_ENV = {
  /** Client connections one router pod serves at once, over all its workers; one more gets a 503. */
  maxConnections: "AKSML_MAX_CONNECTIONS",
  /** Services one router serves at once (rows of the workers' shared slot table). */
  serviceTableSize: "AKSML_SERVICE_TABLE_SIZE",
  /** Replicas one router tracks at once over all its services (rows of the shared slot table). */
  replicaTableSize: "AKSML_REPLICA_TABLE_SIZE",
  /** Model data to any storage account by connection string (e.g. Azurite), instead of the container URL. */
  modelDataConnectionString: "AKSML_MODEL_DATA_CONNECTION_STRING",
  /** The container with {@link ROUTER_TUNING_ENV}.modelDataConnectionString. @default "modeldata" */
  modelDataContainer: "AKSML_MODEL_DATA_CONTAINER",
  /** Model data to files under this directory (same layout), instead of storage. */
  modelDataDir: "AKSML_MODEL_DATA_DIR",
  /** Share of operations sent to Application Insights, 0 to 1. @default 1 */
  appInsightsSamplingRatio: "AKSML_APP_INSIGHTS_SAMPLING_RATIO",
} as const;

/** Default {@link ROUTER_TUNING_ENV}.serviceTableSize. */
export const DEFAULT_SERVICE_TABLE_SIZE = 1024;
/** Largest {@link ROUTER_TUNING_ENV}.serviceTableSize accepted. */
export const MAX_SERVICE_TABLE_SIZE = 65_536;
/** Default {@link ROUTER_TUNING_ENV}.replicaTableSize. */
export const DEFAULT_REPLICA_TABLE_SIZE = 8192;
/** Largest {@link ROUTER_TUNING_ENV}.replicaTableSize accepted. */
export const MAX_REPLICA_TABLE_SIZE = 262_144;

/** The container model data lands in (AksInferenceCluster creates it next to `models`). */
export const MODEL_DATA_CONTAINER = "modeldata";
/** Default capture buffer per data-listener thread: 64 MiB. */
export const DEFAULT_CAPTURE_BUFFER_BYTES = 64 * 1024 * 1024;
/** {@link ROUTER_ENV}.captureBufferBytes: 1 MiB to 1 GiB. */
export const CAPTURE_BUFFER_BYTES_RANGE = { min: 1024 * 1024, max: 1024 * 1024 * 1024 } as const;
/** Default flush bound on stop (10 s); the router pod's termination grace includes it. */
export const DEFAULT_CAPTURE_FLUSH_MS = 10_000;
/** Longest {@link ROUTER_ENV}.captureFlushMs accepted (5 minutes). */
export const MAX_CAPTURE_FLUSH_MS = 300_000;

/** The value of {@link ROUTER_ENV}.backend for the router in a cluster. */
export const KUBERNETES_BACKEND = "kubernetes";

/**
 * Data port, plain HTTP. With TLS it serves no data: it is the ACME HTTP-01 port when
 * {@link ROUTER_ENV}.acmeHttp01SolverUrl is set, and closed otherwise.
 */
export const ROUTER_HTTP_PORT = 8080;
/** Data port when TLS files are configured. */
export const ROUTER_HTTPS_PORT = 8443;
/** Admin port: /metrics, health and the peer load endpoint; never behind the LoadBalancer. */
export const ROUTER_ADMIN_PORT = 9091;

/**
 * Default drain time after SIGTERM: the default scoring timeout (60 s) plus 5 s, so a
 * rollout never cuts a request the replica is still allowed to answer.
 */
export const DEFAULT_SHUTDOWN_GRACE_MS = SERVICE_CONFIG_DEFAULTS.scoringTimeoutMs + 5_000;

/** Longest drain time the router accepts (1 hour, the inference server's own scoring timeout). */
export const MAX_SHUTDOWN_GRACE_MS = 3_600_000;

/**
 * Default client connections per router pod (over all its workers). Each one holds at most a 16 KiB header
 * buffer, a 64 KiB small body and a response's buffered bytes (about 64 KiB), so 4096 stay
 * well inside the router pod's 1229 MiB memory limit.
 */
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** Largest AKSML_MAX_CONNECTIONS accepted (stays under a default 65536-descriptor limit). */
export const MAX_CONNECTIONS_LIMIT = 50_000;

/** UID and GID the router image runs as (`USER` in router/Dockerfile: node:22-slim's `node` user). */
export const ROUTER_RUN_AS_USER = 1000;
