import { WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION } from "../shared/workloadIdentity.js";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ROUTER_LABELS, ROUTER_SERVICE_ACCOUNT_NAME } from "./names.js";
import { ROUTER_NAMESPACE_RULES, ROUTER_SERVICE_NAMESPACE_RULES, type RbacRule } from "./rbacRules.js";

export { ROUTER_NAMESPACE_RULES, ROUTER_SERVICE_NAMESPACE_RULES, routerRoleGrants } from "./rbacRules.js";

const mutable = (rules: readonly RbacRule[]) =>
  rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
    verbs: [...r.verbs],
  }));

export interface RouterRbac {
  serviceAccount: k8s.core.v1.ServiceAccount;
  /** The router namespace's Role, then one per service namespace. */
  roles: k8s.rbac.v1.Role[];
  /** What the router's pods need in place before they start (the bindings grant the roles). */
  bindings: pulumi.Resource[];
}

/**
 * The ServiceAccount and, with no ClusterRole at all, a Role and RoleBinding in the router
 * namespace ({@link ROUTER_NAMESPACE_RULES}) and in each service namespace
 * ({@link ROUTER_SERVICE_NAMESPACE_RULES}). A service namespace's objects are named
 * `${name}-role-<namespace>` and `${name}-rolebinding-<namespace>`.
 */
export function createRouterRbac(
  name: string,
  namespace: pulumi.Input<string>,
  serviceNamespaces: readonly string[],
  opts: pulumi.CustomResourceOptions,
  /** The router's Azure identity (workload identity), named on the ServiceAccount. */
  identityClientId?: pulumi.Input<string>,
): RouterRbac {
  const labels = { ...ROUTER_LABELS };
  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-sa`,
    {
      metadata: {
        namespace,
        labels,
        name: ROUTER_SERVICE_ACCOUNT_NAME,
        ...(identityClientId !== undefined
          ? { annotations: { [WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION]: identityClientId } }
          : {}),
      },
      automountServiceAccountToken: true,
    },
    opts,
  );
  const subjects = [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace }];
  const roles: k8s.rbac.v1.Role[] = [];
  const bindings: pulumi.Resource[] = [];
  const grant = (suffix: string, roleNamespace: pulumi.Input<string>, rules: readonly RbacRule[]) => {
    // Auto-named (no metadata.name): two routers may grant themselves in one service namespace.
    const metadata = { namespace: roleNamespace, labels };
    const role = new k8s.rbac.v1.Role(`${name}-role${suffix}`, { metadata, rules: mutable(rules) }, opts);
    roles.push(role);
    bindings.push(
      new k8s.rbac.v1.RoleBinding(
        `${name}-rolebinding${suffix}`,
        {
          metadata,
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
          subjects,
        },
        opts,
      ),
    );
  };
  grant("", namespace, ROUTER_NAMESPACE_RULES);
  for (const ns of serviceNamespaces) grant(`-${ns}`, ns, ROUTER_SERVICE_NAMESPACE_RULES);
  return { serviceAccount, roles, bindings };
}
