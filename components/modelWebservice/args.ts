import type * as pulumi from "@pulumi/pulumi";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";
import type { RouterConnectionArgs } from "../shared/routerConnection.js";
import type { ModelCacheArgs, StartupProbeArgs } from "./podStartArgs.js";
import type { DataCollectionArgs } from "./dataCollection.js";

export type { ModelCacheArgs, StartupProbeArgs } from "./podStartArgs.js";
export type { DataCollectionArgs } from "./dataCollection.js";

/**
 * One registered model, placed at `azureml-models/<name>/<version>/`: a local file or
 * folder (`path`, uploaded), or a blob already in storage (`blobUri` and `sha256`).
 */
export interface ModelArgs {
  /** Azure ML model name. */
  readonly name: pulumi.Input<string>;
  /** Azure ML model version (a positive integer). */
  readonly version: pulumi.Input<number>;
  /**
   * Local file or folder; give this or `blobUri`. Must be a plain value when the program
   * runs: its files decide which blobs (named by the SHA-256 of their content) are uploaded.
   */
  readonly path?: pulumi.Input<string>;
  /**
   * A model by reference (Azure ML: a model registered from a datastore path): the URL of
   * one blob already in storage, `https://<account>.blob.core.windows.net/<container>/<blob>`,
   * placed at `azureml-models/<name>/<version>/<the blob's file name>`; give this or
   * `path`. An Azure Storage blob endpoint (any cloud), no SAS: the service's identity
   * reads it, which it may in the cluster's model storage account; elsewhere grant its
   * `identityClientId` "Storage Blob Data Reader" (and allow the host through a firewall).
   */
  readonly blobUri?: pulumi.Input<string>;
  /**
   * SHA-256 (64 hex digits) of the `blobUri` blob's content; required with `blobUri`.
   * Every replica checks it, so a blob overwritten later fails to load instead of
   * serving another model (`az storage blob download ... -f model.onnx && sha256sum model.onnx`).
   */
  readonly sha256?: pulumi.Input<string>;
}

/** Azure ML `Environment` for the generated image. */
export interface EnvironmentArgs {
  /**
   * Base image. Azure ML's minimal inference images run as non-root.
   * @default "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
   *          or "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cuda11.8-gpu-inference:latest" when gpuCores > 0
   */
  readonly baseImage?: pulumi.Input<string>;
  /** Conda environment file (`python.conda_dependencies`), applied to the base image's environment. Not with `pipRequirements`. */
  readonly condaFile?: pulumi.Input<string>;
  /** pip requirements file installed into the base image's Python. Not with `condaFile`. */
  readonly pipRequirements?: pulumi.Input<string>;
  /** `environment_variables`, baked into the image. */
  readonly environmentVariables?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Azure ML `InferenceConfig`: how the model image is built. */
export interface InferenceConfigArgs {
  /** `entry_script`: path of the scoring script (with `init()` and `run()`) relative to `sourceDirectory`. */
  readonly entryScript: pulumi.Input<string>;
  /** `source_directory`: local folder copied to `/var/azureml-app` (the build context). */
  readonly sourceDirectory: pulumi.Input<string>;
  /** `environment`: the base image and Python dependencies of the generated image. */
  readonly environment?: EnvironmentArgs;
}

/** `autoscale_*` of `AksWebservice.deploy_configuration`. */
export interface AutoscaleArgs {
  /** `autoscale_enabled`. @default true unless `numReplicas` is set */
  readonly enabled?: pulumi.Input<boolean>;
  /** `autoscale_min_replicas`. @default 1 */
  readonly minReplicas?: pulumi.Input<number>;
  /** `autoscale_max_replicas`. @default 10 */
  readonly maxReplicas?: pulumi.Input<number>;
  /** `autoscale_refresh_seconds`. @default 1 */
  readonly refreshSeconds?: pulumi.Input<number>;
  /** `autoscale_target_utilization` (percent). @default 70 */
  readonly targetUtilization?: pulumi.Input<number>;
}

/** Liveness probe (`period_seconds`, `initial_delay_seconds`, ...). */
export interface LivenessProbeArgs {
  /** `period_seconds`. @default 10 */
  readonly periodSeconds?: pulumi.Input<number>;
  /** `initial_delay_seconds`. @default 310 */
  readonly initialDelaySeconds?: pulumi.Input<number>;
  /** `timeout_seconds`. @default 2 */
  readonly timeoutSeconds?: pulumi.Input<number>;
  /** `success_threshold`. @default 1 */
  readonly successThreshold?: pulumi.Input<number>;
  /** `failure_threshold`. @default 3 */
  readonly failureThreshold?: pulumi.Input<number>;
}

/**
 * Readiness probe (Azure ML v2's `readiness_probe`): the router sends requests only to
 * ready replicas, so these decide how soon a new replica takes traffic and how soon a
 * failing one stops getting it. aksml's defaults fail faster than Azure ML v2's (period
 * 10, initial_delay 10, failure_threshold 30: five minutes of traffic to a broken replica).
 */
export interface ReadinessProbeArgs {
  /** `period` in seconds. @default 5 */
  readonly periodSeconds?: pulumi.Input<number>;
  /** `initial_delay` in seconds (0 or more). @default 0 */
  readonly initialDelaySeconds?: pulumi.Input<number>;
  /** `timeout` in seconds. @default livenessProbe.timeoutSeconds (2) */
  readonly timeoutSeconds?: pulumi.Input<number>;
  /** `success_threshold`. @default 1 */
  readonly successThreshold?: pulumi.Input<number>;
  /** `failure_threshold`. @default 3 */
  readonly failureThreshold?: pulumi.Input<number>;
}

/**
 * Declarative key rotation: the stack's counterpart of Azure ML's `regen_key` and of
 * `aksml regen-key`. Each counter must be a plain integer (it names the one-time write).
 */
export interface KeyRotationArgs {
  /**
   * Change it (e.g. 0 -> 1) to write a new primary key once: a new random one, or
   * `primaryKey` when given. The secondary key keeps working meanwhile. @default 0
   */
  readonly primary?: pulumi.Input<number>;
  /** The same for the secondary key. @default 0 */
  readonly secondary?: pulumi.Input<number>;
}

export interface RegistryPushCredentialsArgs {
  /** User name (an ACR token name or a service principal's client id). */
  readonly username: pulumi.Input<string>;
  /** Stored as a secret. */
  readonly password: pulumi.Input<string>;
}

/**
 * Arguments of ModelWebservice. Names mirror `AksWebservice.deploy_configuration`;
 * Azure ML's service applied the defaults server-side, this library applies them itself.
 * The component name is the service name (`name`): 3-32 characters, lowercase letters,
 * digits and "-", starting with a letter.
 */
export interface ModelWebserviceArgs {
  /** The cluster to deploy on (`AksInferenceCluster.connection`). Azure ML: the `deployment_target`. */
  readonly cluster: ClusterConnectionArgs;
  /** `AzuremlFe.connection`. */
  readonly router: RouterConnectionArgs;
  /** Models (at most 1000), local or by reference. @default [] */
  readonly models?: ModelArgs[];
  /** How to build the image; give this or `image`. */
  readonly inferenceConfig?: InferenceConfigArgs;
  /** A prebuilt image running the inference server on port 5001; give this or `inferenceConfig`. */
  readonly image?: pulumi.Input<string>;
  /** Push credentials for the model image; default: the Docker credential store (`az acr login`), keeping ACR admin off. */
  readonly registryCredentials?: RegistryPushCredentialsArgs;
  /** `cpu_cores` (request). @default 0.1 */
  readonly cpuCores?: pulumi.Input<number>;
  /** `memory_gb` (request). @default 0.5 */
  readonly memoryGb?: pulumi.Input<number>;
  /** `cpu_cores_limit`. @default cpuCores */
  readonly cpuCoresLimit?: pulumi.Input<number>;
  /** `memory_gb_limit`. @default memoryGb */
  readonly memoryGbLimit?: pulumi.Input<number>;
  /** `gpu_cores` (`nvidia.com/gpu`). @default 0 */
  readonly gpuCores?: pulumi.Input<number>;
  /** Replica autoscaling by the router (`autoscale_*`); on unless `numReplicas` is set. */
  readonly autoscale?: AutoscaleArgs;
  /** `num_replicas`: fixed replica count; turns autoscale off. */
  readonly numReplicas?: pulumi.Input<number>;
  /** `auth_enabled` (key auth). @default true, false when tokenAuthEnabled */
  readonly authEnabled?: pulumi.Input<boolean>;
  /** `token_auth_enabled` (JWT). @default false */
  readonly tokenAuthEnabled?: pulumi.Input<boolean>;
  /**
   * Token auth: the issuer whose tokens are accepted (an https URL with OIDC discovery).
   * @default an Entra ID application registered for this service (`@pulumi/azuread`), whose
   *          v2.0 tokens have `iss` `https://login.microsoftonline.com/<tenant>/v2.0`
   */
  readonly tokenIssuer?: pulumi.Input<string>;
  /**
   * Token auth: with `tokenIssuer`, the expected `aud` (default "api://aksml/<name>"); with
   * the Entra ID application, its identifier URI (default "api://<client id>"), while tokens
   * carry `aud` = the client id (both are accepted).
   */
  readonly tokenAudience?: pulumi.Input<string>;
  /**
   * Token auth: an app role the token's `roles` claim must hold (403 otherwise). With the
   * Entra ID application, the role is defined there and only assigned callers get tokens.
   * aksml's own setting (Azure ML let any workspace user get a token). @default none required
   */
  readonly tokenRequiredRole?: pulumi.Input<string>;
  /** Token auth: JWKS URL. @default OIDC discovery at the issuer */
  readonly tokenJwksUri?: pulumi.Input<string>;
  /**
   * `scoring_timeout_ms`, at most 3600000: the whole exchange with a replica, from dispatch
   * to the last response byte (504 before the response head; the connection is closed after it). @default 60000
   */
  readonly scoringTimeoutMs?: pulumi.Input<number>;
  /** `replica_max_concurrent_requests`. @default 1 */
  readonly replicaMaxConcurrentRequests?: pulumi.Input<number>;
  /** `max_request_wait_time` (ms), at most 300000. @default 500 */
  readonly maxRequestWaitTimeMs?: pulumi.Input<number>;
  /**
   * Requests each router process queues for this service while every replica is busy, at
   * most 10000; one more is answered 503 with `Retry-After` at once. 0: never queue. aksml's
   * own setting: Azure ML's azureml-fe queue had no length limit. @default 100
   */
  readonly maxQueuedRequests?: pulumi.Input<number>;
  /** Liveness probe of the model containers (`period_seconds`, `initial_delay_seconds`, ...). */
  readonly livenessProbe?: LivenessProbeArgs;
  /**
   * Readiness probe of the model containers (Azure ML v2's `readiness_probe`). Whatever it
   * is, a replica being replaced keeps serving for a 5 s preStop delay (so the router stops
   * sending to it first), then has `scoringTimeoutMs` to finish its requests.
   */
  readonly readinessProbe?: ReadinessProbeArgs;
  /** Startup probe of the model containers: liveness waits for it, so a slow model load is not killed. */
  readonly startupProbe?: StartupProbeArgs;
  /** The node-level model cache: a replica on a node that fetched the same model before does not download it. */
  readonly modelCache?: ModelCacheArgs;
  /** `namespace`; must exist. @default "default" */
  readonly namespace?: pulumi.Input<string>;
  /**
   * `enable_app_insights`: the router sends a request item for every scoring request of
   * this service and a dependency item for each replica call (to the router's own
   * resource, AzuremlFe `appInsightsConnectionString`), and the model container's
   * inference server sends its own telemetry (`AML_APP_INSIGHTS_ENABLED`) to
   * `appInsightsConnectionString`, or to the router's when that is not given. @default false
   */
  readonly enableAppInsights?: pulumi.Input<boolean>;
  /**
   * Application Insights connection string for the model container (Azure ML took the
   * workspace's resource): kept in the Secret `<name>-appinsights` and given to the
   * container as `APPLICATIONINSIGHTS_CONNECTION_STRING` and as the `AML_APP_INSIGHTS_KEY`
   * the inference server builds its connection string from. Stored as a secret.
   * @default the router's (`router.appInsightsConnectionString`) when `enableAppInsights`
   */
  readonly appInsightsConnectionString?: pulumi.Input<string>;
  /**
   * Deprecated: use `appInsightsConnectionString` (Microsoft retired ingestion by bare
   * instrumentation key). A connection string given here is used as one; a bare key
   * becomes `InstrumentationKey=<key>`. Not with `appInsightsConnectionString`. Stored as a secret.
   */
  readonly appInsightsKey?: pulumi.Input<string>;
  /**
   * `collect_model_data`: the router captures this service's scoring requests and responses
   * (no `ModelDataCollector` in score.py) into the cluster's `modeldata` container, as JSON
   * Lines under `<service>/<model>/<version>/inputs|predictions/<yyyy>/<mm>/<dd>/<HH>/`. @default false
   */
  readonly collectModelData?: pulumi.Input<boolean>;
  /** How the router captures model data (sampling, body size, redaction). @default every request, bodies up to 1 MiB, nothing redacted */
  readonly dataCollection?: DataCollectionArgs;
  /**
   * `primary_key`: the key the `<name>-keys` Secret is created with; characters a Bearer
   * credential can carry (letters, digits, `-._~+/`, then optional trailing `=`), at most 8185.
   * The Secret owns the keys after creation (`aksml regen-key` rotates them); a changed value
   * is written only when `keyRotation.primary` changes too. @default generated (32 characters)
   */
  readonly primaryKey?: pulumi.Input<string>;
  /** `secondary_key`, by the same rules as `primaryKey`. @default generated (32 characters) */
  readonly secondaryKey?: pulumi.Input<string>;
  /** Declarative rotation of one key (`regen_key`). @default no rotation */
  readonly keyRotation?: KeyRotationArgs;
  /** `tags`: Kubernetes labels on the Deployment (so keys and values must be valid label text) and Azure tags on the identity. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** `description`: annotation on the Deployment and Service. */
  readonly description?: pulumi.Input<string>;
}
