/**
 * Realistic computed outputs for the mock runtime: what Azure and Kubernetes would
 * report after creating a resource (ARM IDs, FQDNs, identities, IPs), derived
 * deterministically from the inputs so plans are stable and tests can predict them.
 *
 * Every output a component dereferences must be produced here, or under mocks it
 * resolves to undefined and the apply that uses it throws.
 */
import { createHash } from "node:crypto";
import { AZURE_LB_INTERNAL_ANNOTATION } from "../components/shared/conventions.js";
import { arrayOf, recordOf, valueAt } from "./inputValues.js";

/** Fixed identities of the mocked Azure tenant. */
export const MOCK_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";
export const MOCK_TENANT_ID = "11111111-1111-1111-1111-111111111111";

/** A kubeconfig the mocked AKS returns; the token is a placeholder, never a credential. */
export const MOCK_KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "clusters:",
  "- cluster:",
  "    certificate-authority-data: bW9jaw==",
  "    server: https://mock-aks.hcp.westeurope.azmk8s.io:443",
  "  name: mock-aks",
  "contexts:",
  "- context: {cluster: mock-aks, user: clusterUser}",
  "  name: mock-aks",
  "current-context: mock-aks",
  "users:",
  "- name: clusterUser",
  "  user: {token: mock-token-not-a-secret}",
  "",
].join("\n");

type Inputs = Record<string, unknown>;

/** Deterministic hex derived from a seed (stands in for Azure's random suffixes and GUIDs). */
export function mockHex(seed: string, length = 8): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

/** Deterministic GUID-shaped id. */
export function mockGuid(seed: string): string {
  const h = mockHex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** ARM provider namespace and type path for azure-native type tokens the components use. */
const ARM_TYPES: Record<string, [namespace: string, typePath: string, nameInput: string]> = {
  "containerservice:ManagedCluster": ["Microsoft.ContainerService", "managedClusters", "resourceName"],
  "containerservice:AgentPool": [
    "Microsoft.ContainerService",
    "managedClusters/{resourceName}/agentPools",
    "agentPoolName",
  ],
  "containerregistry:Registry": ["Microsoft.ContainerRegistry", "registries", "registryName"],
  "storage:StorageAccount": ["Microsoft.Storage", "storageAccounts", "accountName"],
  "storage:BlobContainer": [
    "Microsoft.Storage",
    "storageAccounts/{accountName}/blobServices/default/containers",
    "containerName",
  ],
  "storage:Blob": [
    "Microsoft.Storage",
    "storageAccounts/{accountName}/blobServices/default/containers/{containerName}/blobs",
    "blobName",
  ],
  "network:VirtualNetwork": ["Microsoft.Network", "virtualNetworks", "virtualNetworkName"],
  "network:Subnet": ["Microsoft.Network", "virtualNetworks/{virtualNetworkName}/subnets", "subnetName"],
  "network:PublicIPAddress": ["Microsoft.Network", "publicIPAddresses", "publicIpAddressName"],
  "network:AzureFirewall": ["Microsoft.Network", "azureFirewalls", "azureFirewallName"],
  "network:FirewallPolicy": ["Microsoft.Network", "firewallPolicies", "firewallPolicyName"],
  "network:FirewallPolicyRuleCollectionGroup": [
    "Microsoft.Network",
    "firewallPolicies/{firewallPolicyName}/ruleCollectionGroups",
    "ruleCollectionGroupName",
  ],
  "network:RouteTable": ["Microsoft.Network", "routeTables", "routeTableName"],
  "dns:RecordSet": ["Microsoft.Network", "dnsZones/{zoneName}/A", "relativeRecordSetName"],
  "dns:Zone": ["Microsoft.Network", "dnsZones", "zoneName"],
  "operationalinsights:Workspace": ["Microsoft.OperationalInsights", "workspaces", "workspaceName"],
  "monitor:DataCollectionRule": ["Microsoft.Insights", "dataCollectionRules", "dataCollectionRuleName"],
  "managedidentity:UserAssignedIdentity": ["Microsoft.ManagedIdentity", "userAssignedIdentities", "resourceName"],
  "applicationinsights:Component": ["Microsoft.Insights", "components", "resourceName"],
  "managedidentity:FederatedIdentityCredential": [
    "Microsoft.ManagedIdentity",
    "userAssignedIdentities/{resourceName}/federatedIdentityCredentials",
    "federatedIdentityCredentialResourceName",
  ],
  "authorization:RoleAssignment": ["Microsoft.Authorization", "roleAssignments", "roleAssignmentName"],
  "security:DefenderForContainers": ["Microsoft.Security", "pricings", "pricingName"],
};

/** Azure resource names are auto-named `<logical name><8 hex>` when no explicit name is given. */
function azureName(type: string, logicalName: string, inputs: Inputs): string {
  const entry = ARM_TYPES[type.replace(/^azure-native:/, "")];
  const explicit = entry ? inputs[entry[2]] : undefined;
  if (typeof explicit === "string" && explicit) return explicit;
  if (type.endsWith(":ResourceGroup") && typeof inputs.resourceGroupName === "string") return inputs.resourceGroupName;
  const suffix = mockHex(`${type}/${logicalName}`);
  // Storage and registry names allow only lowercase alphanumerics.
  if (/StorageAccount|Registry$/.test(type))
    return `${logicalName.replace(/[^a-z0-9]/gi, "").toLowerCase()}${suffix}`.slice(0, 24);
  return `${logicalName}${suffix}`;
}

function armId(type: string, name: string, inputs: Inputs): string {
  const short = type.replace(/^azure-native:/, "");
  if (short === "resources:ResourceGroup") return `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${name}`;
  const entry = ARM_TYPES[short];
  const rg = typeof inputs.resourceGroupName === "string" ? inputs.resourceGroupName : "mock-rg";
  const [namespace, typePath] = entry ?? [`Microsoft.${short.split(":")[0]}`, `${short.split(":")[1]}s`];
  const path = typePath.replace(/\{(\w+)\}/g, (_, k: string) => String(inputs[k] ?? k));
  if (short === "authorization:RoleAssignment")
    return `${inputs.scope ?? `/subscriptions/${MOCK_SUBSCRIPTION_ID}`}/providers/${namespace}/${path}/${mockGuid(name)}`;
  return `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/${namespace}/${path}/${name}`;
}

/** Returns the id and the computed outputs for one registration. */
export function computedOutputs(
  type: string,
  logicalName: string,
  inputs: Inputs,
  project: string,
  stack: string,
): { id: string; outputs: Inputs } {
  if (type.startsWith("azure-native:")) return azureOutputs(type, logicalName, inputs);
  if (type.startsWith("kubernetes:")) return kubernetesOutputs(type, logicalName, inputs);
  const seed = `${project}/${stack}/${type}/${logicalName}`;
  if (type.startsWith("azuread:")) return entraOutputs(type, seed, inputs);
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
    case "random:index/randomString:RandomString":
      return { id: `${logicalName}_id`, outputs: { result: mockHex(seed, 64).slice(0, Number(inputs.length ?? 32)) } };
    case "random:index/randomUuid:RandomUuid":
      return { id: mockGuid(seed), outputs: { result: mockGuid(seed) } };
    case "docker-build:index:Image": {
      const digest = `sha256:${mockHex(seed + JSON.stringify(inputs.tags ?? []), 64)}`;
      const tag =
        Array.isArray(inputs.tags) && inputs.tags.length
          ? String(inputs.tags[0])
          : `mock.azurecr.io/${logicalName}:latest`;
      return { id: digest, outputs: { digest, ref: `${tag}@${digest}` } };
    }
    default:
      return { id: `${logicalName}_id`, outputs: {} };
  }
}

function azureOutputs(type: string, logicalName: string, inputs: Inputs): { id: string; outputs: Inputs } {
  const name = azureName(type, logicalName, inputs);
  const id = armId(type, name, inputs);
  const location = inputs.location ?? "westeurope";
  const outputs: Inputs = { name, location, id };
  switch (type.replace(/^azure-native:/, "")) {
    case "containerservice:ManagedCluster": {
      const kubelet = mockGuid(`${id}/kubelet`);
      Object.assign(outputs, {
        fqdn: `${inputs.dnsPrefix ?? name}-${mockHex(id)}.hcp.${location}.azmk8s.io`,
        nodeResourceGroup: inputs.nodeResourceGroup ?? `MC_${inputs.resourceGroupName}_${name}_${location}`,
        identity: { ...recordOf(inputs.identity), principalId: mockGuid(`${id}/identity`), tenantId: MOCK_TENANT_ID },
        identityProfile: {
          kubeletidentity: {
            clientId: mockGuid(`${kubelet}/client`),
            objectId: kubelet,
            resourceId: `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/MC_${name}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}-agentpool`,
          },
        },
        oidcIssuerProfile: {
          ...recordOf(inputs.oidcIssuerProfile),
          issuerURL: `https://${location}.oic.prod-aks.azure.com/${MOCK_TENANT_ID}/${mockGuid(id)}/`,
        },
        provisioningState: "Succeeded",
      });
      break;
    }
    case "containerregistry:Registry":
      Object.assign(outputs, { loginServer: `${name}.azurecr.io` });
      break;
    case "storage:StorageAccount":
      Object.assign(outputs, {
        primaryEndpoints: {
          blob: `https://${name}.blob.core.windows.net/`,
          table: `https://${name}.table.core.windows.net/`,
          queue: `https://${name}.queue.core.windows.net/`,
          file: `https://${name}.file.core.windows.net/`,
          dfs: `https://${name}.dfs.core.windows.net/`,
          web: `https://${name}.z6.web.core.windows.net/`,
        },
      });
      break;
    case "network:PublicIPAddress":
      Object.assign(outputs, {
        ipAddress: `20.${parseInt(mockHex(id, 2), 16) % 250}.${parseInt(mockHex(`${id}b`, 2), 16) % 250}.${parseInt(mockHex(`${id}c`, 2), 16) % 250}`,
      });
      break;
    case "network:AzureFirewall":
      Object.assign(outputs, {
        ipConfigurations: arrayOf(inputs.ipConfigurations ?? [{}]).map((c, i) => ({
          ...recordOf(c),
          privateIPAddress: `10.42.255.${4 + i}`,
        })),
      });
      break;
    case "operationalinsights:Workspace":
      Object.assign(outputs, { customerId: mockGuid(`${id}/customer`) });
      break;
    case "applicationinsights:Component": {
      const key = mockGuid(`${id}/instrumentation`);
      Object.assign(outputs, {
        instrumentationKey: key,
        appId: mockGuid(`${id}/app`),
        connectionString: `InstrumentationKey=${key};IngestionEndpoint=https://${location}-0.in.applicationinsights.azure.com/;LiveEndpoint=https://${location}.livediagnostics.monitor.azure.com/`,
      });
      break;
    }
    case "managedidentity:UserAssignedIdentity":
      Object.assign(outputs, {
        clientId: mockGuid(`${id}/client`),
        principalId: mockGuid(`${id}/principal`),
        tenantId: MOCK_TENANT_ID,
      });
      break;
  }
  return { id, outputs };
}

function kubernetesOutputs(type: string, logicalName: string, inputs: Inputs): { id: string; outputs: Inputs } {
  const metadata = recordOf(inputs.metadata);
  const name = metadata.name ?? `${logicalName}-${mockHex(logicalName, 8)}`;
  const ns = metadata.namespace;
  const outputs: Inputs = { metadata: { ...metadata, name, uid: mockGuid(`${type}/${logicalName}`) } };
  if (type === "kubernetes:core/v1:Service") {
    const spec = recordOf(inputs.spec);
    const clusterIP =
      spec.clusterIP === "None"
        ? "None"
        : `10.0.${parseInt(mockHex(logicalName, 2), 16) % 250}.${parseInt(mockHex(`${logicalName}x`, 2), 16) % 250}`;
    const internal = valueAt(metadata, "annotations", AZURE_LB_INTERNAL_ANNOTATION) === "true";
    outputs.spec = { ...spec, clusterIP };
    outputs.status =
      spec.type === "LoadBalancer"
        ? { loadBalancer: { ingress: [{ ip: internal ? "10.240.0.200" : "20.50.60.70" }] } }
        : { loadBalancer: {} };
  }
  return { id: ns ? `${ns}/${name}` : String(name), outputs };
}

/** Entra ID (Microsoft Graph) objects: object ids, the application's client id, resource ids. */
function entraOutputs(type: string, seed: string, inputs: Inputs): { id: string; outputs: Inputs } {
  switch (type) {
    case "azuread:index/application:Application": {
      const objectId = mockGuid(`${seed}/object`);
      return { id: `/applications/${objectId}`, outputs: { objectId, clientId: mockGuid(`${seed}/client`) } };
    }
    case "azuread:index/servicePrincipal:ServicePrincipal": {
      const objectId = mockGuid(`${seed}/object`);
      return { id: objectId, outputs: { objectId, applicationTenantId: MOCK_TENANT_ID } };
    }
    case "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri":
      return {
        id: `${inputs.applicationId}/identifierUris/${Buffer.from(String(inputs.identifierUri)).toString("base64")}`,
        outputs: {},
      };
    default:
      return { id: mockGuid(seed), outputs: {} };
  }
}

/** Mocked invokes (functions). Unknown tokens echo their inputs, as Pulumi's own examples do. */
export function mockCall(token: string, inputs: Inputs): Inputs {
  switch (token) {
    case "azure-native:containerservice:listManagedClusterUserCredentials":
    case "azure-native:containerservice:listManagedClusterAdminCredentials":
      return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(MOCK_KUBECONFIG).toString("base64") }] };
    case "azuread:index/getClientConfig:getClientConfig":
      return { tenantId: MOCK_TENANT_ID, clientId: mockGuid("client"), objectId: mockGuid("object") };
    case "azure-native:authorization:getClientConfig":
      return {
        subscriptionId: MOCK_SUBSCRIPTION_ID,
        tenantId: MOCK_TENANT_ID,
        clientId: mockGuid("client"),
        objectId: mockGuid("object"),
      };
    case "azure-native:containerregistry:listRegistryCredentials":
      return {
        username: inputs.registryName,
        passwords: [{ name: "password", value: mockHex(`acr/${inputs.registryName}`, 32) }],
      };
    case "azure-native:containerservice:getManagedCluster": {
      const resourceName = String(inputs.resourceName);
      return {
        id: `/subscriptions/${MOCK_SUBSCRIPTION_ID}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/${inputs.resourceName}`,
        name: inputs.resourceName,
        location: "westeurope",
        fqdn: `${inputs.resourceName}-${mockHex(resourceName)}.hcp.westeurope.azmk8s.io`,
        oidcIssuerProfile: {
          enabled: true,
          issuerURL: `https://westeurope.oic.prod-aks.azure.com/${MOCK_TENANT_ID}/${mockGuid(resourceName)}/`,
        },
        identityProfile: {
          kubeletidentity: {
            objectId: mockGuid(`${inputs.resourceName}/kubelet`),
            clientId: mockGuid(`${inputs.resourceName}/kubelet/client`),
          },
        },
        agentPoolProfiles: [{ name: "system", count: 3, vmSize: "Standard_D4s_v5", mode: "System" }],
      };
    }
    default:
      return inputs;
  }
}
