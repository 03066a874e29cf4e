import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConnectionArgs } from "../shared/clusterConnection.js";
import {
  STORAGE_BLOB_DATA_READER_ROLE_ID,
  WORKLOAD_IDENTITY_AUDIENCE,
  roleDefinitionIn,
  serviceAccountSubject,
} from "../shared/workloadIdentity.js";

export {
  STORAGE_BLOB_DATA_READER_ROLE_ID,
  WORKLOAD_IDENTITY_AUDIENCE,
  WORKLOAD_IDENTITY_CLIENT_ID_ANNOTATION,
  WORKLOAD_IDENTITY_USE_LABEL,
  serviceAccountSubject,
  subscriptionOf,
} from "../shared/workloadIdentity.js";

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
        .apply((id) => roleDefinitionIn(id, STORAGE_BLOB_DATA_READER_ROLE_ID)),
    },
    opts,
  );
  return { identity, federatedCredential, roleAssignment };
}
