/**
 * Rules for the router (azureml-fe): high availability and TLS outside DevTest, and
 * the request size limit it enforces.
 */
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";
import { ofType, purposeOf } from "./azureResources.js";
import {
  containersOf,
  INTERNAL_LB_ANNOTATION,
  isRouterDeployment,
  namespaceOf,
  objectName,
  PDB_TYPES,
  podLabelsOf,
  ROUTER_NAME,
  ROUTER_NAME_LABEL,
  selectorMatches,
  SERVICE_TYPE,
  annotationsOf,
  type Props,
} from "./kubernetesObjects.js";

export const ROUTER_MIN_REPLICAS = 2;

function routers(resources: PolicyResource[]): PolicyResource[] {
  return resources.filter((r) => isRouterDeployment(r.type, r.props));
}

/** Whether a PodDisruptionBudget spec keeps at least one of `replicas` pods through voluntary evictions. */
function keepsOneAvailable(spec: Props, replicas: number): boolean {
  const percent = (v: unknown) => (typeof v === "string" && /^\d+%$/.test(v) ? Number(v.slice(0, -1)) : undefined);
  const { minAvailable, maxUnavailable } = spec;
  if (minAvailable !== undefined && minAvailable !== null) {
    const p = percent(minAvailable);
    return p !== undefined ? p > 0 : !(Number(minAvailable) <= 0);
  }
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const p = percent(maxUnavailable);
    return p !== undefined ? p < 100 : !(Number(maxUnavailable) >= replicas);
  }
  return true;
}

/** Outside DevTest: at least 2 router replicas and a PodDisruptionBudget selecting them. */
export function routerHighAvailability(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "router-high-availability",
    description: `Outside DevTest the router runs at least ${ROUTER_MIN_REPLICAS} replicas with a PodDisruptionBudget selecting them.`,
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      for (const router of routers(resources)) {
        const purpose = purposeOf(router.props, resources);
        if (purpose === "DevTest") continue;
        const name = objectName(router.props, router.name);
        const where = `on a ${purpose ?? "production (purpose unknown)"} cluster`;
        // Kubernetes defaults spec.replicas to 1.
        const replicas = Number(router.props.spec?.replicas ?? 1);
        if (replicas < ROUTER_MIN_REPLICAS) {
          report(
            `Router Deployment '${name}' runs ${replicas} replica(s) ${where}; at least ${ROUTER_MIN_REPLICAS} are required outside DevTest so scoring survives a node loss. ` +
              `Fix: set the router's replica count to ${ROUTER_MIN_REPLICAS} or more.`,
            router.urn,
          );
        }
        const labels = podLabelsOf(router.props);
        // A budget that lets every replica go (minAvailable 0, maxUnavailable >= replicas or 100%) protects nothing.
        const pdb = ofType(resources, ...PDB_TYPES).find(
          (p) =>
            namespaceOf(p.props) === namespaceOf(router.props) &&
            selectorMatches(p.props.spec?.selector, labels) &&
            keepsOneAvailable(p.props.spec ?? {}, replicas),
        );
        if (!pdb) {
          report(
            `Router Deployment '${name}' has no PodDisruptionBudget selecting its pods ${where}; node drains could evict every router replica at once. ` +
              `Fix: add a PodDisruptionBudget (e.g. minAvailable 1) whose selector matches the router pod labels and that keeps at least one replica (not minAvailable 0, maxUnavailable 100% or >= the replica count).`,
            router.urn,
          );
        }
      }
    },
  };
}

/** Whether a LoadBalancer Service fronts the router: its selector picks router pods. */
function frontsRouter(service: PolicyResource, router: PolicyResource): boolean {
  const selector: Record<string, string> | undefined = service.props.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  if (namespaceOf(service.props) !== namespaceOf(router.props)) return false;
  const labels = podLabelsOf(router.props);
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Outside DevTest, a public router load balancer serves HTTPS only. */
export function routerTlsOnPublicLoadBalancer(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "router-tls-on-public-lb",
    description: "Outside DevTest, a router exposed through a public load balancer has TLS on.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      const lbs = ofType(resources, SERVICE_TYPE).filter((s) => s.props.spec?.type === "LoadBalancer");
      for (const router of routers(resources)) {
        const purpose = purposeOf(router.props, resources);
        if (purpose === "DevTest") continue;
        const tlsOn = containersOf(router.props).some(
          (c) =>
            c.env.some((e) => e.name === "AKSML_TLS_CERT_FILE" && e.value) &&
            c.env.some((e) => e.name === "AKSML_TLS_KEY_FILE" && e.value),
        );
        if (tlsOn) continue;
        for (const lb of lbs.filter((s) => frontsRouter(s, router))) {
          if (annotationsOf(lb.props)[INTERNAL_LB_ANNOTATION] === "true") continue;
          const ports = (lb.props.spec?.ports ?? []).map((p: { port?: number }) => p.port).join(", ");
          report(
            `Router load balancer '${objectName(lb.props, lb.name)}' is public (ports ${ports || "none"}) on a ${purpose ?? "production (purpose unknown)"} cluster and the router has TLS off; scoring keys and tokens would cross the internet in clear text. ` +
              `Fix: give the cluster a TLS certificate and key (tls.sslCname, tls.sslCertPem, tls.sslKeyPem) or a leaf domain (tls.leafDomainLabel, with a Let's Encrypt certificate) so the router serves HTTPS, or use an internal load balancer.`,
            lb.urn,
          );
        }
      }
    },
  };
}

/** The router's request limit stays at or below Azure ML's 100 MB. */
export function routerMaxRequestBytes(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "router-max-request-bytes",
    description: `The router's request size limit (AKSML_MAX_REQUEST_BYTES) is not raised above ${MAX_REQUEST_BYTES} bytes (100 MB).`,
    enforcementLevel,
    validateResource: (args, report) => {
      if (!isRouterDeployment(args.type, args.props))
        return args.notApplicable(`not a ${ROUTER_NAME_LABEL}=${ROUTER_NAME} Deployment`);
      for (const c of containersOf(args.props)) {
        const env = c.env.find((e) => e.name === "AKSML_MAX_REQUEST_BYTES");
        if (env?.value === undefined) continue;
        const bytes = Number(env.value);
        if (Number.isInteger(bytes) && bytes > 0 && bytes <= MAX_REQUEST_BYTES) continue;
        report(
          `Router container '${c.name}' sets AKSML_MAX_REQUEST_BYTES=${JSON.stringify(env.value)}; the request limit must be a positive integer no larger than ${MAX_REQUEST_BYTES} (100 MB). ` +
            `Fix: lower it to ${MAX_REQUEST_BYTES} or less (or leave it unset for the default).`,
        );
      }
    },
  };
}
