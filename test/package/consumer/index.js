// What a platform team's stack looks like with aksml installed from npm: plain
// JavaScript importing the package by name, run by plain node.
import * as pulumi from "@pulumi/pulumi";
import { AksInferenceCluster, AzuremlFe, ContainerInsights, ModelEndpoint, ModelWebservice } from "aksml";

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

const version = (versionName, digit) => ({
  versionName,
  models: [{ name: "linear", version: 1, path: new URL("./model.json", import.meta.url).pathname }],
  image: `consumeracr.azurecr.io/linear@sha256:${digit.repeat(64)}`,
});
const endpoint = new ModelEndpoint(
  "consumer-endpoint",
  {
    cluster: aks.connection,
    router: router.connection,
    versions: [
      { ...version("v1", "1"), isDefault: true, isControlVersion: true },
      { ...version("v2", "2"), trafficPercentile: 20 },
    ],
  },
  { provider: aks.provider },
);

export const scoringUri = service.scoringUri;
export const endpointScoringUri = endpoint.scoringUri;
export const primaryKey = pulumi.secret(service.primaryKey);
