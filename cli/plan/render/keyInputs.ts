/**
 * The few inputs worth a glance per resource type, so the tree reads like a design
 * review ("3 x Standard_D4s_v5", "image mock.azurecr.io/router:1") rather than a dump.
 * Takes REDACTED inputs; anything not listed here is still in `--json`.
 */
import { CLUSTER_PURPOSE_TAG } from "../../../components/shared/conventions.js";
import { arrayOf, valueAt } from "../../../preview/inputValues.js";

type Inputs = Record<string, unknown>;
export type KeyInput = [label: string, value: unknown];

/** Drops empty values so the tree shows only what was actually set. */
function present(pairs: KeyInput[]): KeyInput[] {
  return pairs.filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0));
}

function poolSummary(pool: unknown): string {
  const p = (key: string) => valueAt(pool, key);
  const scale = p("enableAutoScaling") ? ` autoscale ${p("minCount") ?? "?"}..${p("maxCount") ?? "?"}` : "";
  const nodeTaints = arrayOf(p("nodeTaints"));
  const taints = nodeTaints.length ? ` taints ${nodeTaints.join(",")}` : "";
  return `${p("name") ?? "pool"}(${p("mode") ?? "User"} ${p("vmSize") ?? "?"} x${p("count") ?? "?"}${scale}${taints})`;
}

function images(containers: unknown): unknown[] {
  return arrayOf(containers).map((c) => valueAt(c, "image"));
}

/** Built-in Azure role definitions the platform assigns, by GUID. */
const BUILT_IN_ROLES: Record<string, string> = {
  "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
  "8311e382-0749-4cb8-b61a-304f252e45ec": "AcrPush",
  "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
  "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
  "4d97b98b-1d4f-4787-a291-c67834d212e7": "Network Contributor",
  "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
};

/** A role definition id as its built-in role name when known, else its GUID. */
function roleName(id: unknown): unknown {
  if (typeof id !== "string") return id;
  const guid = id.split("/").pop() ?? id;
  return BUILT_IN_ROLES[guid.toLowerCase()] ?? guid;
}

const AZURE: Record<string, (i: Inputs) => KeyInput[]> = {
  "resources:ResourceGroup": (i) => [["location", i.location]],
  "containerservice:ManagedCluster": (i) => [
    ["purpose", valueAt(i, "tags", CLUSTER_PURPOSE_TAG)],
    ["k8s", i.kubernetesVersion],
    ["pools", arrayOf(i.agentPoolProfiles).map(poolSummary)],
    [
      "network",
      [valueAt(i, "networkProfile", "networkPlugin"), valueAt(i, "networkProfile", "outboundType")]
        .filter(Boolean)
        .join("/"),
    ],
    ["oidc", valueAt(i, "oidcIssuerProfile", "enabled")],
    [
      "upgrades",
      [valueAt(i, "autoUpgradeProfile", "upgradeChannel"), valueAt(i, "autoUpgradeProfile", "nodeOSUpgradeChannel")]
        .filter(Boolean)
        .join("/"),
    ],
  ],
  "containerservice:AgentPool": (i) => [["pool", poolSummary({ ...i, name: i.agentPoolName })]],
  "containerservice:MaintenanceConfiguration": (i) => {
    const w = (...path: string[]) => valueAt(i, "maintenanceWindow", ...path);
    const weekly = (key: string) => w("schedule", "weekly", key);
    return [
      ["schedule", i.configName],
      [
        "window",
        weekly("dayOfWeek") &&
          `${weekly("dayOfWeek")} ${w("startTime")} ${w("utcOffset") ?? "+00:00"} ${w("durationHours")}h every ${weekly("intervalWeeks")} week(s)`,
      ],
    ];
  },
  "containerregistry:Registry": (i) => [
    ["sku", valueAt(i, "sku", "name")],
    ["adminUser", i.adminUserEnabled],
  ],
  "storage:StorageAccount": (i) => [
    ["sku", valueAt(i, "sku", "name")],
    ["publicBlob", i.allowBlobPublicAccess],
    ["tls", i.minimumTlsVersion],
  ],
  "storage:BlobContainer": (i) => [
    ["container", i.containerName],
    ["publicAccess", i.publicAccess],
  ],
  "storage:Blob": (i) => [["blob", i.blobName]],
  "network:VirtualNetwork": (i) => [["addresses", valueAt(i, "addressSpace", "addressPrefixes")]],
  "network:Subnet": (i) => [["prefix", i.addressPrefix]],
  "network:PublicIPAddress": (i) => [
    ["sku", valueAt(i, "sku", "name")],
    ["allocation", i.publicIPAllocationMethod],
  ],
  "network:AzureFirewall": (i) => [["sku", valueAt(i, "sku", "tier")]],
  "network:FirewallPolicyRuleCollectionGroup": (i) => [
    ["priority", i.priority],
    ["collections", arrayOf(i.ruleCollections).length],
  ],
  "network:RouteTable": (i) => [
    ["routes", arrayOf(i.routes).map((r) => `${valueAt(r, "addressPrefix")}->${valueAt(r, "nextHopType")}`)],
  ],
  "operationalinsights:Workspace": (i) => [
    ["sku", valueAt(i, "sku", "name")],
    ["retentionDays", i.retentionInDays],
  ],
  "authorization:RoleAssignment": (i) => [
    ["role", roleName(i.roleDefinitionId)],
    ["principalType", i.principalType],
  ],
  "managedidentity:FederatedIdentityCredential": (i) => [["subject", i.subject]],
  "dns:RecordSet": (i) => [
    ["record", i.relativeRecordSetName],
    ["zone", i.zoneName],
  ],
};

function kubernetesKeys(kind: string, i: Inputs): KeyInput[] {
  const meta = (key: string) => valueAt(i, "metadata", key);
  const where: KeyInput[] = [["name", [meta("namespace"), meta("name")].filter(Boolean).join("/")]];
  const spec = (...path: string[]) => valueAt(i, "spec", ...path);
  switch (kind) {
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
      return [
        ...where,
        ["replicas", spec("replicas")],
        ["image", images(spec("template", "spec", "containers"))],
        ["init", images(spec("template", "spec", "initContainers"))],
      ];
    case "Service":
      return [
        ...where,
        ["type", spec("type")],
        [
          "ports",
          arrayOf(spec("ports")).map((p) => `${valueAt(p, "port")}->${valueAt(p, "targetPort") ?? valueAt(p, "port")}`),
        ],
      ];
    case "Secret":
    case "ConfigMap":
      // Key names only; a wholly secret data map is already "[secret]".
      return [
        ...where,
        ["keys", [i.data, i.stringData].flatMap((d) => (d && typeof d === "object" ? Object.keys(d) : []))],
      ];
    case "PodDisruptionBudget":
      return [...where, ["minAvailable", spec("minAvailable")], ["maxUnavailable", spec("maxUnavailable")]];
    case "HorizontalPodAutoscaler":
      return [
        ...where,
        ["target", spec("scaleTargetRef", "name")],
        ["replicas", `${spec("minReplicas") ?? 1}..${spec("maxReplicas")}`],
      ];
    case "ClusterRole":
    case "Role":
      return [...where, ["rules", arrayOf(i.rules).length]];
    case "ClusterRoleBinding":
    case "RoleBinding":
      return [...where, ["role", valueAt(i, "roleRef", "name")]];
    case "Certificate":
      return [
        ...where,
        ["dnsNames", spec("dnsNames")],
        ["issuer", spec("issuerRef", "name")],
        ["secret", spec("secretName")],
      ];
    case "ClusterIssuer":
      return [...where, ["acme", spec("acme", "server")]];
    case "Release":
      return [
        ["chart", [i.chart, i.version].filter(Boolean).join("@")],
        ["namespace", i.namespace],
      ];
    default:
      return where;
  }
}

export function keyInputs(type: string, inputs: Inputs): KeyInput[] {
  if (type.startsWith("azure-native:")) {
    const pick = AZURE[type.slice("azure-native:".length)];
    return present(pick ? pick(inputs) : [["location", inputs.location]]);
  }
  if (type.startsWith("kubernetes:")) return present(kubernetesKeys(type.split(":").pop() ?? "", inputs));
  switch (type) {
    case "pulumi:providers:azure-native":
      return present([["subscription", inputs.subscriptionId]]);
    case "pulumi:providers:kubernetes":
      return present([
        ["kubeconfig", inputs.kubeconfig],
        ["clusterIdentifier", inputs.clusterIdentifier],
        ["namespace", inputs.namespace],
      ]);
    case "docker-build:index:Image":
      return present([
        ["tags", inputs.tags],
        ["push", inputs.push],
      ]);
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString":
      return present([["length", inputs.length]]);
    default:
      return [];
  }
}
