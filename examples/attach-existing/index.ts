/**
 * Attach an existing AKS cluster (it may live in another region or resource group)
 * and build the rest of the platform around it: ACR with AcrPull for the cluster's
 * kubelet identity, model storage, and the Kubernetes provider.
 * Azure ML equivalent: `AksCompute.attach_configuration(resource_id=...)`.
 *
 *   pulumi config set existingClusterId /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>
 */
import * as pulumi from "@pulumi/pulumi";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import type { ClusterPurpose } from "../../components/shared/clusterConnection.js";

const config = new pulumi.Config();

/** A placeholder id (the all-zero subscription) so the program plans with no configuration. */
const SAMPLE_CLUSTER_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shared-aks-rg/providers/Microsoft.ContainerService/managedClusters/shared-aks";

const aks = new AksInferenceCluster("attached", {
  existingClusterId: config.get("existingClusterId") ?? SAMPLE_CLUSTER_ID,
  clusterPurpose: (config.get("clusterPurpose") as ClusterPurpose | undefined) ?? "FastProd",
  location: config.get("location") ?? "westeurope",
});

export const clusterId = aks.clusterId;
export const clusterName = aks.clusterName;
export const clusterPurpose = aks.clusterPurpose;
export const totalVcpus = aks.totalVcpus;
export const kubeconfig = aks.kubeconfig;
export const acrLoginServer = aks.acrLoginServer;
export const storageAccountName = aks.storageAccountName;
export const kubeletIdentityObjectId = aks.kubeletIdentityObjectId;
export const requiredEgressFqdns = aks.requiredEgressFqdns;
