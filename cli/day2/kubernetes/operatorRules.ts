/**
 * What the day-2 commands ask of the Kubernetes API, as RBAC rules for the people (or
 * pipelines) who run them: a ClusterRole to bind, and what the tests feed the fake API
 * server so that a call outside these rules fails them. They act with the user's own
 * credentials; the router's RBAC is not involved.
 *
 * - list, state, wait: list services, pods and events; get deployments
 * - keys, score (key auth): get secrets
 * - regen-key: get and update secrets
 * - logs: list pods, get pods/log
 * - endpoints: list services and configmaps (the routers' `<endpoint>-rollout` state;
 *   a list cannot be limited by label in RBAC, so it covers the scope's ConfigMaps)
 *
 * Bound in one namespace (a RoleBinding), the commands work with `--namespace`.
 */
import type { RbacRule } from "../../../components/azuremlFe/rbacRules.js";

export const DAY2_OPERATOR_RULES = [
  { apiGroups: [""], resources: ["services", "pods", "events", "configmaps"], verbs: ["list"] },
  { apiGroups: [""], resources: ["secrets"], verbs: ["get", "update"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] },
] as const satisfies readonly RbacRule[];

/** Read-only: every command but regen-key (and keys/score, which read the keys). */
export const DAY2_VIEWER_RULES = [
  { apiGroups: [""], resources: ["services", "pods", "events", "configmaps"], verbs: ["list"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get"] },
] as const satisfies readonly RbacRule[];
