/**
 * Exactly what the router may do in the cluster, as data (no Pulumi here: the router
 * tests feed the same rules to their fake API server, which refuses anything else).
 * There is no ClusterRole: the router reads and scales only in the namespaces the
 * platform declares (AzuremlFe `serviceNamespaces`), and in its own namespace touches
 * only its peers, its Lease and its own size (its Deployment and LimitRange by name, its
 * pods' CPU). Every verb listed is one the router uses: its informers list and watch, it
 * reads-then-replaces the `scale` subresource and the LimitRange, and it patches only its
 * own Deployment's pod template annotation and its pods' `resize` subresource. For
 * endpoint rollouts it creates and replaces the `<endpoint>-rollout` ConfigMaps (whose
 * live state it watches) and creates Events about the endpoints; it never deletes anything.
 */
import { ROUTER_DEPLOYMENT_NAME, ROUTER_LEASE_NAME, ROUTER_LIMIT_RANGE_NAME } from "./names.js";

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
 * In every service namespace: model Services (their `aksml/config`) and endpoint
 * Services (`aksml/endpoint-config`), their keys Secrets, EndpointSlices (ready
 * replicas) and Deployments (replica counts), watched; the Deployments' `scale`
 * subresource, read and replaced (the autoscaler); the rollouts' live state in
 * ConfigMaps, watched, created and replaced by the scaling leader (names are the
 * endpoints', unknown when the Role is made, so not limited by name: the router writes
 * only `<endpoint>-rollout` and refuses one without its `aksml/rollout-of` label); and
 * Events about endpoints, created (each rollout decision).
 */
export const ROUTER_SERVICE_NAMESPACE_RULES = [
  { apiGroups: [""], resources: ["services", "secrets"], verbs: ["list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "update"] },
  { apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch", "create", "update"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
] as const satisfies readonly RbacRule[];

/**
 * In the router's own namespace: the peers Service's EndpointSlices (peer discovery),
 * the scaling leader's Lease (created once, then read and renewed by name), and for
 * self-scaling: the router Deployment's `scale` subresource (pods), and its pods' CPU
 * (router/backends/kubernetes/routerPodCpu.ts): the LimitRange holding the size, read
 * and replaced; the Deployment, read (rollout status) and patched (its pod template's
 * `aksml/router-cpu` annotation: a rolling restart at the new size); each router pod,
 * read (its CPU) and resized in place (`pods/resize`, Kubernetes >= 1.33).
 *
 * Pods cannot be named (their names are random), so `get` on pods and `patch` on
 * pods/resize cover the namespace: it holds only router pods and, with a leaf domain
 * certificate, cert-manager's short-lived solver pods, whose specs hold no secret and
 * whose CPU is all a resize can change. Patching the Deployment could change its whole
 * pod template; the namespace enforces the `restricted` Pod Security Standard, so such
 * a template could not run a privileged or host-mounting pod either.
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
  { apiGroups: ["apps"], resources: ["deployments"], resourceNames: [ROUTER_DEPLOYMENT_NAME], verbs: ["get", "patch"] },
  { apiGroups: [""], resources: ["limitranges"], resourceNames: [ROUTER_LIMIT_RANGE_NAME], verbs: ["get", "update"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods/resize"], verbs: ["patch"] },
] as const satisfies readonly RbacRule[];

/** Every Role AzuremlFe creates, with its namespace: one in the router namespace, one per service namespace. */
export function routerRoleGrants(routerNamespace: string, serviceNamespaces: readonly string[]): RoleGrant[] {
  return [
    { namespace: routerNamespace, rules: ROUTER_NAMESPACE_RULES },
    ...serviceNamespaces.map((namespace) => ({ namespace, rules: ROUTER_SERVICE_NAMESPACE_RULES })),
  ];
}
