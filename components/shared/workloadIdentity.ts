/**
 * Azure workload identity, as every component that gives pods an Azure identity uses it:
 * a user-assigned identity trusted for one Kubernetes ServiceAccount through a federated
 * credential on the cluster's OIDC issuer, the ServiceAccount annotation and pod label the
 * webhook reads, and built-in role ids.
 */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";
/** Annotation on the ServiceAccount and label on pods for the workload identity webhook. */
export const WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";
export const WORKLOAD_IDENTITY_USE_LABEL = "azure.workload.identity/use";

/** Built-in role "Storage Blob Data Reader". */
export const STORAGE_BLOB_DATA_READER_ROLE_ID = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
/** Built-in role "Storage Blob Data Contributor". */
export const STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

export const serviceAccountSubject = (namespace: string, serviceAccount: string) =>
  `system:serviceaccount:${namespace}:${serviceAccount}`;

/** The subscription id inside an ARM resource id. */
export function subscriptionOf(resourceId: string): string {
  const m = /^\/subscriptions\/([^/]+)\//i.exec(resourceId);
  if (!m) throw new Error(`not an ARM resource id: ${resourceId}`);
  return m[1];
}

/** The role definition id of a built-in role, in the subscription of `resourceId`. */
export const roleDefinitionIn = (resourceId: string, roleId: string) =>
  `/subscriptions/${subscriptionOf(resourceId)}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;

/** The ARM id of a blob container: the scope of a role granted on that container only. */
export const blobContainerId = (storageAccountId: string, container: string) =>
  `${storageAccountId}/blobServices/default/containers/${container}`;
