/**
 * Attach an existing AKS cluster (it may live in another region or resource group)
 * and build the rest of the platform around it: ACR with AcrPull for the cluster's
 * kubelet identity, model storage, and the Kubernetes provider.
 * Azure ML equivalent: `AksCompute.attach_configuration(resource_id=...)`.
 *
 *   pulumi config set existingClusterId /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>
 */
import * as pulumi from "@pulumi/pulumi";
import { AksInferenceCluster, AzuremlFe, ModelWebservice, type ClusterPurpose } from "../../components/index.js";

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

// The router and a web service on the attached cluster, the service read from the
// inferenceconfig.json / deploymentconfig.json you would give `az ml model deploy`.
// The router sits behind an internal load balancer (no certificate is configured here, and
// a production cluster must not serve keys over plain HTTP on the internet); it lands in
// the nodes' subnet unless `loadBalancerSubnet` names another subnet of the cluster's VNet.
const router = new AzuremlFe(
  "attached-fe",
  {
    cluster: {
      ...aks.connection,
      loadBalancerType: "InternalLoadBalancer",
      loadBalancerSubnet: config.get("loadBalancerSubnet"),
    },
  },
  { provider: aks.provider },
);
const modelDir = new URL("../quickstart/model/", import.meta.url).pathname;
const linear = ModelWebservice.fromAzureMlConfig(
  "linear",
  {
    cluster: aks.connection,
    router: router.connection,
    inferenceConfigPath: `${modelDir}inferenceconfig.json`,
    deploymentConfigPath: `${modelDir}deploymentconfig.json`,
    models: [{ name: "linear", version: 1, path: `${modelDir}linear-model.json` }],
  },
  { provider: aks.provider },
);

export const routerEndpoint = router.endpoint;
export const scoringUri = linear.scoringUri;
export const primaryKey = linear.primaryKey;
