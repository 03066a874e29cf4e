/**
 * Quickstart: a DevTest inference cluster (1 node, 2 vCPUs, kubenet) with Container
 * Insights. Azure ML equivalent: `AksCompute.provisioning_configuration(
 * cluster_purpose=AksCompute.ClusterPurpose.DEV_TEST, agent_count=1)`.
 *
 *   aksml plan examples/quickstart       # offline preview
 *   pulumi up                            # for real (Pulumi.yaml points here)
 */
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources/index.js";
import { AksInferenceCluster, AzuremlFe, ContainerInsights, ModelWebservice } from "../../components/index.js";

const config = new pulumi.Config();
const location = config.get("location") ?? "westeurope";

const rg = new resources.ResourceGroup("quickstart-rg", { location });

// Monitoring first: the cluster takes its workspace and rule, so there is no cycle.
const insights = new ContainerInsights("quickstart-insights", {
  resourceGroupName: rg.name,
  location: rg.location,
  retentionInDays: config.getNumber("logRetentionDays") ?? 30,
});

const aks = new AksInferenceCluster("quickstart", {
  clusterPurpose: "DevTest",
  agentCount: 1,
  vmSize: config.get("vmSize") ?? "Standard_D2s_v5",
  resourceGroupName: rg.name,
  location: rg.location,
  monitoring: insights.clusterMonitoring,
});

export const resourceGroupName = rg.name;
export const clusterName = aks.clusterName;
export const clusterPurpose = aks.clusterPurpose;
export const totalVcpus = aks.totalVcpus;
export const kubeconfig = aks.kubeconfig;
export const acrLoginServer = aks.acrLoginServer;
export const storageAccountName = aks.storageAccountName;
export const modelContainerName = aks.modelContainerName;
export const oidcIssuerUrl = aks.oidcIssuerUrl;
export const requiredEgressFqdns = aks.requiredEgressFqdns;
export const logAnalyticsWorkspaceId = insights.workspaceId;

// The router (azureml-fe) and one key-auth web service serving the sample linear model
// (examples/quickstart/model). Azure ML equivalent: `Model.deploy(ws, "linear", [model],
// inference_config, AksWebservice.deploy_configuration(), aks_target)`.
const modelDir = new URL("./model/", import.meta.url).pathname;
const router = new AzuremlFe("quickstart-fe", { cluster: aks.connection }, { provider: aks.provider });
const linear = new ModelWebservice(
  "linear",
  {
    cluster: aks.connection,
    router: router.connection,
    models: [{ name: "linear", version: 1, path: `${modelDir}linear-model.json` }],
    inferenceConfig: { entryScript: "score.py", sourceDirectory: `${modelDir}src` },
    description: "Sample linear model: house price from area, rooms and age",
  },
  { provider: aks.provider },
);

export const routerEndpoint = router.endpoint;
export const scoringUri = linear.scoringUri;
export const swaggerUri = linear.swaggerUri;
export const primaryKey = linear.primaryKey;
