import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";

/** Built-in role "Storage Blob Data Reader". */
export const STORAGE_BLOB_DATA_READER_ROLE_ID = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
/** Audience of Kubernetes service account tokens exchanged for Entra tokens. */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";
/** Annotation on the ServiceAccount and label on pods for the workload identity webhook. */
export const WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";
export const WORKLOAD_IDENTITY_USE_LABEL = "azure.workload.identity/use";

export const serviceAccountSubject = (namespace: string, serviceAccount: string) =>
  `system:serviceaccount:${namespace}:${serviceAccount}`;

/** The subscription id inside an ARM resource id. */
export function subscriptionOf(resourceId: string): string {
  const m = /^\/subscriptions\/([^/]+)\//i.exec(resourceId);
  if (!m) throw new Error(`not an ARM resource id: ${resourceId}`);
  return m[1];
}

export interface ModelIdentity {
  identity: managedidentity.UserAssignedIdentity;
  federatedCredential: managedidentity.FederatedIdentityCredential;
  roleAssignment: authorization.RoleAssignment;
}

/**
 * The model pods' Azure identity: a user-assigned identity trusted for exactly this
 * service's ServiceAccount (federated credential on the cluster's OIDC issuer) and
 * allowed to read blobs of the model storage account. No storage key or SAS anywhere.
 */
export function createModelIdentity(
  name: string,
  cluster: ClusterConnectionArgs,
  namespace: pulumi.Input<string>,
  serviceAccountName: string,
  tags: pulumi.Input<Record<string, pulumi.Input<string>>> | undefined,
  opts: pulumi.CustomResourceOptions,
): ModelIdentity {
  const identity = new managedidentity.UserAssignedIdentity(
    `${name}-identity`,
    { resourceGroupName: cluster.resourceGroupName, location: cluster.location, tags },
    opts,
  );
  const federatedCredential = new managedidentity.FederatedIdentityCredential(
    `${name}-federated`,
    {
      resourceGroupName: cluster.resourceGroupName,
      resourceName: identity.name,
      issuer: cluster.oidcIssuerUrl,
      subject: pulumi.output(namespace).apply((ns) => serviceAccountSubject(ns, serviceAccountName)),
      audiences: [WORKLOAD_IDENTITY_AUDIENCE],
    },
    opts,
  );
  const roleAssignment = new authorization.RoleAssignment(
    `${name}-blob-reader`,
    {
      scope: cluster.storageAccountId,
      principalId: identity.principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: pulumi
        .output(cluster.storageAccountId)
        .apply(
          (id) =>
            `/subscriptions/${subscriptionOf(id)}/providers/Microsoft.Authorization/roleDefinitions/${STORAGE_BLOB_DATA_READER_ROLE_ID}`,
        ),
    },
    opts,
  );
  return { identity, federatedCredential, roleAssignment };
}
