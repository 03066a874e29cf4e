/**
 * Name and id patterns more than one component checks: what Kubernetes accepts as a
 * namespace or label, and the Azure resource ids one component hands another.
 */

/** Kubernetes namespace (RFC 1123 label), as Azure ML's `namespace` regex. */
export const NAMESPACE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Kubernetes label key: up to 63 letters, digits, '-', '_', '.', with an optional DNS prefix. */
export const LABEL_KEY_PATTERN =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Kubernetes label value: empty, or up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric. */
export const LABEL_VALUE_PATTERN = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** ARM id of a Log Analytics workspace (ContainerInsights' output, AksInferenceCluster's monitoring input). */
export const LOG_ANALYTICS_WORKSPACE_ID_PATTERN =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i;
/** ARM id of a data collection rule (ContainerInsights' output, AksInferenceCluster's monitoring input). */
export const DATA_COLLECTION_RULE_ID_PATTERN =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Insights\/dataCollectionRules\/[^/]+$/i;
