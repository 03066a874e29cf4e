import type * as pulumi from "@pulumi/pulumi";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";
import type { RouterConnectionArgs } from "../shared/routerConnection.js";
import type { ModelWebserviceArgs } from "../modelWebservice/args.js";

type Svc = ModelWebserviceArgs;

/**
 * One version behind the endpoint (Azure ML v1's `AksEndpoint.create_version`): a full
 * model service named `<endpoint>-<versionName>`, with its own URI and keys, and its
 * share of the endpoint's traffic. Its service settings are ModelWebservice's (same
 * names, defaults and rules); the cluster, router, namespace and auth are the endpoint's.
 */
export interface ModelEndpointVersionArgs {
  /**
   * `version_name`: 1-32 lowercase letters, digits and "-", starting with a letter; a
   * plain value (it names the version's service, `<endpoint>-<versionName>`, at most 32
   * characters). Clients pin it with the `azureml-model-deployment` header.
   */
  readonly versionName: pulumi.Input<string>;
  /** `traffic_percentile`: its share of the endpoint's requests, 0-100; all versions' sum at most 100. @default 0 */
  readonly trafficPercentile?: pulumi.Input<number>;
  /**
   * `is_default`: takes the traffic no other version is given. Exactly one version is the
   * default. @default true for the first version when no version sets it, else false
   */
  readonly isDefault?: pulumi.Input<boolean>;
  /** `is_control_version_type`: the control a rollout compares the new version with; at most one. @default false */
  readonly isControlVersion?: pulumi.Input<boolean>;
  /**
   * Azure ML v2's `mirror_traffic`: also receive a copy of this share (0-50) of the
   * endpoint's requests, answers discarded; such a version takes no live traffic. @default 0
   */
  readonly mirrorPercentile?: pulumi.Input<number>;
  /** ModelWebservice `models` of this version (at most 1000). @default [] */
  readonly models?: Svc["models"];
  /** ModelWebservice `inferenceConfig`: how this version's image is built; give this or `image`. */
  readonly inferenceConfig?: Svc["inferenceConfig"];
  /** ModelWebservice `image`: a prebuilt image serving on port 5001; give this or `inferenceConfig`. */
  readonly image?: Svc["image"];
  /** ModelWebservice `registryCredentials`: push credentials for this version's image. */
  readonly registryCredentials?: Svc["registryCredentials"];
  /** `cpu_cores` (request). @default 0.1 */
  readonly cpuCores?: Svc["cpuCores"];
  /** `memory_gb` (request). @default 0.5 */
  readonly memoryGb?: Svc["memoryGb"];
  /** `cpu_cores_limit`. @default cpuCores */
  readonly cpuCoresLimit?: Svc["cpuCoresLimit"];
  /** `memory_gb_limit`. @default memoryGb */
  readonly memoryGbLimit?: Svc["memoryGbLimit"];
  /** `gpu_cores` (`nvidia.com/gpu`). @default 0 */
  readonly gpuCores?: Svc["gpuCores"];
  /** Replica autoscaling of this version by the router (`autoscale_*`); on unless `numReplicas` is set. */
  readonly autoscale?: Svc["autoscale"];
  /** `num_replicas`: fixed replica count; turns autoscale off. */
  readonly numReplicas?: Svc["numReplicas"];
  /** `scoring_timeout_ms`, at most 3600000. @default 60000 */
  readonly scoringTimeoutMs?: Svc["scoringTimeoutMs"];
  /** `replica_max_concurrent_requests`. @default 1 */
  readonly replicaMaxConcurrentRequests?: Svc["replicaMaxConcurrentRequests"];
  /** `max_request_wait_time` (ms), at most 300000. @default 500 */
  readonly maxRequestWaitTimeMs?: Svc["maxRequestWaitTimeMs"];
  /** Requests each router process queues for this version while its replicas are busy, at most 10000. @default 100 */
  readonly maxQueuedRequests?: Svc["maxQueuedRequests"];
  /** Liveness probe of this version's containers (`period_seconds`, `initial_delay_seconds`, ...). */
  readonly livenessProbe?: Svc["livenessProbe"];
  /** Readiness probe of this version's containers (Azure ML v2's `readiness_probe`). */
  readonly readinessProbe?: Svc["readinessProbe"];
  /** Startup probe of this version's containers: liveness waits for it, so a slow model load is not killed. */
  readonly startupProbe?: Svc["startupProbe"];
  /** The node-level model cache of this version's models. */
  readonly modelCache?: Svc["modelCache"];
  /** Declarative rotation of this version's own keys (the endpoint's keys are the endpoint's). */
  readonly keyRotation?: Svc["keyRotation"];
  /**
   * `enable_app_insights`: the router sends this version's request telemetry, and its
   * inference server its own, to `appInsightsConnectionString` (or the router's). @default false
   */
  readonly enableAppInsights?: Svc["enableAppInsights"];
  /** Application Insights connection string of this version, kept secret. @default the router's when `enableAppInsights` */
  readonly appInsightsConnectionString?: Svc["appInsightsConnectionString"];
  /** Deprecated: use `appInsightsConnectionString` (a bare key becomes `InstrumentationKey=<key>`). Kept secret. */
  readonly appInsightsKey?: Svc["appInsightsKey"];
  /** `collect_model_data`: the router captures this version's inputs and predictions to `modeldata`. @default false */
  readonly collectModelData?: Svc["collectModelData"];
  /** How the router captures this version's model data. @default every request, bodies up to 1 MiB, nothing redacted */
  readonly dataCollection?: Svc["dataCollection"];
  /** `tags`: Kubernetes labels on this version's Deployment and Azure tags on its identity. */
  readonly tags?: Svc["tags"];
  /** `description`: annotation on this version's Deployment and Service. */
  readonly description?: Svc["description"];
}

/** The ModelWebservice args a version does not take: the endpoint's. */
export type EndpointOwnedArg =
  | "cluster"
  | "router"
  | "namespace"
  | "authEnabled"
  | "tokenAuthEnabled"
  | "tokenIssuer"
  | "tokenAudience"
  | "tokenJwksUri"
  | "tokenRequiredRole"
  | "primaryKey"
  | "secondaryKey";

/** The routing args of a version (what is not a ModelWebservice arg). */
export type VersionRoutingArg =
  | "versionName"
  | "trafficPercentile"
  | "isDefault"
  | "isControlVersion"
  | "mirrorPercentile";

/**
 * A version takes every ModelWebservice arg but the endpoint's: a ModelWebservice arg
 * added without its line above fails to compile here (the schema analyzer needs each
 * property declared, with its TSDoc, so `Omit<>` cannot stand in).
 */
type SameKeys<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never]
  ? true
  : { missing: Exclude<B, A>; extra: Exclude<A, B> };
type Holds<T extends true> = T;
export type VersionTakesEveryServiceArg = Holds<
  SameKeys<
    Exclude<keyof ModelEndpointVersionArgs, VersionRoutingArg>,
    Exclude<keyof ModelWebserviceArgs, EndpointOwnedArg>
  >
>;

/**
 * An automatic canary rollout (aksml's own: no peer has it built in): the router's
 * scaling leader moves `version`'s share of the traffic it and the control version hold
 * together through `steps`, one every `intervalSeconds` while its error rate and p99
 * latency stay within the thresholds against the control's, and rolls it back to 0 % the
 * moment one is crossed. The live weights are the router's (the ConfigMap
 * `<endpoint>-rollout`): `pulumi up` with the same plan continues a rollout, a changed
 * plan starts it again.
 */
export interface RolloutPlanArgs {
  /** The version to roll out (not the control version). */
  readonly version: pulumi.Input<string>;
  /** Its share at each step, in percent: increasing, ending at 100, at most 10 steps. @default [10, 50, 100] */
  readonly steps?: pulumi.Input<pulumi.Input<number>[]>;
  /** How long each step is watched, 1-86400 seconds. @default 300 */
  readonly intervalSeconds?: pulumi.Input<number>;
  /** Percentage points by which its 5xx rate may exceed the control's (0-100). @default 1 */
  readonly maxErrorRateIncreasePercent?: pulumi.Input<number>;
  /** Percent by which its p99 latency may exceed the control's (0-1000; differences under 10 ms never count). @default 50 */
  readonly maxP99LatencyIncreasePercent?: pulumi.Input<number>;
  /** Requests of the new version measured in a step before it is judged (1-1000000). @default 100 */
  readonly minRequests?: pulumi.Input<number>;
}

/**
 * Arguments of ModelEndpoint (Azure ML v1's `AksEndpoint`): several versions of a model
 * behind one scoring URI. The component name is the endpoint name: 3-32 characters,
 * lowercase letters, digits and "-", starting with a letter, and not the name of a web
 * service (they share the `/api/v1/service/<name>/score` path space).
 */
export interface ModelEndpointArgs {
  /** The cluster to deploy on (`AksInferenceCluster.connection`). */
  readonly cluster: ClusterConnectionArgs;
  /** `AzuremlFe.connection`. */
  readonly router: RouterConnectionArgs;
  /** 1 to 6 versions (Azure ML's limit). */
  readonly versions: ModelEndpointVersionArgs[];
  /** An automatic canary rollout of one version against the control version. */
  readonly rollout?: RolloutPlanArgs;
  /** `namespace` of the endpoint and its versions; must be one the router serves. @default "default" */
  readonly namespace?: pulumi.Input<string>;
  /** `auth_enabled` (key auth, the `<name>-keys` Secret). @default true, false when tokenAuthEnabled */
  readonly authEnabled?: pulumi.Input<boolean>;
  /** `token_auth_enabled` (JWT), for the endpoint and every version. @default false */
  readonly tokenAuthEnabled?: pulumi.Input<boolean>;
  /** Token auth: expected `iss` (an https URL with OIDC discovery). Required with token auth. */
  readonly tokenIssuer?: pulumi.Input<string>;
  /** Token auth: expected `aud`, for the endpoint and every version. @default "api://aksml/<name>" */
  readonly tokenAudience?: pulumi.Input<string>;
  /** Token auth: JWKS URL. @default OIDC discovery at the issuer */
  readonly tokenJwksUri?: pulumi.Input<string>;
  /**
   * Token auth: an app role the token's `roles` claim must hold, for the endpoint and every
   * version. @default none (any token of the audience)
   */
  readonly tokenRequiredRole?: pulumi.Input<string>;
  /** `primary_key` of the endpoint (each version has its own). @default generated (32 characters) */
  readonly primaryKey?: pulumi.Input<string>;
  /** `secondary_key` of the endpoint, by the same rule as `primaryKey`. @default generated (32 characters) */
  readonly secondaryKey?: pulumi.Input<string>;
  /** `description`: annotation on the endpoint's Service. */
  readonly description?: pulumi.Input<string>;
}
