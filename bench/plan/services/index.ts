/**
 * Plan-cost benchmark program: the quickstart platform (cluster, insights, router) with
 * N model web services, N from config `aksml:services` (default 1).
 *
 *   aksml plan bench/plan/services --config services=50 --no-policy
 */
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources/index.js";
import { AksInferenceCluster } from "../../../components/aksInferenceCluster/index.js";
import { ContainerInsights } from "../../../components/containerInsights/index.js";
import { AzuremlFe } from "../../../components/azuremlFe/index.js";
import { ModelWebservice } from "../../../components/modelWebservice/index.js";

const services = new pulumi.Config().getNumber("services") ?? 1;
const modelDir = new URL("../../../examples/quickstart/model/", import.meta.url).pathname;

const rg = new resources.ResourceGroup("bench-rg", { location: "westeurope" });
const insights = new ContainerInsights("bench-insights", { resourceGroupName: rg.name, location: rg.location });
const aks = new AksInferenceCluster("bench", {
  clusterPurpose: "DevTest",
  agentCount: 1,
  vmSize: "Standard_D2s_v5",
  resourceGroupName: rg.name,
  location: rg.location,
  monitoring: insights.clusterMonitoring,
});
const router = new AzuremlFe("bench-fe", { cluster: aks.connection }, { provider: aks.provider });
for (let i = 0; i < services; i++) {
  new ModelWebservice(
    `svc-${i}`,
    {
      cluster: aks.connection,
      router: router.connection,
      models: [{ name: "linear", version: 1, path: `${modelDir}linear-model.json` }],
      inferenceConfig: { entryScript: "score.py", sourceDirectory: `${modelDir}src` },
    },
    { provider: aks.provider },
  );
}

export const serviceCount = services;
