// Shared by the AzuremlFe and ModelWebservice tests: a literal cluster connection (what
// AksInferenceCluster hands over) and schema validation of recorded Kubernetes objects.
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import { ClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { LimitRange } from "kubernetes-models/v1/LimitRange";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { CapturedResource } from "../../preview/mockRuntime.js";
import { unwrapSecrets } from "../../preview/secretMarker.js";
import type { ClusterConnectionArgs } from "../../components/shared/clusterConnection.js";
import type { RouterConnectionArgs } from "../../components/shared/routerConnection.js";

export const SUB = "00000000-0000-0000-0000-000000000000";
export const RG = "aksml-rg";

export function clusterConnection(overrides: Partial<ClusterConnectionArgs> = {}): ClusterConnectionArgs {
  return {
    clusterId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aksml`,
    clusterName: "aksml",
    resourceGroupName: RG,
    location: "westeurope",
    clusterPurpose: "FastProd",
    oidcIssuerUrl: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/",
    acrId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/aksmlacr`,
    acrName: "aksmlacr",
    acrLoginServer: "aksmlacr.azurecr.io",
    storageAccountId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/aksmlmodels`,
    storageAccountName: "aksmlmodels",
    storageBlobEndpoint: "https://aksmlmodels.blob.core.windows.net/",
    modelContainerName: "models",
    loadBalancerType: "PublicIp",
    ...overrides,
  };
}

/** A literal router connection (what AzuremlFe hands over): the router in `azureml`, serving `default`. */
export function routerConnection(overrides: Partial<RouterConnectionArgs> = {}): RouterConnectionArgs {
  return { endpoint: "http://r", image: "r:1", namespace: "azureml", serviceNamespaces: ["default"], ...overrides };
}

/** Replaces serialized secrets by their values (what the API server would receive). */
export const reveal: (value: unknown) => unknown = unwrapSecrets;

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  Namespace,
  ServiceAccount,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  Deployment,
  NetworkPolicy,
  PodDisruptionBudget,
  Service,
  Secret,
  LimitRange,
};

/** Validates a recorded Kubernetes resource against the Kubernetes schema; throws on violations. */
export function validateK8sObject(r: CapturedResource): void {
  const manifest = reveal(r.inputs) as { kind: string };
  const Model = MODELS[manifest.kind];
  if (!Model) throw new Error(`no schema model registered for kind ${manifest.kind} (${r.name})`);
  new Model(manifest).validate();
}
