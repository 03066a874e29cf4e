/**
 * Rules for endpoints (several model versions behind one name): the
 * `aksml/endpoint-config` annotation of the endpoint's Service, parsed with the router's
 * own contract parser (so policy and router agree), the names endpoints and web services
 * share, auth outside DevTest, the versions' services, and whether model Deployments
 * roll without failing requests.
 */
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ENDPOINT_CONFIG_ANNOTATION, ENDPOINT_LABEL } from "../../router/contract/endpointConfig.js";
import { parseEndpointConfig, type EndpointParseResult } from "../../router/contract/endpointConfigParser.js";
import { ofType, purposeOf } from "./azureResources.js";
import { modelServicesByName } from "./webservice.js";
import {
  annotationsOf,
  isModelDeployment,
  labelsOf,
  namespaceOf,
  objectName,
  SERVICE_TYPE,
  webserviceOf,
  type Props,
} from "./kubernetesObjects.js";

interface EndpointService {
  name: string;
  parsed: EndpointParseResult;
}

/** The endpoint a Kubernetes Service declares through its `aksml/endpoint-config` annotation, if any. */
function endpointOf(type: string, props: Props, logicalName: string): EndpointService | undefined {
  if (type !== SERVICE_TYPE) return undefined;
  const annotation = annotationsOf(props)[ENDPOINT_CONFIG_ANNOTATION];
  if (annotation === undefined) return undefined;
  const name = labelsOf(props)[ENDPOINT_LABEL] ?? objectName(props, logicalName);
  return { name, parsed: parseEndpointConfig(name, annotation) };
}

const problemText = (parsed: EndpointParseResult) =>
  parsed.ok ? "" : parsed.problems.map((p) => `${p.path} ${p.reason}`).join("; ");

/** The annotation parses under the router contract (Azure ML's AksEndpoint rules), else the router refuses it. */
export function endpointConfigValid(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "endpoint-config-valid",
    description: `The ${ENDPOINT_CONFIG_ANNOTATION} annotation of an endpoint is valid under the router contract: traffic percentiles 0-100 summing to at most 100, exactly one default version, at most one control version, at most 6 versions, mirrors at most 50 % to versions without live traffic, a rollout plan of an existing version against the control.`,
    enforcementLevel,
    validateResource: (args, report) => {
      const ep = endpointOf(args.type, args.props, args.name);
      if (!ep) return args.notApplicable("not an endpoint Service (no aksml/endpoint-config annotation)");
      if (ep.parsed.ok) return;
      report(
        `Endpoint '${ep.name}': the ${ENDPOINT_CONFIG_ANNOTATION} annotation is invalid: ${problemText(ep.parsed)}. Fix: correct these fields; the router refuses an endpoint whose config does not parse.`,
      );
    },
  };
}

function endpoints(resources: PolicyResource[]): { r: PolicyResource; ep: EndpointService }[] {
  const out: { r: PolicyResource; ep: EndpointService }[] = [];
  for (const r of ofType(resources, SERVICE_TYPE)) {
    const ep = endpointOf(r.type, r.props, r.name);
    if (ep) out.push({ r, ep });
  }
  return out;
}

/**
 * No name is claimed by two endpoints, or by an endpoint and a web service: both are
 * served at `/api/v1/service/<name>/score`, and the router serves neither while a name
 * is claimed twice (503).
 */
export function endpointUniqueNames(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "endpoint-unique-names",
    description:
      "Every endpoint name is declared once, and by no web service: they share the /api/v1/service/<name>/score path space.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      const services = modelServicesByName(resources);
      const byName = new Map<string, PolicyResource[]>();
      for (const { r, ep } of endpoints(resources)) byName.set(ep.name, [...(byName.get(ep.name) ?? []), r]);
      for (const [name, claimants] of byName) {
        const alsoService = services.get(name) ?? [];
        if (claimants.length < 2 && alsoService.length === 0) continue;
        const what =
          alsoService.length > 0
            ? `is also a web service's name (namespace '${namespaceOf(alsoService[0]!.props)}')`
            : `is declared by ${claimants.length} endpoint Services (namespaces ${claimants.map((c) => `'${namespaceOf(c.props)}'`).join(", ")})`;
        for (const c of claimants)
          report(
            `Endpoint name '${name}' ${what}; endpoints and web services share /api/v1/service/<name>/score, and the router serves neither while a name is claimed twice. Fix: give the endpoint a name no other endpoint or web service has.`,
            c.urn,
          );
      }
    },
  };
}

/** Outside DevTest, every endpoint requires auth (key or token). */
export function endpointAuthRequired(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "endpoint-auth-required",
    description: "Endpoints have key or token auth on unless the cluster purpose is DevTest.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      for (const { r, ep } of endpoints(resources)) {
        if (!ep.parsed.ok || ep.parsed.config.auth.mode !== "none") continue;
        // The versions' Deployments carry the purpose; the stack's cluster otherwise.
        const services = new Set(ep.parsed.config.versions.map((v) => v.service));
        const deployment = resources.find(
          (d) => isModelDeployment(d.type, d.props) && services.has(webserviceOf(d.props) ?? ""),
        );
        const purpose = purposeOf(deployment?.props ?? r.props, resources);
        if (purpose === "DevTest") continue;
        report(
          `Endpoint '${ep.name}' has auth.mode "none" on a ${purpose ?? "production (purpose unknown)"} cluster; auth is required outside DevTest. Fix: enable key auth (the default) or token auth on the endpoint.`,
          r.urn,
        );
      }
    },
  };
}

/** Every version's service is a model Service of the stack, in the endpoint's namespace. */
export function endpointVersionsDeclared(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "endpoint-versions-declared",
    description:
      "Every version of an endpoint is served by a model Service the stack declares (ModelEndpoint declares them).",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      const services = modelServicesByName(resources);
      for (const { r, ep } of endpoints(resources)) {
        if (!ep.parsed.ok) continue;
        for (const v of ep.parsed.config.versions) {
          const found = services.get(v.service)?.some((s) => namespaceOf(s.props) === namespaceOf(r.props));
          if (found) continue;
          report(
            `Endpoint '${ep.name}': version '${v.version}' is served by '${v.service}', which is not a model Service of this stack in namespace '${namespaceOf(r.props)}'; until it exists the router sends that version nothing (and a pinned request gets 503). Fix: declare the version with ModelEndpoint (or a ModelWebservice named '${v.service}'), or remove it.`,
            r.urn,
          );
        }
      }
    },
  };
}

/**
 * A model Deployment rolls without failing requests: new pods before old ones go
 * (maxUnavailable 0), a readiness probe, a preStop delay while the router stops sending,
 * and a termination grace longer than that delay.
 */
export function modelRollingUpdateSafe(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "model-rolling-update-safe",
    description:
      "Model Deployments roll with maxUnavailable 0, a readiness probe, a preStop delay and a termination grace longer than it.",
    enforcementLevel,
    validateResource: (args, report) => {
      if (!isModelDeployment(args.type, args.props)) return args.notApplicable("not a model Deployment");
      const spec = args.props.spec ?? {};
      const missing: string[] = [];
      const unavailable = spec.strategy?.rollingUpdate?.maxUnavailable;
      if (spec.strategy?.type === "Recreate" || (unavailable !== 0 && unavailable !== "0" && unavailable !== "0%"))
        missing.push(
          `strategy.rollingUpdate.maxUnavailable is ${JSON.stringify(unavailable ?? "25% (the default)")}, not 0`,
        );
      const pod = spec.template?.spec ?? {};
      const model: Props = (pod.containers ?? []).find((c: Props) => c?.name === "model") ?? pod.containers?.[0];
      if (!model?.readinessProbe) missing.push("the model container has no readinessProbe");
      const sleep = model?.lifecycle?.preStop?.sleep?.seconds;
      const hasPreStop = sleep !== undefined || model?.lifecycle?.preStop?.exec !== undefined;
      if (!hasPreStop) missing.push("the model container has no preStop delay");
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      if (typeof sleep === "number" && grace <= sleep)
        missing.push(`terminationGracePeriodSeconds (${grace}) does not exceed the preStop sleep (${sleep})`);
      if (missing.length === 0) return;
      report(
        `Model Deployment '${objectName(args.props, args.name)}' (web service '${webserviceOf(args.props)}') can fail requests while it rolls: ${missing.join("; ")}. Fix: deploy it with ModelWebservice (which sets all of these), or set them by hand.`,
      );
    },
  };
}
