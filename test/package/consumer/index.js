// What a platform team's stack looks like with aksml installed from npm: plain
// JavaScript importing the package by name, run by plain node.
import * as pulumi from "@pulumi/pulumi";
import { AksInferenceCluster, AzuremlFe, ContainerInsights, ModelWebservice } from "aksml";

const insights = new ContainerInsights("consumer-insights", { location: "westeurope" });
const aks = new AksInferenceCluster("consumer", {
  clusterPurpose: "DevTest",
  agentCount: 1,
  location: "westeurope",
  monitoring: insights.clusterMonitoring,
});
const router = new AzuremlFe("consumer-fe", { cluster: aks.connection }, { provider: aks.provider });
const service = new ModelWebservice(
  "consumer-model",
  {
    cluster: aks.connection,
    router: router.connection,
    models: [{ name: "linear", version: 1, path: new URL("./model.json", import.meta.url).pathname }],
    image: "consumeracr.azurecr.io/linear@sha256:0000000000000000000000000000000000000000000000000000000000000000",
  },
  { provider: aks.provider },
);

export const scoringUri = service.scoringUri;
export const primaryKey = pulumi.secret(service.primaryKey);
