import type * as pulumi from "@pulumi/pulumi";
import type { RouterConnectionArgs } from "../azuremlFe/args.js";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";

/** One registered model: a file or a folder, placed at `azureml-models/<name>/<version>/`. */
export interface ModelArgs {
  /** Azure ML model name. */
  name: pulumi.Input<string>;
  /** Azure ML model version (a positive integer). */
  version: pulumi.Input<number>;
  /**
   * Local file or folder. Must be a plain value when the program runs: its files decide
   * which blobs (named by the SHA-256 of their content) are uploaded.
   */
  path: pulumi.Input<string>;
}

/** Azure ML `Environment` for the generated image. */
export interface EnvironmentArgs {
  /**
   * Base image. Azure ML's minimal inference images run as non-root.
   * @default "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
   *          or "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cuda11.8-gpu-inference:latest" when gpuCores > 0
   */
  baseImage?: pulumi.Input<string>;
  /** Conda environment file (`python.conda_dependencies`), applied to the base image's environment. Not with `pipRequirements`. */
  condaFile?: pulumi.Input<string>;
  /** pip requirements file installed into the base image's Python. Not with `condaFile`. */
  pipRequirements?: pulumi.Input<string>;
  /** `environment_variables`, baked into the image. */
  environmentVariables?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Azure ML `InferenceConfig`: how the model image is built. */
export interface InferenceConfigArgs {
  /** `entry_script`: path of the scoring script (with `init()` and `run()`) relative to `sourceDirectory`. */
  entryScript: pulumi.Input<string>;
  /** `source_directory`: local folder copied to `/var/azureml-app` (the build context). */
  sourceDirectory: pulumi.Input<string>;
  environment?: EnvironmentArgs;
}

/** `autoscale_*` of `AksWebservice.deploy_configuration`. */
export interface AutoscaleArgs {
  /** `autoscale_enabled`. @default true unless `numReplicas` is set */
  enabled?: pulumi.Input<boolean>;
  /** `autoscale_min_replicas`. @default 1 */
  minReplicas?: pulumi.Input<number>;
  /** `autoscale_max_replicas`. @default 10 */
  maxReplicas?: pulumi.Input<number>;
  /** `autoscale_refresh_seconds`. @default 1 */
  refreshSeconds?: pulumi.Input<number>;
  /** `autoscale_target_utilization` (percent). @default 70 */
  targetUtilization?: pulumi.Input<number>;
}

/** Liveness probe (`period_seconds`, `initial_delay_seconds`, ...). */
export interface LivenessProbeArgs {
  /** `period_seconds`. @default 10 */
  periodSeconds?: pulumi.Input<number>;
  /** `initial_delay_seconds`. @default 310 */
  initialDelaySeconds?: pulumi.Input<number>;
  /** `timeout_seconds`. @default 2 */
  timeoutSeconds?: pulumi.Input<number>;
  /** `success_threshold`. @default 1 */
  successThreshold?: pulumi.Input<number>;
  /** `failure_threshold`. @default 3 */
  failureThreshold?: pulumi.Input<number>;
}

export interface RegistryPushCredentialsArgs {
  username: pulumi.Input<string>;
  /** Stored as a secret. */
  password: pulumi.Input<string>;
}

/**
 * Arguments of ModelWebservice. Names mirror `AksWebservice.deploy_configuration`;
 * Azure ML's service applied the defaults server-side, this library applies them itself.
 * The component name is the service name (`name`): 3-32 characters, lowercase letters,
 * digits and "-", starting with a letter.
 */
export interface ModelWebserviceArgs {
  cluster: ClusterConnectionArgs;
  /** `AzuremlFe.connection`. */
  router: RouterConnectionArgs;
  /** Models (at most 1000). @default [] */
  models?: ModelArgs[];
  /** How to build the image; give this or `image`. */
  inferenceConfig?: InferenceConfigArgs;
  /** A prebuilt image running the inference server on port 5001; give this or `inferenceConfig`. */
  image?: pulumi.Input<string>;
  /** Push credentials for the model image; default: the Docker credential store (`az acr login`), keeping ACR admin off. */
  registryCredentials?: RegistryPushCredentialsArgs;
  /** `cpu_cores` (request). @default 0.1 */
  cpuCores?: pulumi.Input<number>;
  /** `memory_gb` (request). @default 0.5 */
  memoryGb?: pulumi.Input<number>;
  /** `cpu_cores_limit`. @default cpuCores */
  cpuCoresLimit?: pulumi.Input<number>;
  /** `memory_gb_limit`. @default memoryGb */
  memoryGbLimit?: pulumi.Input<number>;
  /** `gpu_cores` (`nvidia.com/gpu`). @default 0 */
  gpuCores?: pulumi.Input<number>;
  autoscale?: AutoscaleArgs;
  /** `num_replicas`: fixed replica count; turns autoscale off. */
  numReplicas?: pulumi.Input<number>;
  /** `auth_enabled` (key auth). @default true, false when tokenAuthEnabled */
  authEnabled?: pulumi.Input<boolean>;
  /** `token_auth_enabled` (JWT). @default false */
  tokenAuthEnabled?: pulumi.Input<boolean>;
  /** Token auth: expected `iss` (an https URL with OIDC discovery). Required with token auth. */
  tokenIssuer?: pulumi.Input<string>;
  /** Token auth: expected `aud`. @default "api://aksml/<name>" */
  tokenAudience?: pulumi.Input<string>;
  /** Token auth: JWKS URL. @default OIDC discovery at the issuer */
  tokenJwksUri?: pulumi.Input<string>;
  /** `scoring_timeout_ms`. @default 60000 */
  scoringTimeoutMs?: pulumi.Input<number>;
  /** `replica_max_concurrent_requests`. @default 1 */
  replicaMaxConcurrentRequests?: pulumi.Input<number>;
  /** `max_request_wait_time` (ms). @default 500 */
  maxRequestWaitTimeMs?: pulumi.Input<number>;
  livenessProbe?: LivenessProbeArgs;
  /** `namespace`; must exist. @default "default" */
  namespace?: pulumi.Input<string>;
  /** `enable_app_insights` (`AML_APP_INSIGHTS_ENABLED`); needs `appInsightsKey`. @default false */
  enableAppInsights?: pulumi.Input<boolean>;
  /**
   * Application Insights instrumentation key or connection string (`AML_APP_INSIGHTS_KEY`).
   * Azure ML took it from the workspace; here it is given, kept secret in the Secret
   * `<name>-appinsights` and read by the pods from there.
   */
  appInsightsKey?: pulumi.Input<string>;
  /** `collect_model_data` (`AML_MODEL_DC_STORAGE_ENABLED`). @default false */
  collectModelData?: pulumi.Input<boolean>;
  /** `primary_key`. @default generated (32 characters) */
  primaryKey?: pulumi.Input<string>;
  /** `secondary_key`. @default generated (32 characters) */
  secondaryKey?: pulumi.Input<string>;
  /** `tags`: Kubernetes labels on the Deployment (so keys and values must be valid label text) and Azure tags on the identity. */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** `description`: annotation on the Deployment and Service. */
  description?: pulumi.Input<string>;
}
