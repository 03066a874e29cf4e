/**
 * Exactly what the router may do in the cluster, as data (no Pulumi here: the router
 * tests feed the same rules to their fake API server, which refuses anything else).
 * There is no ClusterRole: the router reads and scales only in the namespaces the
 * platform declares (AzuremlFe `serviceNamespaces`), and in its own namespace touches
 * only its peers, its Lease and its own Deployment's replica count. Every verb listed
 * is one the router uses: its informers list and watch, and it reads-then-replaces the
 * `scale` subresource; it never gets single objects or patches.
 */
import { ROUTER_DEPLOYMENT_NAME, ROUTER_LEASE_NAME } from "./names.js";

/** One RBAC PolicyRule. `resourceNames` limits it to requests naming one of those objects. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** A Role's rules and its namespace (a namespace of undefined would be cluster-wide; AzuremlFe grants none). */
export interface RoleGrant {
  readonly namespace?: string;
  readonly rules: readonly RbacRule[];
}

/**
 * In every service namespace: model Services (their `aksml/config`), their keys Secrets,
 * EndpointSlices (ready replicas) and Deployments (replica counts), watched; the
 * Deployments' `scale` subresource, read and replaced (the autoscaler).
 */
export const ROUTER_SERVICE_NAMESPACE_RULES = [
  { apiGroups: [""], resources: ["services", "secrets"], verbs: ["list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update"] },
] as const satisfies readonly RbacRule[];

/**
 * In the router's own namespace: the peers Service's EndpointSlices (peer discovery),
 * the scaling leader's Lease (created once, then read and renewed by name), and the
 * router Deployment's own `scale` subresource (self-scaling), by name.
 */
export const ROUTER_NAMESPACE_RULES = [
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
  // `create` cannot be limited by name (the object does not exist yet).
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
  {
    apiGroups: ["coordination.k8s.io"],
    resources: ["leases"],
    resourceNames: [ROUTER_LEASE_NAME],
    verbs: ["get", "update"],
  },
  {
    apiGroups: ["apps"],
    resources: ["deployments/scale"],
    resourceNames: [ROUTER_DEPLOYMENT_NAME],
    verbs: ["get", "update"],
  },
] as const satisfies readonly RbacRule[];

/** Every Role AzuremlFe creates, with its namespace: one in the router namespace, one per service namespace. */
export function routerRoleGrants(routerNamespace: string, serviceNamespaces: readonly string[]): RoleGrant[] {
  return [
    { namespace: routerNamespace, rules: ROUTER_NAMESPACE_RULES },
    ...serviceNamespaces.map((namespace) => ({ namespace, rules: ROUTER_SERVICE_NAMESPACE_RULES })),
  ];
}
