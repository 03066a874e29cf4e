import { resolve } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ModelWebserviceArgs } from "./args.js";
import { checkedWhenKnown } from "../shared/inputs.js";
import { defaultBaseImage, resolveModelWebserviceSettings } from "./defaults.js";
import { loadAzureMlConfig, type FromAzureMlConfigOptions } from "./fromAzureMlConfig.js";
import { createModelIdentity } from "./identity.js";
import { buildModelImage, type PlainInferenceConfig } from "./image.js";
import { registerEntraApplication, type EntraRegistration } from "./entra.js";
import { createServiceKeys } from "./keys.js";
import {
  createAppInsightsSecret,
  createModelNetworkPolicy,
  createServiceAccount,
  modelDeploymentManifest,
  modelServiceManifest,
  serviceConfigFor,
} from "./kubernetes.js";
import { referencedFetchList } from "./modelReferences.js";
import { modelDirFor, modelFiles, plainModels, uploadModels } from "./models.js";
import { checkedWhenKnownArgs } from "./settings.js";
import { checkedServiceKey, validateModelWebserviceArgs } from "./validate.js";
import { MODEL_WEBSERVICE_ARG_SHAPE } from "./argShape.js";
import { checkArgShape } from "../shared/argShape.js";

export * from "./args.js";
export { MODEL_WEBSERVICE_DEFAULTS, resolveModelWebserviceSettings } from "./defaults.js";
export type { FromAzureMlConfigOptions } from "./fromAzureMlConfig.js";

/**
 * One model web service (Azure ML `AksWebservice`): model blobs uploaded by content
 * hash, a workload identity that may read them, the image (built from an inference
 * config, or given), and the Kubernetes objects the router reads: the Deployment
 * (no `spec.replicas` under autoscale), the Service with the `aksml/config`
 * annotation and the `<name>-keys` Secret, and a NetworkPolicy admitting only the
 * router's pods to the model pods. The component name is the service name; its
 * namespace must be one the router serves (`router.serviceNamespaces`).
 */
export class ModelWebservice extends pulumi.ComponentResource {
  /** `<router>/api/v1/service/<name>/score`. */
  public readonly scoringUri: pulumi.Output<string>;
  /** `<router>/api/v1/service/<name>/swagger.json`. */
  public readonly swaggerUri: pulumi.Output<string>;
  /** The primary key as the cluster serves it (read from the `<name>-keys` Secret at every `pulumi up`). */
  public readonly primaryKey: pulumi.Output<string>;
  /** The secondary key as the cluster serves it. */
  public readonly secondaryKey: pulumi.Output<string>;
  /** The `aud` tokens must carry (token auth; the Entra ID application's client id), else undefined. */
  public readonly tokenAudience: pulumi.Output<string | undefined>;
  /** What a client requests a token for (`<identifier URI>/.default`) with the Entra ID application, else undefined. */
  public readonly tokenScope: pulumi.Output<string | undefined>;
  /**
   * With the Entra ID application: the app role's id, to grant a caller the role
   * (`new azuread.AppRoleAssignment(..., { appRoleId, resourceObjectId: tokenServicePrincipalId,
   * principalObjectId })`); else undefined.
   */
  public readonly tokenAppRoleId: pulumi.Output<string | undefined>;
  /** With the Entra ID application: its service principal's object id (`resourceObjectId` of a role assignment), else undefined. */
  public readonly tokenServicePrincipalId: pulumi.Output<string | undefined>;
  public readonly namespace: pulumi.Output<string>;
  public readonly imageRef: pulumi.Output<string>;
  /** Client id of the service's workload identity. */
  public readonly identityClientId: pulumi.Output<string>;

  /** Builds the service from the `inferenceconfig.json` and `deploymentconfig.json` `az ml model deploy` takes. */
  static fromAzureMlConfig(
    name: string,
    options: FromAzureMlConfigOptions,
    opts?: pulumi.ComponentResourceOptions,
  ): ModelWebservice {
    return new ModelWebservice(name, loadAzureMlConfig(options), opts);
  }

  constructor(name: string, args: ModelWebserviceArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArgShape("ModelWebservice", name, MODEL_WEBSERVICE_ARG_SHAPE, args);
    validateModelWebserviceArgs(name, args);
    super("aksml:index:ModelWebservice", name, {}, opts);
    const cluster = args.cluster;
    // Values that were Outputs are validated once known, by the same rules; every object
    // built from the settings (Deployment, Service, Secrets) fails to register with that error.
    // The router's namespaces are checked with them: the namespace must be one it serves.
    const settings = checkedWhenKnown(
      { ...checkedWhenKnownArgs(args), routerNamespaces: args.router.serviceNamespaces },
      ({ routerNamespaces, ...known }) =>
        validateModelWebserviceArgs(name, {
          ...args,
          ...known,
          router: { ...args.router, serviceNamespaces: routerNamespaces },
        }),
    ).apply(({ routerNamespaces: _, ...known }) => resolveModelWebserviceSettings(name, known));
    const namespace = settings.namespace;
    const child: pulumi.CustomResourceOptions = { parent: this };

    const models = plainModels(args.models);
    const modelRefs = models.map((m) => ({ name: m.name, version: m.version }));
    const files = modelFiles(models);
    const upload = files.length ? uploadModels(name, files, namespace, cluster, child) : undefined;
    const references = referencedFetchList(name, args.models);
    const id = createModelIdentity(name, cluster, namespace, name, args.tags, child);
    const sa = createServiceAccount(name, namespace, id.identity.clientId, child);

    const image = args.image !== undefined ? pulumi.output(args.image) : this.buildImage(name, args);

    // A given key is checked once known, by the same rule as a plain one.
    const checked = (path: "primaryKey" | "secondaryKey") =>
      args[path] !== undefined ? checkedServiceKey(name, path, args[path]) : undefined;
    const serviceKeys = createServiceKeys(
      name,
      namespace,
      { primaryKey: checked("primaryKey"), secondaryKey: checked("secondaryKey"), keyRotation: args.keyRotation },
      child,
    );
    const keys = serviceKeys.secret;
    // Validation guarantees tokenAuthEnabled is a plain value when it decides this.
    const entra: EntraRegistration | undefined =
      args.tokenAuthEnabled === true && args.tokenIssuer === undefined
        ? registerEntraApplication(
            name,
            { identifierUri: args.tokenAudience, requiredRole: args.tokenRequiredRole },
            child,
          )
        : undefined;
    const entraSettings = entra
      ? pulumi.all([entra.issuer, entra.clientId, entra.identifierUri]).apply(([issuer, clientId, identifierUri]) => ({
          issuer,
          clientId,
          identifierUri,
        }))
      : pulumi.output(undefined);
    // The model container's connection string: its own, else (deprecated) its key, else the router's.
    const insightsSource =
      args.appInsightsConnectionString ??
      args.appInsightsKey ??
      (args.enableAppInsights === true ? args.router.appInsightsConnectionString : undefined);
    const insights =
      insightsSource !== undefined ? createAppInsightsSecret(name, namespace, insightsSource, child) : undefined;

    const manifest = pulumi
      .output({
        s: settings,
        img: image,
        routerImage: args.router.image,
        purpose: cluster.clusterPurpose,
        accountUrl: cluster.storageBlobEndpoint,
        container: cluster.modelContainerName,
        blobs: upload?.fetchList ?? [],
        urls: references,
        tags: args.tags ?? {},
        description: args.description,
      })
      .apply(({ s, img, routerImage, purpose, accountUrl, container, blobs, urls, tags, description }) =>
        modelDeploymentManifest(
          {
            name,
            settings: s,
            image: img,
            routerImage,
            modelDir: modelDirFor(models),
            serviceAccountName: name,
            clusterPurpose: purpose,
            modelCount: models.length,
            tags,
            description,
            appInsightsSecretName: insights ? `${name}-appinsights` : undefined,
            fetchArgs: blobs.length || urls.length ? { accountUrl, container, blobs, urls } : undefined,
          },
          s.namespace,
        ),
      );
    // The pods need the identity's role (init container) and the blobs in place before they start.
    const deploymentDeps: pulumi.Resource[] = [
      sa,
      keys,
      id.federatedCredential,
      id.roleAssignment,
      ...(upload?.blobs ?? []),
      ...(insights ? [insights] : []),
    ];
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: manifest.apply((m) => m.metadata as k8s.types.input.meta.v1.ObjectMeta),
        spec: manifest.apply((m) => m.spec as k8s.types.input.apps.v1.DeploymentSpec),
      },
      { ...child, dependsOn: deploymentDeps },
    );

    const serviceManifest = pulumi
      .all([settings, args.description, entraSettings])
      .apply(([s, description, e]) =>
        modelServiceManifest(name, s.namespace, serviceConfigFor(name, s, e, modelRefs), description),
      );
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: serviceManifest.apply((m) => m.metadata as k8s.types.input.meta.v1.ObjectMeta),
        spec: serviceManifest.apply((m) => m.spec as k8s.types.input.core.v1.ServiceSpec),
      },
      { ...child, dependsOn: [keys] },
    );

    createModelNetworkPolicy(name, namespace, args.router.namespace, child);

    const base = pulumi.output(args.router.endpoint).apply((e) => `${e.replace(/\/+$/, "")}/api/v1/service/${name}`);
    this.scoringUri = pulumi.interpolate`${base}/score`;
    this.swaggerUri = pulumi.interpolate`${base}/swagger.json`;
    this.primaryKey = serviceKeys.primaryKey;
    this.secondaryKey = serviceKeys.secondaryKey;
    this.tokenAudience = entra ? entra.clientId : settings.apply((s) => s.tokenAudience);
    this.tokenScope = entra ? entra.scope : pulumi.output(undefined);
    this.tokenAppRoleId = entra ? entra.appRoleId : pulumi.output(undefined);
    this.tokenServicePrincipalId = entra ? entra.servicePrincipalObjectId : pulumi.output(undefined);
    this.namespace = namespace;
    this.imageRef = image;
    this.identityClientId = id.identity.clientId;
    this.registerOutputs({
      scoringUri: this.scoringUri,
      swaggerUri: this.swaggerUri,
      primaryKey: this.primaryKey,
      secondaryKey: this.secondaryKey,
      tokenAudience: this.tokenAudience,
      tokenScope: this.tokenScope,
      tokenAppRoleId: this.tokenAppRoleId,
      tokenServicePrincipalId: this.tokenServicePrincipalId,
      namespace: this.namespace,
      imageRef: this.imageRef,
      identityClientId: this.identityClientId,
    });
  }

  private buildImage(name: string, args: ModelWebserviceArgs): pulumi.Output<string> {
    const ic = args.inferenceConfig!;
    const env = ic.environment ?? {};
    // Validation guarantees these are plain values: they decide the content hash.
    const gpuCores = (args.gpuCores ?? 0) as number;
    const plain: PlainInferenceConfig = {
      entryScript: ic.entryScript as string,
      sourceDirectory: resolve(ic.sourceDirectory as string),
      baseImage: (env.baseImage as string | undefined) ?? defaultBaseImage(gpuCores),
      condaFile: env.condaFile as string | undefined,
      pipRequirements: env.pipRequirements as string | undefined,
      environmentVariables: (env.environmentVariables ?? {}) as Record<string, string>,
    };
    return buildModelImage(name, plain, args.cluster.acrLoginServer, args.registryCredentials, { parent: this }).ref;
  }
}
