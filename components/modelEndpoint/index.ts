import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { checkArgShape } from "../shared/argShape.js";
import { checkedWhenKnown } from "../shared/inputs.js";
import { ModelWebservice } from "../modelWebservice/index.js";
import { checkedServiceKey } from "../modelWebservice/validate.js";
import type { ModelEndpointArgs } from "./args.js";
import { MODEL_ENDPOINT_ARG_SHAPE } from "./argShape.js";
import { authModeOf, defaultEndpointAudience, endpointConfigFor, MODEL_ENDPOINT_DEFAULTS } from "./defaults.js";
import { createEndpointKeysSecret, endpointServiceManifest } from "./kubernetes.js";
import { validateModelEndpointArgs, versionServiceArgs } from "./validate.js";

export * from "./args.js";
export { MODEL_ENDPOINT_DEFAULTS } from "./defaults.js";

/**
 * Each endpoint's version services. Kept off the instance: the schema analyzer takes
 * every property of a component for an output, and a component is not an output type.
 */
const VERSION_SERVICES = new WeakMap<object, Readonly<Record<string, ModelWebservice>>>();

/**
 * Several versions of a model behind one scoring URI (Azure ML v1's `AksEndpoint`,
 * with Azure ML v2's mirrored traffic and version header, and an automatic canary
 * rollout). Each version is a ModelWebservice named `<name>-<versionName>` (its own
 * image, models, resources and autoscale, its own URI and keys); the endpoint adds a
 * selector-less Service carrying the `aksml/endpoint-config` annotation (the split, the
 * mirrors, the rollout plan) and its own keys Secret `<name>-keys`. The router routes
 * `/api/v1/service/<name>/score` by weight (or to the version a request's
 * `azureml-model-deployment` header names) and answers with that header naming the
 * version that served. A rollout's live weights are the router's, in the ConfigMap
 * `<name>-rollout`, which this component never declares: `pulumi up` with the same plan
 * continues a rollout, a changed plan starts it again, and nothing drifts.
 */
export class ModelEndpoint extends pulumi.ComponentResource {
  /** `<router>/api/v1/service/<name>/score`. */
  public readonly scoringUri: pulumi.Output<string>;
  /** `<router>/api/v1/service/<name>/swagger.json` (served by a version, by weight). */
  public readonly swaggerUri: pulumi.Output<string>;
  /** The endpoint's keys (each version has its own too). */
  public readonly primaryKey: pulumi.Output<string>;
  public readonly secondaryKey: pulumi.Output<string>;
  /** The `aud` tokens must carry (token auth), else undefined. */
  public readonly tokenAudience: pulumi.Output<string | undefined>;
  public readonly namespace: pulumi.Output<string>;
  /** Each version's own scoring URI, by version name. */
  public readonly versionScoringUris: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: ModelEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArgShape("ModelEndpoint", name, MODEL_ENDPOINT_ARG_SHAPE, args);
    validateModelEndpointArgs(name, args);
    super("aksml:index:ModelEndpoint", name, {}, opts);
    const child: pulumi.CustomResourceOptions = { parent: this };
    const namespace = pulumi.output(args.namespace ?? MODEL_ENDPOINT_DEFAULTS.namespace);
    // Every version accepts the endpoint's tokens.
    const tokenAudience = args.tokenAudience ?? defaultEndpointAudience(name);

    const versions: Record<string, ModelWebservice> = {};
    for (const v of args.versions) {
      const versionName = v.versionName as string;
      const { primaryKey: _p, secondaryKey: _s, ...service } = versionServiceArgs(args, v);
      versions[versionName] = new ModelWebservice(`${name}-${versionName}`, { ...service, tokenAudience }, child);
    }
    VERSION_SERVICES.set(this, versions);

    // The routing args once known, by the same rules: the annotation fails to register with that error.
    const routing = checkedWhenKnown(
      {
        versions: args.versions.map((v) => ({
          versionName: v.versionName,
          trafficPercentile: v.trafficPercentile,
          isDefault: v.isDefault,
          isControlVersion: v.isControlVersion,
          mirrorPercentile: v.mirrorPercentile,
        })),
        rollout: args.rollout,
        auth: {
          authEnabled: args.authEnabled,
          tokenAuthEnabled: args.tokenAuthEnabled,
          tokenIssuer: args.tokenIssuer,
          tokenAudience: args.tokenAudience,
          tokenJwksUri: args.tokenJwksUri,
          tokenRequiredRole: args.tokenRequiredRole,
        },
        namespace: args.namespace,
        routerNamespaces: args.router.serviceNamespaces,
      },
      (known) =>
        validateModelEndpointArgs(name, {
          ...args,
          ...known.auth,
          namespace: known.namespace,
          router: { ...args.router, serviceNamespaces: known.routerNamespaces },
          versions: args.versions.map((v, i) => ({ ...v, ...known.versions[i] })),
          rollout: known.rollout,
        }),
    );
    const config = routing.apply((r) =>
      endpointConfigFor(name, { versions: r.versions, rollout: r.rollout, auth: r.auth }),
    );

    const primaryKey =
      args.primaryKey !== undefined
        ? pulumi.secret(checkedServiceKey(name, "primaryKey", args.primaryKey))
        : new random.RandomPassword(`${name}-primary-key`, { length: 32, special: false }, child).result;
    const secondaryKey =
      args.secondaryKey !== undefined
        ? pulumi.secret(checkedServiceKey(name, "secondaryKey", args.secondaryKey))
        : new random.RandomPassword(`${name}-secondary-key`, { length: 32, special: false }, child).result;
    const keys = createEndpointKeysSecret(name, namespace, primaryKey, secondaryKey, child);

    const manifest = pulumi
      .all([config, namespace, args.description])
      .apply(([c, ns, description]) => endpointServiceManifest(name, ns, c, description));
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: manifest.apply((m) => m.metadata as k8s.types.input.meta.v1.ObjectMeta),
        spec: manifest.apply((m) => m.spec as k8s.types.input.core.v1.ServiceSpec),
      },
      { ...child, dependsOn: [keys] },
    );

    const base = pulumi.output(args.router.endpoint).apply((e) => `${e.replace(/\/+$/, "")}/api/v1/service/${name}`);
    this.scoringUri = pulumi.interpolate`${base}/score`;
    this.swaggerUri = pulumi.interpolate`${base}/swagger.json`;
    this.primaryKey = pulumi.secret(primaryKey);
    this.secondaryKey = pulumi.secret(secondaryKey);
    this.tokenAudience = routing.apply((r) =>
      authModeOf(r.auth) === "token" ? (r.auth.tokenAudience ?? defaultEndpointAudience(name)) : undefined,
    );
    this.namespace = namespace;
    this.versionScoringUris = pulumi.all(
      Object.fromEntries(Object.entries(versions).map(([v, svc]) => [v, svc.scoringUri])),
    );
    this.registerOutputs({
      scoringUri: this.scoringUri,
      swaggerUri: this.swaggerUri,
      primaryKey: this.primaryKey,
      secondaryKey: this.secondaryKey,
      tokenAudience: this.tokenAudience,
      namespace: this.namespace,
      versionScoringUris: this.versionScoringUris,
    });
  }

  /** The web service of version `versionName` (its own URI, keys and outputs). */
  versionService(versionName: string): ModelWebservice | undefined {
    return VERSION_SERVICES.get(this)?.[versionName];
  }
}
