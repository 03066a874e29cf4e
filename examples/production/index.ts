/**
 * Production: a FastProd inference cluster (3 x 4 vCPUs) on Azure CNI in a created VNet,
 * all egress through an Azure Firewall allowing only the hosts the platform needs, TLS
 * with your own certificate, an autoscaled GPU pool, Container Insights, upgrades that
 * keep every pool in step inside a weekly maintenance window, and an endpoint with two
 * versions of a model rolled out automatically.
 *
 * TLS material comes from stack secrets:
 *   pulumi config set sslCname scoring.contoso.com
 *   pulumi config set --secret tlsCertPem -- "$(cat fullchain.pem)"
 *   pulumi config set --secret tlsKeyPem -- "$(cat privkey.pem)"
 * Without them the clearly-marked SAMPLE placeholders below are used so the program
 * plans offline; they are not a usable certificate.
 *
 * The leaf domain variant (Azure ML's `leaf_domain_label`): a generated name
 * `<label><suffix>.<region>.cloudapp.azure.com` on the router's public IP with a Let's
 * Encrypt certificate cert-manager issues and renews in the cluster:
 *   pulumi config set leafDomainLabel contosoml
 *   pulumi config set acmeEmail ops@contoso.com
 *   pulumi config set acmeEnvironment staging    # first try; then production (the default)
 * The router is then public, and egress goes out directly: behind the Azure Firewall's
 * default route a public load balancer's answers are dropped (asymmetric routing).
 */
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources/index.js";
import {
  AksInferenceCluster,
  AzuremlFe,
  ContainerInsights,
  ModelEndpoint,
  ModelWebservice,
  type AcmeEnvironment,
} from "../../components/index.js";

const config = new pulumi.Config();
const location = config.get("location") ?? "westeurope";
const leafDomainLabel = config.get("leafDomainLabel");

/** SAMPLE ONLY: PEM-shaped placeholders (the body decodes to "SAMPLE"), never a real key. */
const SAMPLE_CERT_PEM = "-----BEGIN CERTIFICATE-----\nU0FNUExF\n-----END CERTIFICATE-----\n";
const SAMPLE_KEY_PEM = "-----BEGIN PRIVATE KEY-----\nU0FNUExF\n-----END PRIVATE KEY-----\n";
const tlsCertPem = config.getSecret("tlsCertPem");
const tlsKeyPem = config.getSecret("tlsKeyPem");
if (!leafDomainLabel && (!tlsCertPem || !tlsKeyPem))
  pulumi.log.warn(
    "production example: tlsCertPem/tlsKeyPem not set; using SAMPLE placeholders that no client will accept.",
  );

const rg = new resources.ResourceGroup("production-rg", { location });

const insights = new ContainerInsights("production-insights", {
  resourceGroupName: rg.name,
  location: rg.location,
  retentionInDays: config.getNumber("logRetentionDays") ?? 90,
  defenderForContainers: config.getBoolean("defenderForContainers") ?? false,
});

const aks = new AksInferenceCluster("production", {
  clusterPurpose: "FastProd",
  agentCount: config.getNumber("agentCount") ?? 3,
  vmSize: config.get("vmSize") ?? "Standard_D4s_v5",
  resourceGroupName: rg.name,
  location: rg.location,
  // A minor version such as "1.33" (unset: AKS's default): the control plane and every
  // pool run it, and the patch channel below keeps them on its newest patch.
  kubernetesVersion: config.get("kubernetesVersion"),
  network: { plugin: "azure" },
  egress: leafDomainLabel ? undefined : { firewall: true, extraFqdns: config.getObject<string[]>("extraFqdns") ?? [] },
  tls: leafDomainLabel
    ? {
        leafDomainLabel,
        leafCertificate: {
          email: config.get("acmeEmail"),
          acmeEnvironment: config.get<AcmeEnvironment>("acmeEnvironment") ?? "production",
        },
      }
    : {
        sslCname: config.get("sslCname") ?? "scoring.contoso.example",
        sslCertPem: tlsCertPem ?? SAMPLE_CERT_PEM,
        sslKeyPem: tlsKeyPem ?? SAMPLE_KEY_PEM,
      },
  // Upgrades (these are the FastProd defaults, spelled out): Kubernetes patches and weekly
  // node images, only in the Saturday night window, a third of a CPU pool at a time.
  upgrade: {
    channel: "patch",
    nodeOsChannel: "NodeImage",
    maintenanceWindow: { dayOfWeek: "Saturday", startTime: "00:00", durationHours: 8, utcOffset: "+00:00" },
  },
  agentMaxSurge: "33%",
  autoscalerProfile: { expander: "least-waste", scaleDownDelayAfterAdd: "10m", scaleDownUnneededTime: "10m" },
  gpuNodePool: {
    vmSize: config.get("gpuVmSize") ?? "Standard_NC4as_T4_v3",
    minCount: config.getNumber("gpuMinNodes") ?? 1,
    maxCount: config.getNumber("gpuMaxNodes") ?? 3,
    // One GPU node at a time: each surge node needs GPU quota.
    maxSurge: "1",
  },
  monitoring: insights.clusterMonitoring,
  tags: { environment: "production" },
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
export const firewallPrivateIp = aks.firewallPrivateIp;
export const requiredEgressFqdns = aks.requiredEgressFqdns;
export const logAnalyticsWorkspaceId = insights.workspaceId;

// The router behind an internal load balancer in the cluster subnet (reach it through the
// VNet, a peering or a private front door), still serving HTTPS with the certificate above;
// with a leaf domain, on its public IP with the generated name.
const router = new AzuremlFe(
  "production-fe",
  { cluster: leafDomainLabel ? aks.connection : { ...aks.connection, loadBalancerType: "InternalLoadBalancer" } },
  { provider: aks.provider },
);

// A GPU web service with token auth. By default the service gets its own Entra ID application
// (v2.0 tokens, whose aud is the application's client id) and only callers assigned its app
// role get tokens: `aksml token linear-gpu` for a signed-in user, or any client asking Entra ID
// for the `gpuTokenScope` output. Set tokenIssuer (and tokenAudience) to trust another issuer.
// The sample linear model stands in for your GPU model; the image defaults to Azure ML's CUDA
// inference image.
const modelDir = new URL("../quickstart/model/", import.meta.url).pathname;
const gpuService = new ModelWebservice(
  "linear-gpu",
  {
    cluster: aks.connection,
    router: router.connection,
    models: [{ name: "linear", version: 1, path: `${modelDir}linear-model.json` }],
    inferenceConfig: { entryScript: "score.py", sourceDirectory: `${modelDir}src` },
    gpuCores: 1,
    cpuCores: 1,
    memoryGb: 4,
    cpuCoresLimit: 2,
    memoryGbLimit: 8,
    autoscale: { minReplicas: 1, maxReplicas: config.getNumber("gpuMaxReplicas") ?? 3 },
    authEnabled: false,
    tokenAuthEnabled: true,
    tokenRequiredRole: config.get("tokenRequiredRole") ?? "Score",
    tokenIssuer: config.get("tokenIssuer"),
    tokenAudience: config.get("tokenAudience"),
    tags: { environment: "production" },
  },
  { provider: aks.provider },
);

// An endpoint with two versions of the CPU model behind one scoring URI: v1 (the
// default and control) serves today; v2 is rolled out automatically, 10 % -> 50 % ->
// 100 % of v1's traffic, one step every 10 minutes while its error rate and p99 latency
// stay close to v1's, and rolled back the moment they do not. The router keeps the live
// weights (ConfigMap price-rollout): running `pulumi up` again continues the rollout.
// A request with `azureml-model-deployment: v2` reaches v2 whatever its weight.
const cpuModel = {
  models: [{ name: "linear", version: 1, path: `${modelDir}linear-model.json` }],
  inferenceConfig: { entryScript: "score.py", sourceDirectory: `${modelDir}src` },
  cpuCores: 0.5,
  memoryGb: 1,
  autoscale: { minReplicas: 2, maxReplicas: 6 },
  tags: { environment: "production" },
};
const price = new ModelEndpoint(
  "price",
  {
    cluster: aks.connection,
    router: router.connection,
    versions: [
      { versionName: "v1", ...cpuModel, isDefault: true, isControlVersion: true },
      { versionName: "v2", ...cpuModel, trafficPercentile: 0, readinessProbe: { periodSeconds: 3 } },
    ],
    rollout: { version: "v2", steps: [10, 50, 100], intervalSeconds: 600, maxErrorRateIncreasePercent: 1 },
  },
  { provider: aks.provider },
);

export const routerEndpoint = router.endpoint;
export const routerIp = router.ip;
export const gpuScoringUri = gpuService.scoringUri;
export const gpuTokenAudience = gpuService.tokenAudience;
export const gpuTokenScope = gpuService.tokenScope;
export const priceScoringUri = price.scoringUri;
export const priceVersionScoringUris = price.versionScoringUris;
