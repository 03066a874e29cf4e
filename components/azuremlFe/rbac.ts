import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ROUTER_LABELS, ROUTER_SERVICE_ACCOUNT_NAME } from "./names.js";

/**
 * The router's cluster-wide permissions, and nothing else: it reads model Services
 * (their `aksml/config`), key Secrets, EndpointSlices (ready replicas) and Deployments,
 * and scales model Deployments through the `scale` subresource.
 */
export const ROUTER_CLUSTER_RULES = [
  { apiGroups: [""], resources: ["services", "secrets"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments/scale"], verbs: ["get", "patch", "update"] },
] as const;

/** In the router namespace only: the scaling leader's Lease. */
export const ROUTER_NAMESPACE_RULES = [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
] as const;

const mutable = <
  T extends readonly { apiGroups: readonly string[]; resources: readonly string[]; verbs: readonly string[] }[],
>(
  rules: T,
) => rules.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] }));

export interface RouterRbac {
  serviceAccount: k8s.core.v1.ServiceAccount;
  clusterRole: k8s.rbac.v1.ClusterRole;
  role: k8s.rbac.v1.Role;
  /** What the router's pods need in place before they start (the bindings grant the roles). */
  bindings: pulumi.Resource[];
}

/** ServiceAccount, ClusterRole + binding, Role + binding (see {@link ROUTER_CLUSTER_RULES}). */
export function createRouterRbac(
  name: string,
  namespace: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): RouterRbac {
  const metadata = { namespace, labels: { ...ROUTER_LABELS } };
  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-sa`,
    { metadata: { ...metadata, name: ROUTER_SERVICE_ACCOUNT_NAME }, automountServiceAccountToken: true },
    opts,
  );
  const subjects = [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace }];
  const clusterRole = new k8s.rbac.v1.ClusterRole(
    `${name}-clusterrole`,
    { metadata: { labels: { ...ROUTER_LABELS } }, rules: mutable(ROUTER_CLUSTER_RULES) },
    opts,
  );
  const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
    `${name}-clusterrolebinding`,
    {
      metadata: { labels: { ...ROUTER_LABELS } },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole.metadata.name },
      subjects,
    },
    opts,
  );
  const role = new k8s.rbac.v1.Role(`${name}-role`, { metadata, rules: mutable(ROUTER_NAMESPACE_RULES) }, opts);
  const roleBinding = new k8s.rbac.v1.RoleBinding(
    `${name}-rolebinding`,
    { metadata, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name }, subjects },
    opts,
  );
  return { serviceAccount, clusterRole, role, bindings: [clusterRoleBinding, roleBinding] };
}
