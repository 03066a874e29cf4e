/** Helpers shared by the AksInferenceCluster and ContainerInsights tests. */
import type { CapturedResource, MockRuntime } from "../../preview/mockRuntime.js";
import { unwrapSecrets } from "../../preview/secretMarker.js";

/** Replaces serialized secrets by their values, deeply. */
export const reveal: (value: unknown) => any = unwrapSecrets;

/** Inputs of the resource of `type` named `name`, secrets revealed. */
export function inputsOf(rt: MockRuntime, type: string, name: string): any {
  return reveal(rt.one(type, name).inputs);
}

/** Resources registered as children of the named component. */
export function childrenOf(rt: MockRuntime, componentType: string, name: string): CapturedResource[] {
  const urn = rt.one(componentType, name).urn;
  return rt.resources.filter((r) => r.parent === urn);
}

export const T = {
  cluster: "azure-native:containerservice:ManagedCluster",
  pool: "azure-native:containerservice:AgentPool",
  rg: "azure-native:resources:ResourceGroup",
  acr: "azure-native:containerregistry:Registry",
  storage: "azure-native:storage:StorageAccount",
  container: "azure-native:storage:BlobContainer",
  role: "azure-native:authorization:RoleAssignment",
  vnet: "azure-native:network:VirtualNetwork",
  subnet: "azure-native:network:Subnet",
  firewall: "azure-native:network:AzureFirewall",
  policy: "azure-native:network:FirewallPolicy",
  rcg: "azure-native:network:FirewallPolicyRuleCollectionGroup",
  routeTable: "azure-native:network:RouteTable",
  pip: "azure-native:network:PublicIPAddress",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  dcr: "azure-native:monitor:DataCollectionRule",
  dcra: "azure-native:monitor:DataCollectionRuleAssociation",
  workspace: "azure-native:operationalinsights:Workspace",
  pricing: "azure-native:security:Pricing",
  k8sProvider: "pulumi:providers:kubernetes",
  component: "aksml:index:AksInferenceCluster",
  insights: "aksml:index:ContainerInsights",
} as const;

export const SAMPLE_CLUSTER_ID =
  "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/ml-shared/providers/Microsoft.ContainerService/managedClusters/shared-aks";
