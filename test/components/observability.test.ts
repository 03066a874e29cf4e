/**
 * Model data collection and Application Insights across the components, under Pulumi's
 * mock runtime (it stands in for the engine): the `modeldata` container, the router's
 * identity and the scope of its role, the Application Insights resource and its
 * connection string as a secret end to end, the egress hosts, and the router's metrics
 * objects (annotations, PodMonitor, Grafana dashboard).
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, outputValue, isSecret, type MockRuntime } from "../../preview/mockRuntime.js";
import { AksInferenceCluster } from "../../components/aksInferenceCluster/index.js";
import { ContainerInsights } from "../../components/containerInsights/index.js";
import { AzuremlFe, routerDashboardJson } from "../../components/azuremlFe/index.js";
import { azuremlFeArgsProblems } from "../../components/azuremlFe/validate.js";
import { loadRouterConfig } from "../../router/config.js";
import { clusterConnection, reveal } from "./modelWebserviceFixtures.js";

const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const ACCOUNT_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml/providers/Microsoft.Storage/storageAccounts/aksmlmodels";
const CONNECTION_STRING =
  "InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/";
const APP_INSIGHTS_HOSTS = ["dc.applicationinsights.azure.com", "*.in.applicationinsights.azure.com"];

let rt: MockRuntime;
let insights: ContainerInsights;
let plain: ContainerInsights;
let withInsights: AksInferenceCluster;
let without: AksInferenceCluster;
let fe: AzuremlFe;

const inputsOf = (type: string, name: string) => reveal(rt.one(type, name).inputs) as any;

beforeAll(async () => {
  rt = await startMockRuntime();
  insights = new ContainerInsights("obs-insights", { applicationInsights: true, location: "westeurope" });
  plain = new ContainerInsights("obs-plain", { location: "westeurope" });
  withInsights = new AksInferenceCluster("obs-aks", {
    clusterPurpose: "DevTest",
    location: "westeurope",
    monitoring: insights.clusterMonitoring,
  });
  without = new AksInferenceCluster("obs-plain-aks", {
    clusterPurpose: "DevTest",
    location: "westeurope",
    monitoring: plain.clusterMonitoring,
  });
  const provider = new k8s.Provider("obs-k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
  fe = new AzuremlFe(
    "obs-fe",
    {
      cluster: clusterConnection({ storageAccountId: ACCOUNT_ID }),
      image: "r/x:1",
      appInsightsConnectionString: CONNECTION_STRING,
      modelDataCapture: { bufferBytes: 16 * 1024 * 1024, flushSeconds: 20 },
      monitoring: { podMonitor: true, grafanaDashboard: true },
    },
    { provider },
  );
  new AzuremlFe(
    "obs-bare",
    { cluster: clusterConnection(), image: "r/x:1", namespace: "bare", monitoring: { podAnnotations: false } },
    { provider },
  );
  await settle();
});

describe("model data storage", () => {
  it("the cluster creates a private modeldata container next to models, and hands its name over", async () => {
    const c = inputsOf("azure-native:storage:BlobContainer", "obs-aks-modeldata");
    expect(c).toMatchObject({ containerName: "modeldata", publicAccess: "None" });
    expect(await outputValue(withInsights.connection.modelDataContainerName!)).toBe("modeldata");
  });

  it("the router's identity may write blobs in the modeldata container only: the role's scope is the container", () => {
    const roles = rt.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.name.startsWith("obs-fe"));
    expect(roles.map((r) => r.name)).toEqual(["obs-fe-modeldata-writer"]);
    const role = reveal(roles[0]!.inputs) as any;
    expect(role.scope).toBe(`${ACCOUNT_ID}/blobServices/default/containers/modeldata`);
    expect(role.scope).not.toBe(ACCOUNT_ID);
    expect(role.roleDefinitionId).toBe(
      `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${CONTRIBUTOR}`,
    );
    expect(role.principalType).toBe("ServicePrincipal");
  });

  it("the identity is trusted for the router's ServiceAccount alone, which names it; the pods use it", async () => {
    const fed = inputsOf("azure-native:managedidentity:FederatedIdentityCredential", "obs-fe-federated");
    expect(fed.subject).toBe("system:serviceaccount:azureml:azureml-fe");
    expect(fed.audiences).toEqual(["api://AzureADTokenExchange"]);
    const sa = inputsOf("kubernetes:core/v1:ServiceAccount", "obs-fe-sa");
    expect(sa.metadata.annotations["azure.workload.identity/client-id"]).toBe(await outputValue(fe.identityClientId));
    const pod = inputsOf("kubernetes:apps/v1:Deployment", "obs-fe-deployment").spec.template;
    expect(pod.metadata.labels["azure.workload.identity/use"]).toBe("true");
  });

  it("the router writes to the container with that identity, within the given bounds, and starts after the grant", () => {
    const deployment = rt.one("kubernetes:apps/v1:Deployment", "obs-fe-deployment");
    const spec = (reveal(deployment.inputs) as any).spec.template.spec;
    const env = Object.fromEntries(spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      AKSML_MODEL_DATA_CONTAINER_URL: "https://aksmlmodels.blob.core.windows.net/modeldata",
      AKSML_CAPTURE_BUFFER_BYTES: String(16 * 1024 * 1024),
      AKSML_CAPTURE_FLUSH_MS: "20000",
    });
    // preStop 5 + drain 65 + flush 20 + margin 5.
    expect(spec.terminationGracePeriodSeconds).toBe(95);
    expect(deployment.dependencies).toContain(
      rt.one("azure-native:authorization:RoleAssignment", "obs-fe-modeldata-writer").urn,
    );
    expect(deployment.dependencies).toContain(
      rt.one("azure-native:managedidentity:FederatedIdentityCredential", "obs-fe-federated").urn,
    );
  });

  it("rejects capture bounds out of range and deciding flags given as Outputs, naming each", () => {
    const problems = azuremlFeArgsProblems({
      cluster: clusterConnection(),
      modelDataCapture: { bufferBytes: 1024, flushSeconds: 301 },
      monitoring: { podMonitor: pulumi.output(true), grafanaDashboard: pulumi.output(false) },
    });
    expect(problems.map((p) => p.propertyPath).sort()).toEqual([
      "modelDataCapture.bufferBytes",
      "modelDataCapture.flushSeconds",
      "monitoring.grafanaDashboard",
      "monitoring.podMonitor",
    ]);
  });
});

describe("Application Insights", () => {
  it("ContainerInsights creates a workspace-based resource in its Log Analytics workspace", async () => {
    const component = inputsOf("azure-native:applicationinsights:Component", "obs-insights-appinsights");
    expect(component).toMatchObject({ kind: "web", applicationType: "web", ingestionMode: "LogAnalytics" });
    expect(component.workspaceResourceId).toBe(await outputValue(insights.workspaceId));
    expect(rt.ofType("azure-native:applicationinsights:Component").map((r) => r.name)).toEqual([
      "obs-insights-appinsights",
    ]);
  });

  it("its connection string is a secret output the router accepts; none without applicationInsights", async () => {
    expect(await isSecret(insights.appInsightsConnectionString)).toBe(true);
    const value = await outputValue(insights.appInsightsConnectionString);
    expect(loadRouterConfig({ APPLICATIONINSIGHTS_CONNECTION_STRING: value }).appInsights?.connectionString).toBe(
      value,
    );
    expect(await outputValue(plain.appInsightsConnectionString)).toBeUndefined();
    expect(insights.clusterMonitoring.applicationInsights).toBe(true);
    expect(plain.clusterMonitoring.applicationInsights).toBe(false);
  });

  it("the ingestion hosts join the cluster's egress list only when Application Insights is on", async () => {
    const on = await outputValue(withInsights.requiredEgressFqdns);
    const off = await outputValue(without.requiredEgressFqdns);
    for (const host of APP_INSIGHTS_HOSTS) {
      expect(on).toContain(host);
      expect(off).not.toContain(host);
    }
  });

  it("AzuremlFe keeps the connection string in a Secret the router reads, never in the pod spec", async () => {
    const secret = rt.one("kubernetes:core/v1:Secret", "obs-fe-appinsights");
    expect(secret.secretInputs).toContain("stringData");
    expect(reveal(secret.inputs)).toMatchObject({
      metadata: { name: "azureml-fe-appinsights", namespace: "azureml" },
      stringData: { connectionString: CONNECTION_STRING },
    });
    const deployment = rt.one("kubernetes:apps/v1:Deployment", "obs-fe-deployment");
    const env = (reveal(deployment.inputs) as any).spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === "APPLICATIONINSIGHTS_CONNECTION_STRING")).toEqual({
      name: "APPLICATIONINSIGHTS_CONNECTION_STRING",
      valueFrom: { secretKeyRef: { name: "azureml-fe-appinsights", key: "connectionString" } },
    });
    expect(JSON.stringify(reveal(deployment.inputs))).not.toContain("InstrumentationKey=");
    expect(deployment.dependencies).toContain(secret.urn);
    // ModelWebservices take it from the router connection, still secret.
    expect(await isSecret(pulumi.output(fe.connection.appInsightsConnectionString))).toBe(true);
  });

  it("without a connection string there is no Secret and no variable", () => {
    expect(rt.ofType("kubernetes:core/v1:Secret").map((r) => r.name)).not.toContain("obs-bare-appinsights");
    const env = inputsOf("kubernetes:apps/v1:Deployment", "obs-bare-deployment").spec.template.spec.containers[0].env;
    expect(env.map((e: any) => e.name)).not.toContain("APPLICATIONINSIGHTS_CONNECTION_STRING");
  });
});

describe("the router's metrics where operators look", () => {
  it("router pods carry the Prometheus scrape annotations by default, and none when podAnnotations is false", () => {
    const annotated = inputsOf("kubernetes:apps/v1:Deployment", "obs-fe-deployment").spec.template.metadata;
    expect(annotated.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "9091",
      "prometheus.io/path": "/metrics",
    });
    const bareMeta = inputsOf("kubernetes:apps/v1:Deployment", "obs-bare-deployment").spec.template.metadata;
    expect(bareMeta.annotations).toBeUndefined();
  });

  it("a PodMonitor of managed Prometheus selects the router pods' admin port, when asked for", () => {
    const pm = inputsOf("kubernetes:azmonitoring.coreos.com/v1:PodMonitor", "obs-fe-podmonitor");
    expect(pm.spec).toEqual({
      selector: { matchLabels: { "app.kubernetes.io/name": "azureml-fe", "app.kubernetes.io/part-of": "aksml" } },
      podMetricsEndpoints: [{ port: "admin", path: "/metrics", interval: "30s" }],
    });
    expect(rt.resources.map((r) => r.name)).not.toContain("obs-bare-podmonitor");
  });

  it("the Grafana dashboard ships as a labelled ConfigMap holding the committed JSON, when asked for", () => {
    const cm = inputsOf("kubernetes:core/v1:ConfigMap", "obs-fe-grafana-dashboard");
    expect(cm.metadata).toMatchObject({ name: "azureml-fe-grafana-dashboard", namespace: "azureml" });
    expect(cm.metadata.labels.grafana_dashboard).toBe("1");
    expect(cm.data["aksml-router.json"]).toBe(routerDashboardJson());
    expect(rt.resources.map((r) => r.name)).not.toContain("obs-bare-grafana-dashboard");
  });
});
