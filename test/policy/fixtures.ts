/**
 * Hand-built resource graphs shaped like what the aksml components register (the
 * platform-wide labels, tags and annotations), for testing policies one field at a
 * time. `productionGraph()` passes every policy; tests change one field and expect
 * exactly the violation that field causes.
 */
import type { CapturedResource } from "../../preview/mockRuntime.js";
import { serializeServiceConfig, type ServiceConfig } from "../../router/contract/serviceConfig.js";

type Obj = Record<string, any>;

export function resource(
  type: string,
  name: string,
  inputs: Obj,
  outputs: Obj = {},
  extra: Partial<CapturedResource> = {},
): CapturedResource {
  return {
    urn: `urn:pulumi:test::aksml::${type}::${name}`,
    type,
    name,
    custom: !type.startsWith("aksml:"),
    inputs,
    state: structuredClone({ ...inputs, ...outputs }),
    parent: "",
    provider: "",
    dependencies: [],
    secretInputs: [],
    protect: false,
    deleteBeforeReplace: false,
    ignoreChanges: [],
    ...extra,
  };
}

export const ACR_LOGIN = "platformacr1a2b3c4d.azurecr.io";
export const STORAGE_NAME = "platformst1a2b3c4d";
export const API_FQDN = "platform-1a2b3c4d.hcp.westeurope.azmk8s.io";

export function modelConfig(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    version: 1,
    deployment: "churn",
    autoscale: {
      enabled: true,
      minReplicas: 1,
      maxReplicas: 10,
      targetUtilization: 70,
      refreshSeconds: 1,
      scaleDownDelaySeconds: 60,
    },
    auth: { mode: "key", algorithms: ["RS256"] },
    scoringTimeoutMs: 60000,
    maxConcurrentRequestsPerContainer: 1,
    maxRequestWaitTimeMs: 500,
    maxQueuedRequests: 100,
    collectModelData: false,
    dataCollection: { sampleRate: 1, maxBodyBytes: 1024 * 1024, redactJsonFields: [] },
    appInsightsEnabled: false,
    models: [],
    ...overrides,
  };
}

/** A FastProd platform: 3 x D4s_v5 system pool + a user AgentPool, firewall egress, TLS router, one model. */
export function productionGraph(purpose: "FastProd" | "DenseProd" | "DevTest" = "FastProd"): CapturedResource[] {
  const cluster = resource(
    "azure-native:containerservice:ManagedCluster",
    "platform-aks",
    {
      resourceGroupName: "platform-rg",
      location: "westeurope",
      dnsPrefix: "platform",
      tags: { "aksml-cluster-purpose": purpose },
      agentPoolProfiles: [{ name: "system", mode: "System", count: 3, vmSize: "Standard_D4s_v5" }],
      networkProfile: { networkPlugin: "azure", outboundType: "userDefinedRouting" },
    },
    { name: "platform-aks1a2b3c4d", fqdn: API_FQDN },
  );
  const userPool = resource(
    "azure-native:containerservice:AgentPool",
    "platform-pool-cpu",
    {
      resourceGroupName: "platform-rg",
      resourceName: "platform-aks1a2b3c4d",
      agentPoolName: "cpu",
      mode: "User",
      vmSize: "Standard_D8s_v5",
      enableAutoScaling: true,
      minCount: 1,
      maxCount: 5,
      count: 1,
    },
    {},
    { dependencies: [cluster.urn] },
  );
  const acr = resource(
    "azure-native:containerregistry:Registry",
    "platform-acr",
    { resourceGroupName: "platform-rg", sku: { name: "Premium" }, adminUserEnabled: false },
    { name: "platformacr1a2b3c4d", loginServer: ACR_LOGIN },
  );
  const storage = resource(
    "azure-native:storage:StorageAccount",
    "platform-st",
    {
      resourceGroupName: "platform-rg",
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
      allowBlobPublicAccess: false,
      minimumTlsVersion: "TLS1_2",
    },
    {
      name: STORAGE_NAME,
      primaryEndpoints: {
        blob: `https://${STORAGE_NAME}.blob.core.windows.net/`,
        table: `https://${STORAGE_NAME}.table.core.windows.net/`,
      },
    },
  );
  const https = [{ protocolType: "Https", port: 443 }];
  const rules = resource("azure-native:network:FirewallPolicyRuleCollectionGroup", "platform-fw-rules", {
    resourceGroupName: "platform-rg",
    firewallPolicyName: "platform-fw-policy",
    priority: 200,
    ruleCollections: [
      {
        ruleCollectionType: "FirewallPolicyFilterRuleCollection",
        name: "aks-inference-hosts",
        priority: 300,
        action: { type: "Allow" },
        rules: [
          { ruleType: "ApplicationRule", name: "aks-fqdn-tag", fqdnTags: ["AzureKubernetesService"], protocols: https },
          {
            ruleType: "ApplicationRule",
            name: "inference-hosts",
            protocols: https,
            targetFqdns: [
              ACR_LOGIN,
              "platformacr1a2b3c4d.westeurope.data.azurecr.io",
              `${STORAGE_NAME}.blob.core.windows.net`,
              `${STORAGE_NAME}.table.core.windows.net`,
              "ingest-viennawesteurope.kusto.windows.net",
            ],
          },
        ],
      },
    ],
  });
  const apiRule = resource("azure-native:network:FirewallPolicyRuleCollectionGroup", "platform-fw-rules-cluster", {
    resourceGroupName: "platform-rg",
    firewallPolicyName: "platform-fw-policy",
    priority: 300,
    ruleCollections: [
      {
        ruleCollectionType: "FirewallPolicyFilterRuleCollection",
        name: "aks-api-server",
        priority: 400,
        action: { type: "Allow" },
        rules: [{ ruleType: "ApplicationRule", name: "api-server", protocols: https, targetFqdns: [API_FQDN] }],
      },
    ],
  });

  const routerLabels = { "app.kubernetes.io/name": "azureml-fe", "app.kubernetes.io/part-of": "aksml" };
  const router = resource("kubernetes:apps/v1:Deployment", "platform-fe", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "azureml-fe",
      namespace: "azureml",
      labels: routerLabels,
      annotations: { "aksml/cluster-purpose": purpose },
    },
    spec: {
      replicas: 3,
      selector: { matchLabels: routerLabels },
      template: {
        metadata: { labels: routerLabels },
        spec: {
          containers: [
            {
              name: "router",
              image: `${ACR_LOGIN}/aksml/router:0.1.0`,
              env: [
                { name: "AKSML_TLS_CERT_FILE", value: "/etc/aksml/tls/tls.crt" },
                { name: "AKSML_TLS_KEY_FILE", value: "/etc/aksml/tls/tls.key" },
                { name: "AKSML_MAX_REQUEST_BYTES", value: "104857600" },
              ],
              resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
            },
          ],
        },
      },
    },
  });
  const pdb = resource("kubernetes:policy/v1:PodDisruptionBudget", "platform-fe-pdb", {
    metadata: { name: "azureml-fe", namespace: "azureml", labels: routerLabels },
    spec: { minAvailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "azureml-fe" } } },
  });
  const lb = resource("kubernetes:core/v1:Service", "platform-fe-lb", {
    metadata: { name: "azureml-fe", namespace: "azureml", labels: routerLabels },
    spec: {
      type: "LoadBalancer",
      selector: { "app.kubernetes.io/name": "azureml-fe" },
      ports: [{ name: "https", port: 443, targetPort: 8443 }],
    },
  });

  const modelLabels = { "aksml/webservice": "churn", "app.kubernetes.io/part-of": "aksml" };
  const model = resource("kubernetes:apps/v1:Deployment", "churn-deployment", {
    metadata: {
      name: "churn",
      namespace: "models",
      labels: modelLabels,
      annotations: { "aksml/cluster-purpose": purpose, "aksml/model-count": "2" },
    },
    spec: {
      selector: { matchLabels: { "aksml/webservice": "churn" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: modelLabels },
        spec: {
          terminationGracePeriodSeconds: 70,
          initContainers: [{ name: "fetch-model", image: `${ACR_LOGIN}/aksml/router:0.1.0` }],
          containers: [
            {
              name: "model",
              image: `${ACR_LOGIN}/churn:1`,
              resources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
              readinessProbe: { httpGet: { path: "/", port: 5001 } },
              lifecycle: { preStop: { sleep: { seconds: 5 } } },
            },
          ],
        },
      },
    },
  });
  const modelService = resource("kubernetes:core/v1:Service", "churn-service", {
    metadata: {
      name: "churn",
      namespace: "models",
      labels: modelLabels,
      annotations: { "aksml/config": serializeServiceConfig(modelConfig()) },
    },
    spec: { selector: { "aksml/webservice": "churn" }, ports: [{ port: 80, targetPort: 5001 }] },
  });
  return [cluster, userPool, acr, storage, rules, apiRule, router, pdb, lb, model, modelService];
}

export function find(graph: CapturedResource[], name: string): CapturedResource {
  const r = graph.find((x) => x.name === name);
  if (!r) throw new Error(`no fixture resource ${name}`);
  return r;
}

/** Applies `change` to both the inputs and the state of resource `name` (what a changed input does). */
export function change(graph: CapturedResource[], name: string, changeFn: (props: Obj) => void): CapturedResource[] {
  const r = find(graph, name);
  changeFn(r.inputs);
  changeFn(r.state);
  return graph;
}

/** The annotation of the `churn` model Service, with `overrides` on top of the valid config. */
export function setModelConfig(graph: CapturedResource[], config: unknown): CapturedResource[] {
  const value = typeof config === "string" ? config : JSON.stringify(config);
  return change(graph, "churn-service", (p) => (p.metadata.annotations["aksml/config"] = value));
}

/** A copy of the inputs of fixture resource `name`, to build resource-policy args from. */
export function propsOf(name: string, graph: CapturedResource[] = productionGraph()): Obj {
  return structuredClone(find(graph, name).inputs) as Obj;
}
