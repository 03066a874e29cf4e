import { beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as k8s from "@pulumi/kubernetes";
import { startMockRuntime, settle, outputValue, isSecret, type MockRuntime } from "../../preview/mockRuntime.js";
import { ModelWebservice } from "../../components/modelWebservice/index.js";
import { parseServiceConfig, SERVICE_CONFIG_DEFAULTS } from "../../router/contract/serviceConfig.js";
import { parseFetchModelArgs } from "../../router/contract/fetchModelArgs.js";
import { clusterConnection, reveal, routerConnection, validateK8sObject } from "./modelWebserviceFixtures.js";

const QUICKSTART = fileURLToPath(new URL("../../examples/quickstart/model/", import.meta.url));
const ROUTER_IMAGE = `aksmlacr.azurecr.io/aksml/azureml-fe:0.1.0@sha256:${"c".repeat(64)}`;
const router = routerConnection({
  endpoint: "http://20.50.60.70",
  image: ROUTER_IMAGE,
  serviceNamespaces: ["default", "models"],
});
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

let rt: MockRuntime;
const svc: Record<string, ModelWebservice> = {};
let folder: string;

const inputs = (type: string, name: string) => reveal(rt.one(type, name).inputs) as any;
const deployment = (n: string) => inputs("kubernetes:apps/v1:Deployment", `${n}-deployment`);
const service = (n: string) => inputs("kubernetes:core/v1:Service", `${n}-service`);
const pod = (n: string) => deployment(n).spec.template.spec;
const model = (n: string) => pod(n).containers.find((c: any) => c.name === "model");
const envOf = (n: string) => Object.fromEntries(model(n).env.map((e: any) => [e.name, e.value]));

beforeAll(async () => {
  rt = await startMockRuntime();
  folder = mkdtempSync(join(tmpdir(), "aksml-model-"));
  mkdirSync(join(folder, "assets"));
  writeFileSync(join(folder, "weights.bin"), Buffer.alloc(1024, 3));
  writeFileSync(join(folder, "assets", "copy-of-weights.bin"), Buffer.alloc(1024, 3));
  writeFileSync(join(folder, "assets", "labels.txt"), "cat\ndog\n");
  const provider = new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
  const cluster = clusterConnection();
  svc.qs = new ModelWebservice(
    "quickstart",
    {
      cluster,
      router,
      models: [{ name: "linear", version: 1, path: join(QUICKSTART, "linear-model.json") }],
      inferenceConfig: { entryScript: "score.py", sourceDirectory: join(QUICKSTART, "src") },
    },
    { provider },
  );
  svc.fixed = new ModelWebservice(
    "fixed",
    {
      cluster,
      router,
      image: "example.azurecr.io/m:1",
      numReplicas: 2,
      scoringTimeoutMs: 120_500,
      livenessProbe: { timeoutSeconds: 4 },
      readinessProbe: { periodSeconds: 2, failureThreshold: 2 },
      primaryKey: "given-primary",
      namespace: "models",
      tags: { team: "risk" },
      description: "fixed replicas",
      enableAppInsights: true,
      appInsightsKey: "InstrumentationKey=00000000-aaaa",
      cpuCores: 0.5,
      memoryGb: 2,
      cpuCoresLimit: 1,
      memoryGbLimit: 4,
    },
    { provider },
  );
  svc.gpu = new ModelWebservice(
    "gpu-svc",
    {
      cluster,
      router,
      image: "example.azurecr.io/g:1",
      gpuCores: 1,
      authEnabled: false,
      tokenAuthEnabled: true,
      tokenIssuer: "https://login.example.com/tenant/v2.0",
      models: [{ name: "vision", version: 4, path: folder }],
    },
    { provider },
  );
  svc.multi = new ModelWebservice(
    "multi",
    {
      cluster,
      router,
      image: "example.azurecr.io/m:1",
      models: [
        { name: "linear", version: 1, path: join(QUICKSTART, "linear-model.json") },
        { name: "vision", version: 2, path: folder },
      ],
    },
    { provider },
  );
  await settle();
});

describe("ModelWebservice defaults (Azure ML's, applied by the library)", () => {
  it("requests 0.1 CPU / 0.5 GB with equal limits, no GPU, and Azure ML's liveness probe on GET / 5001", () => {
    const c = model("quickstart");
    expect(c.resources).toEqual({
      requests: { cpu: "100m", memory: "512Mi" },
      limits: { cpu: "100m", memory: "512Mi" },
    });
    expect(c.livenessProbe).toEqual({
      httpGet: { path: "/", port: 5001 },
      periodSeconds: 10,
      initialDelaySeconds: 310,
      timeoutSeconds: 2,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c.readinessProbe).toEqual({
      httpGet: { path: "/", port: 5001 },
      periodSeconds: 5,
      initialDelaySeconds: 0,
      timeoutSeconds: 2,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c.ports).toEqual([{ name: "http", containerPort: 5001 }]);
    expect(pod("quickstart").tolerations).toEqual([]);
    expect(envOf("quickstart")).toMatchObject({ AML_APP_INSIGHTS_ENABLED: "false" });
    // The router captures model data; the inference server's own collector stays off.
    expect(envOf("quickstart")).not.toHaveProperty("AML_MODEL_DC_STORAGE_ENABLED");
  });

  it("rolls without a failed request: maxUnavailable 0, a 5 s preStop sleep, a grace covering preStop + scoringTimeoutMs", () => {
    expect(deployment("quickstart").spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(model("quickstart").lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    // 5 s preStop + the default 60 s scoring timeout + 5 s.
    expect(pod("quickstart").terminationGracePeriodSeconds).toBe(70);
  });

  it("takes readiness probe settings (the timeout defaulting to the liveness probe's) and a grace covering a longer scoring timeout", () => {
    expect(model("fixed").readinessProbe).toEqual({
      httpGet: { path: "/", port: 5001 },
      periodSeconds: 2,
      initialDelaySeconds: 0,
      timeoutSeconds: 4,
      successThreshold: 1,
      failureThreshold: 2,
    });
    expect(pod("fixed").terminationGracePeriodSeconds).toBe(5 + 121 + 5);
  });

  it("autoscale on by default: no spec.replicas (the router owns it), and the default router settings in aksml/config", () => {
    expect("replicas" in deployment("quickstart").spec).toBe(false);
    const parsed = parseServiceConfig("quickstart", service("quickstart").metadata.annotations["aksml/config"]);
    expect(parsed).toEqual({
      ok: true,
      config: {
        version: 1,
        deployment: "quickstart",
        autoscale: {
          enabled: true,
          minReplicas: 1,
          maxReplicas: 10,
          targetUtilization: 70,
          refreshSeconds: 1,
          scaleDownDelaySeconds: 60,
        },
        numReplicas: undefined,
        auth: {
          mode: "key",
          issuer: undefined,
          audience: undefined,
          jwksUri: undefined,
          algorithms: ["RS256"],
          issuerRegion: undefined,
        },
        scoringTimeoutMs: 60000,
        maxConcurrentRequestsPerContainer: 1,
        maxRequestWaitTimeMs: 500,
        maxQueuedRequests: 100,
        collectModelData: false,
        dataCollection: { sampleRate: 1, maxBodyBytes: 1048576, redactJsonFields: [] },
        appInsightsEnabled: false,
        models: [{ name: "linear", version: 1 }],
      },
    });
    expect(SERVICE_CONFIG_DEFAULTS.scoringTimeoutMs).toBe(60000);
  });

  it("generates both keys with @pulumi/random, stores them in <name>-keys and keeps them secret", async () => {
    const secret = rt.one("kubernetes:core/v1:Secret", "quickstart-keys");
    expect(secret.secretInputs).toContain("stringData");
    const s = reveal(secret.inputs) as any;
    expect(s.metadata).toMatchObject({
      name: "quickstart-keys",
      namespace: "default",
      labels: { "aksml/webservice": "quickstart", "app.kubernetes.io/part-of": "aksml" },
    });
    expect(Object.keys(s.stringData).sort()).toEqual(["primaryKey", "secondaryKey"]);
    expect(s.stringData.primaryKey).toBe(await outputValue(svc.qs.primaryKey));
    expect(s.stringData.primaryKey).not.toBe(s.stringData.secondaryKey);
    expect(
      rt
        .ofType("random:index/randomPassword:RandomPassword")
        .filter((r) => r.name.startsWith("quickstart-"))
        .map((r) => r.inputs.length),
    ).toEqual([32, 32]);
    expect(await isSecret(svc.qs.primaryKey)).toBe(true);
    expect(await isSecret(svc.qs.secondaryKey)).toBe(true);
  });

  it("outputs the scoring and swagger URIs under the router, the namespace and the image ref", async () => {
    expect(await outputValue(svc.qs.scoringUri)).toBe("http://20.50.60.70/api/v1/service/quickstart/score");
    expect(await outputValue(svc.qs.swaggerUri)).toBe("http://20.50.60.70/api/v1/service/quickstart/swagger.json");
    expect(await outputValue(svc.qs.namespace)).toBe("default");
    expect(await outputValue(svc.qs.tokenAudience)).toBeUndefined();
    expect(await outputValue(svc.qs.imageRef)).toBe(model("quickstart").image);
    expect(model("quickstart").image).toMatch(
      /^aksmlacr\.azurecr\.io\/aksml\/models\/quickstart:[0-9a-f]{32}@sha256:[0-9a-f]{64}$/,
    );
  });
});

describe("the router contract", () => {
  it("labels Deployment, pods, Service and Secret, and annotates the Deployment", () => {
    const labels = { "aksml/webservice": "fixed", "app.kubernetes.io/part-of": "aksml" };
    const d = deployment("fixed");
    expect(d.metadata.labels).toEqual({ team: "risk", ...labels });
    expect(d.metadata.annotations).toEqual({
      "aksml/model-count": "0",
      "aksml/cluster-purpose": "FastProd",
      "aksml/description": "fixed replicas",
    });
    expect(d.spec.template.metadata.labels).toMatchObject(labels);
    expect(d.spec.selector.matchLabels).toEqual({ "aksml/webservice": "fixed" });
    expect(service("fixed").metadata.labels).toEqual(labels);
    expect(inputs("kubernetes:core/v1:Secret", "fixed-keys").metadata.labels).toEqual(labels);
    expect(deployment("quickstart").metadata.annotations["aksml/model-count"]).toBe("1");
  });

  it("the Service sends port 80 to 5001 on the service's pods", () => {
    expect(service("fixed").spec).toEqual({
      type: "ClusterIP",
      selector: { "aksml/webservice": "fixed" },
      ports: [{ name: "http", port: 80, targetPort: 5001 }],
    });
  });

  it("numReplicas turns autoscale off and is written to spec.replicas and the annotation the router parses", () => {
    expect(deployment("fixed").spec.replicas).toBe(2);
    const parsed = parseServiceConfig("fixed", service("fixed").metadata.annotations["aksml/config"]);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.config.autoscale.enabled).toBe(false);
    expect(parsed.config.numReplicas).toBe(2);
  });

  it("token auth: the router gets issuer and audience (default api://aksml/<name>); the audience is an output", async () => {
    const parsed = parseServiceConfig("gpu-svc", service("gpu-svc").metadata.annotations["aksml/config"]);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.config.auth).toEqual({
      mode: "token",
      issuer: "https://login.example.com/tenant/v2.0",
      audience: "api://aksml/gpu-svc",
      jwksUri: undefined,
      algorithms: ["RS256"],
      issuerRegion: undefined,
    });
    expect(await outputValue(svc.gpu.tokenAudience)).toBe("api://aksml/gpu-svc");
  });

  it("App Insights: the key lives in a secret <name>-appinsights the container reads, never in the pod spec", () => {
    const secret = rt.one("kubernetes:core/v1:Secret", "fixed-appinsights");
    expect(secret.secretInputs).toContain("stringData");
    expect(reveal(secret.inputs)).toMatchObject({
      metadata: { name: "fixed-appinsights", namespace: "models" },
      // The inference server prepends `InstrumentationKey=` itself; the full string is for OpenTelemetry.
      stringData: {
        AML_APP_INSIGHTS_KEY: "00000000-aaaa",
        APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=00000000-aaaa",
      },
    });
    const env = model("fixed").env;
    expect(env.find((e: any) => e.name === "AML_APP_INSIGHTS_ENABLED").value).toBe("true");
    expect(env.find((e: any) => e.name === "AML_APP_INSIGHTS_KEY")).toEqual({
      name: "AML_APP_INSIGHTS_KEY",
      valueFrom: { secretKeyRef: { name: "fixed-appinsights", key: "AML_APP_INSIGHTS_KEY" } },
    });
    expect(JSON.stringify(deployment("fixed"))).not.toContain("InstrumentationKey=");
  });

  it("given keys are used and stay secret", async () => {
    expect(inputs("kubernetes:core/v1:Secret", "fixed-keys").stringData.primaryKey).toBe("given-primary");
    expect(await isSecret(svc.fixed.primaryKey)).toBe(true);
    expect(rt.ofType("random:index/randomPassword:RandomPassword").map((r) => r.name)).not.toContain(
      "fixed-primary-key",
    );
  });
});

describe("resources, GPU and models", () => {
  it("maps cores/GB to Kubernetes quantities and honours given limits", () => {
    expect(model("fixed").resources).toEqual({
      requests: { cpu: "500m", memory: "2048Mi" },
      limits: { cpu: "1000m", memory: "4096Mi" },
    });
  });

  it("GPU: nvidia.com/gpu in requests and limits, and the GPU taint is tolerated", () => {
    expect(model("gpu-svc").resources.limits["nvidia.com/gpu"]).toBe("1");
    expect(model("gpu-svc").resources.requests["nvidia.com/gpu"]).toBe("1");
    expect(pod("gpu-svc").tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
  });

  it("uploads each distinct file once, named by its SHA-256, into the cluster's models container", () => {
    const blobs = rt.ofType("azure-native:storage:Blob").filter((b) => b.name.startsWith("gpu-svc-"));
    const weights = sha(Buffer.alloc(1024, 3));
    const labels = sha("cat\ndog\n");
    expect(blobs.map((b) => b.inputs.blobName).sort()).toEqual(
      [`default/gpu-svc/${weights}`, `default/gpu-svc/${labels}`].sort(),
    );
    for (const b of blobs)
      expect(b.inputs).toMatchObject({
        accountName: "aksmlmodels",
        containerName: "models",
        resourceGroupName: "aksml-rg",
        type: "Block",
      });
    const qs = rt.ofType("azure-native:storage:Blob").filter((b) => b.name.startsWith("quickstart-"));
    expect(qs.map((b) => b.inputs.blobName)).toEqual([
      `default/quickstart/${sha(readFileSync(join(QUICKSTART, "linear-model.json")))}`,
    ]);
  });

  it("the init container runs the router image's fetch-model with arguments its own parser accepts, into AZUREML_MODEL_DIR", () => {
    const init = pod("gpu-svc").initContainers.find((c: any) => c.name === "fetch-model");
    expect(init.image).toBe(ROUTER_IMAGE);
    expect(init.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(init.args[0]).toBe("fetch-model");
    const parsed = parseFetchModelArgs(init.args);
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    const w = sha(Buffer.alloc(1024, 3));
    expect(parsed.args).toEqual({
      accountUrl: "https://aksmlmodels.blob.core.windows.net/",
      container: "models",
      dest: "/var/azureml-app/azureml-models",
      blobs: [
        { blob: `default/gpu-svc/${w}`, path: `vision/4/${folder.split("/").pop()}/assets/copy-of-weights.bin` },
        { blob: `default/gpu-svc/${sha("cat\ndog\n")}`, path: `vision/4/${folder.split("/").pop()}/assets/labels.txt` },
        { blob: `default/gpu-svc/${w}`, path: `vision/4/${folder.split("/").pop()}/weights.bin` },
      ],
      // The node cache (on by default; test/components/modelWebserviceModelCache.test.ts).
      cacheDir: "/var/lib/aksml/model-cache",
      cacheMaxBytes: 20 * 1024 ** 3,
    });
    expect(init.volumeMounts).toEqual([
      { name: "azureml-models", mountPath: "/var/azureml-app/azureml-models" },
      { name: "aksml-model-cache", mountPath: "/var/lib/aksml/model-cache" },
    ]);
    expect(model("gpu-svc").volumeMounts).toEqual([
      { name: "azureml-models", mountPath: "/var/azureml-app/azureml-models", readOnly: true },
    ]);
    expect(pod("gpu-svc").volumes).toEqual([
      { name: "azureml-models", emptyDir: {} },
      { name: "aksml-model-cache", hostPath: { path: "/var/lib/aksml/model-cache", type: "DirectoryOrCreate" } },
    ]);
    expect(envOf("gpu-svc").AZUREML_MODEL_DIR).toBe("/var/azureml-app/azureml-models/vision/4");
    expect(envOf("multi").AZUREML_MODEL_DIR).toBe("/var/azureml-app/azureml-models");
    expect(pod("fixed").initContainers).toEqual([]);
  });
});

describe("workload identity", () => {
  it("a user-assigned identity trusted for exactly system:serviceaccount:<ns>:<name>, reading blobs of the model account", () => {
    const id = rt.one("azure-native:managedidentity:UserAssignedIdentity", "fixed-identity");
    expect(id.inputs).toMatchObject({ resourceGroupName: "aksml-rg", location: "westeurope", tags: { team: "risk" } });
    const fic = rt.one("azure-native:managedidentity:FederatedIdentityCredential", "fixed-federated").inputs as any;
    expect(fic).toMatchObject({
      issuer: "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/",
      subject: "system:serviceaccount:models:fixed",
      audiences: ["api://AzureADTokenExchange"],
    });
    expect(fic.resourceName).toBe(
      (rt.one("azure-native:managedidentity:UserAssignedIdentity", "fixed-identity").state as any).name,
    );
    const ra = rt.one("azure-native:authorization:RoleAssignment", "fixed-blob-reader").inputs as any;
    expect(ra).toMatchObject({
      scope: clusterConnection().storageAccountId,
      principalType: "ServicePrincipal",
      roleDefinitionId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    });
    expect(ra.principalId).toBe((id.state as any).principalId);
  });

  it("the ServiceAccount carries the identity's client id, pods opt in and use it; no storage secret anywhere", async () => {
    const sa = inputs("kubernetes:core/v1:ServiceAccount", "fixed-sa");
    expect(sa.metadata).toMatchObject({ name: "fixed", namespace: "models" });
    expect(sa.metadata.annotations["azure.workload.identity/client-id"]).toBe(
      await outputValue(svc.fixed.identityClientId),
    );
    expect(deployment("fixed").spec.template.metadata.labels["azure.workload.identity/use"]).toBe("true");
    expect(pod("fixed").serviceAccountName).toBe("fixed");
    const everything = JSON.stringify(rt.resources.map((r) => reveal(r.inputs)));
    expect(everything).not.toMatch(/AccountKey=|SharedAccessSignature|sig=/);
    expect(
      rt
        .ofType("kubernetes:core/v1:Secret")
        .map((s) => s.name)
        .sort(),
    ).toEqual(["fixed-appinsights", "fixed-keys", "gpu-svc-keys", "multi-keys", "quickstart-keys"]);
  });

  it("the Deployment waits for the identity's role, the federated credential and the blobs", () => {
    const d = rt.one("kubernetes:apps/v1:Deployment", "gpu-svc-deployment");
    for (const [type, name] of [
      ["azure-native:authorization:RoleAssignment", "gpu-svc-blob-reader"],
      ["azure-native:managedidentity:FederatedIdentityCredential", "gpu-svc-federated"],
    ])
      expect(d.dependencies).toContain(rt.one(type, name).urn);
    for (const b of rt.ofType("azure-native:storage:Blob").filter((r) => r.name.startsWith("gpu-svc-")))
      expect(d.dependencies).toContain(b.urn);
  });
});

describe("network isolation", () => {
  it("admits only the router's pods, from the router's namespace, to the model port", () => {
    const policy = reveal(
      rt.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "fixed-network-policy").inputs,
    ) as any;
    expect(policy.metadata).toMatchObject({ name: "fixed", namespace: "models" });
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { "aksml/webservice": "fixed" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "azureml" } },
              podSelector: {
                matchLabels: { "app.kubernetes.io/name": "azureml-fe", "app.kubernetes.io/part-of": "aksml" },
              },
            },
          ],
          ports: [{ protocol: "TCP", port: 5001 }],
        },
      ],
    });
    // The selector picks exactly the service's pods.
    const pods = (reveal(rt.one("kubernetes:apps/v1:Deployment", "fixed-deployment").inputs) as any).spec.template;
    expect(pods.metadata.labels).toMatchObject(policy.spec.podSelector.matchLabels);
  });
});

describe("schema", () => {
  it("every Kubernetes object validates against the Kubernetes schema", () => {
    const objects = rt.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
    // 4 services x (ServiceAccount, keys Secret, Deployment, Service, NetworkPolicy) + one App Insights Secret.
    expect(objects.length).toBe(4 * 5 + 1);
    for (const r of objects) expect(() => validateK8sObject(r), r.name).not.toThrow();
  });
  it("the schema check catches a broken object", () => {
    const broken = { ...rt.one("kubernetes:apps/v1:Deployment", "fixed-deployment") };
    broken.inputs = { ...broken.inputs, spec: { replicas: "two" } };
    expect(() => validateK8sObject(broken)).toThrow();
  });
});
