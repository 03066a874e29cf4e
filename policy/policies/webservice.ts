/**
 * Rules for model web services: the `aksml/config` annotation on the model Service
 * (parsed with the router's own contract parser, so policy and router agree), the
 * model Deployment's annotations, and what may scale it.
 */
import type {
  EnforcementLevel,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  CONFIG_ANNOTATION,
  parseServiceConfig,
  type ConfigProblem,
  type ServiceConfig,
} from "../../router/contract/serviceConfig.js";
import { MANAGED_CLUSTER_TYPE, normalizeRegion, ofType, purposeOf } from "./azureResources.js";
import {
  annotationsOf,
  HPA_TYPES,
  isModelDeployment,
  MODEL_COUNT_ANNOTATION,
  namespaceOf,
  objectName,
  SERVICE_TYPE,
  webserviceOf,
  type Props,
} from "./kubernetesObjects.js";

/** Azure ML's limit of models per deployment. */
export const MAX_MODELS_PER_DEPLOYMENT = 1000;

interface ModelService {
  name: string;
  raw: unknown;
  parsed: { ok: true; config: ServiceConfig } | { ok: false; problems: ConfigProblem[] };
}

/** The model service a Kubernetes Service declares through its `aksml/config` annotation, if any. */
/** The web service name a Kubernetes Service serves, when it is a model Service (it has the aksml/config annotation). */
function modelServiceName(type: string, props: Props, logicalName: string): string | undefined {
  if (type !== SERVICE_TYPE || annotationsOf(props)[CONFIG_ANNOTATION] === undefined) return undefined;
  return webserviceOf(props) ?? objectName(props, logicalName);
}

/** The stack's model Services by the web service name each serves. */
export function modelServicesByName(resources: PolicyResource[]): Map<string, PolicyResource[]> {
  const byName = new Map<string, PolicyResource[]>();
  for (const r of ofType(resources, SERVICE_TYPE)) {
    const name = modelServiceName(r.type, r.props, r.name);
    if (name !== undefined) byName.set(name, [...(byName.get(name) ?? []), r]);
  }
  return byName;
}

function modelServiceOf(type: string, props: Props, logicalName: string): ModelService | undefined {
  const name = modelServiceName(type, props, logicalName);
  if (name === undefined) return undefined;
  const annotation = annotationsOf(props)[CONFIG_ANNOTATION]!;
  let raw: unknown = annotation;
  try {
    raw = JSON.parse(annotation);
  } catch {
    // parseServiceConfig reports the JSON error.
  }
  return { name, raw, parsed: parseServiceConfig(name, annotation) };
}

function withModelService(args: ResourceValidationArgs, fn: (svc: ModelService) => void): void {
  const svc = modelServiceOf(args.type, args.props, args.name);
  if (!svc) args.notApplicable("not a model Service (no aksml/config annotation)");
  else fn(svc);
}

const problemText = (ps: ConfigProblem[]) => ps.map((p) => `${p.path} ${p.reason}`).join("; ");

/** The annotation parses under the router's contract (else the router refuses to serve it). */
export function webserviceConfigValid(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "webservice-config-valid",
    description: `The ${CONFIG_ANNOTATION} annotation of a model Service is valid under the router contract.`,
    enforcementLevel,
    validateResource: (args, report) =>
      withModelService(args, (svc) => {
        if (svc.parsed.ok) return;
        // Autoscale bounds have their own policy.
        const problems = svc.parsed.problems.filter((p) => !p.path.startsWith("autoscale."));
        if (problems.length === 0) return;
        report(
          `Web service '${svc.name}': the ${CONFIG_ANNOTATION} annotation is invalid: ${problemText(problems)}. Fix: correct these fields; the router refuses a service whose config does not parse.`,
        );
      }),
  };
}

/** 1 <= minReplicas <= maxReplicas, targetUtilization 1..100, refreshSeconds >= 1. */
export function webserviceAutoscaleBounds(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "webservice-autoscale-bounds",
    description:
      "Autoscale bounds are sane: 1 <= minReplicas <= maxReplicas, targetUtilization in 1..100, refreshSeconds >= 1.",
    enforcementLevel,
    validateResource: (args, report) =>
      withModelService(args, (svc) => {
        if (svc.parsed.ok) return;
        const problems = svc.parsed.problems.filter((p) => p.path.startsWith("autoscale."));
        if (problems.length === 0) return;
        report(
          `Web service '${svc.name}': autoscale bounds must satisfy 1 <= minReplicas <= maxReplicas, targetUtilization in 1..100 and refreshSeconds >= 1; found ${problemText(problems)}. ` +
            `Fix: set autoscale.minReplicas, maxReplicas, targetUtilization and refreshSeconds within these bounds.`,
        );
      }),
  };
}

/** Key and token auth are never both on: a key-mode service carries no token settings. */
export function webserviceSingleAuthMode(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "webservice-single-auth-mode",
    description: "Key auth and token auth are never both enabled on a web service.",
    enforcementLevel,
    validateResource: (args, report) =>
      withModelService(args, (svc) => {
        const auth = (svc.raw as Props)?.auth;
        if (typeof auth !== "object" || auth === null) return;
        const mode = auth.mode ?? "key";
        const tokenSettings = ["issuer", "audience", "jwksUri"].filter((k) => auth[k] !== undefined);
        if (mode === "key" && tokenSettings.length > 0) {
          report(
            `Web service '${svc.name}': key and token auth must never both be on; found auth.mode "key" together with token settings (${tokenSettings.map((k) => `auth.${k}`).join(", ")}). ` +
              `Fix: enable either key auth (authEnabled) or token auth (tokenAuthEnabled with tokenIssuer), not both; remove the token settings from a key-auth service.`,
          );
        }
      }),
  };
}

/** The model Deployment of a web service (same namespace, same `aksml/webservice` label). */
function modelDeploymentFor(service: PolicyResource, resources: PolicyResource[]): PolicyResource | undefined {
  const name = webserviceOf(service.props);
  return resources.find(
    (r) =>
      isModelDeployment(r.type, r.props) &&
      webserviceOf(r.props) === name &&
      namespaceOf(r.props) === namespaceOf(service.props),
  );
}

/** Outside DevTest, every web service requires auth (key or token). */
export function webserviceAuthRequired(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "webservice-auth-required",
    description: "Web services have key or token auth on unless the cluster purpose is DevTest.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      for (const r of ofType(resources, SERVICE_TYPE)) {
        const svc = modelServiceOf(r.type, r.props, r.name);
        if (!svc?.parsed.ok || svc.parsed.config.auth.mode !== "none") continue;
        const deployment = modelDeploymentFor(r, resources);
        const purpose = purposeOf(deployment?.props ?? r.props, resources);
        if (purpose === "DevTest") continue;
        report(
          `Web service '${svc.name}' has auth.mode "none" on a ${purpose ?? "production (purpose unknown)"} cluster; auth is required outside DevTest. ` +
            `Fix: enable key auth (the default) or token auth.`,
          r.urn,
        );
      }
    },
  };
}

/**
 * No two model Services claim one web service name. The router serves a name from
 * whichever namespace declares it, so a second claimant is either a look-alike after
 * the real service's traffic (and its clients' keys) or a mistake; the router refuses
 * both while the name is claimed twice (503), so the real service is down too.
 */
export function webserviceUniqueNames(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "webservice-unique-names",
    description: "Every web service name is declared by one model Service only, across all namespaces.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      for (const [name, claimants] of modelServicesByName(resources)) {
        if (claimants.length < 2) continue;
        const where = claimants.map((c) => `'${namespaceOf(c.props)}'`).join(", ");
        for (const c of claimants)
          report(
            `Web service name '${name}' is declared by ${claimants.length} model Services (namespaces ${where}); the router serves neither while a name is claimed twice, and a look-alike could otherwise receive the real service's traffic and its clients' keys. ` +
              `Fix: keep one web service per name across the router's serviceNamespaces; rename or remove the others.`,
            c.urn,
          );
      }
    },
  };
}

/** The router scales model Deployments; an HPA on one would fight it. */
export function noHpaOnModelDeployments(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "no-hpa-on-model-deployments",
    description: "No HorizontalPodAutoscaler targets a model Deployment (the router scales them).",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      const models = resources.filter((r) => isModelDeployment(r.type, r.props));
      for (const hpa of ofType(resources, ...HPA_TYPES)) {
        const ref = hpa.props.spec?.scaleTargetRef ?? {};
        if (ref.kind !== "Deployment") continue;
        const target = models.find(
          (m) => objectName(m.props, m.name) === ref.name && namespaceOf(m.props) === namespaceOf(hpa.props),
        );
        if (!target) continue;
        report(
          `HorizontalPodAutoscaler '${objectName(hpa.props, hpa.name)}' targets model Deployment '${ref.name}' (web service '${webserviceOf(target.props)}'); the router scales model Deployments and an HPA would fight it. ` +
            `Fix: remove the HPA and use the web service's autoscale settings.`,
          hpa.urn,
        );
      }
    },
  };
}

/** At most 1000 models per deployment (Azure ML's limit). */
export function webserviceMaxModels(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "webservice-max-models",
    description: `A model deployment serves at most ${MAX_MODELS_PER_DEPLOYMENT} models.`,
    enforcementLevel,
    validateResource: (args, report) => {
      if (!isModelDeployment(args.type, args.props)) return args.notApplicable("not a model Deployment");
      const value = annotationsOf(args.props)[MODEL_COUNT_ANNOTATION];
      if (value === undefined) return;
      const count = Number(value);
      if (Number.isInteger(count) && count >= 0 && count <= MAX_MODELS_PER_DEPLOYMENT) return;
      report(
        `Web service '${webserviceOf(args.props)}' deploys ${JSON.stringify(value)} models; at most ${MAX_MODELS_PER_DEPLOYMENT} models are allowed per deployment. ` +
          `Fix: split the models across several web services.`,
      );
    },
  };
}

/**
 * The region of a token issuer, when known: the annotation's `auth.issuerRegion`, or
 * the region in a regional issuer's host (an AKS OIDC issuer,
 * `https://<region>.oic.prod-aks.azure.com/...`). Entra ID's issuer is global: unknown.
 */
export function issuerRegionOf(auth: { issuer?: string; issuerRegion?: string }): string | undefined {
  if (auth.issuerRegion) return auth.issuerRegion;
  try {
    return /^([a-z0-9]+)\.oic\.prod-aks\.azure\.com$/.exec(new URL(auth.issuer ?? "").hostname)?.[1];
  } catch {
    return undefined;
  }
}

/** The token issuer's region matches the cluster's, so an issuer outage in another region cannot stop scoring. */
export function tokenIssuerRegion(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "token-issuer-region",
    description: "With token auth, the token issuer's region (when known) matches the cluster's region.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      const regions = [
        ...new Set(
          ofType(resources, MANAGED_CLUSTER_TYPE)
            .map((c) => c.props.location)
            .filter((l): l is string => typeof l === "string"),
        ),
      ];
      if (regions.length !== 1) return;
      const clusterRegion = regions[0];
      for (const r of ofType(resources, SERVICE_TYPE)) {
        const svc = modelServiceOf(r.type, r.props, r.name);
        if (!svc?.parsed.ok) continue;
        if (svc.parsed.config.auth.mode !== "token") continue;
        const issuerRegion = issuerRegionOf(svc.parsed.config.auth);
        if (issuerRegion === undefined) continue;
        if (normalizeRegion(issuerRegion) === normalizeRegion(clusterRegion)) continue;
        report(
          `Web service '${svc.name}' validates tokens from an issuer in region '${issuerRegion}' while the cluster runs in '${clusterRegion}'; an outage of the issuer's region would stop token auth. ` +
            `Fix: use a token issuer in '${clusterRegion}', or accept the cross-region dependency.`,
          r.urn,
        );
      }
    },
  };
}
