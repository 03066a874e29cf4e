/** Parsing of AKS managed cluster ARM ids (Azure ML `attach_configuration(resource_id=...)`). */

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const MANAGED_CLUSTER_ID = new RegExp(
  `^/subscriptions/(${GUID})/resourceGroups/([-\\w._()]{1,90})/providers/Microsoft\\.ContainerService/managedClusters/([a-zA-Z0-9][-_a-zA-Z0-9]{0,62})$`,
  "i",
);

export interface ManagedClusterIdParts {
  subscriptionId: string;
  resourceGroupName: string;
  clusterName: string;
}

/** The parts of a managed cluster id, or undefined when it is not one. */
export function parseManagedClusterId(id: string): ManagedClusterIdParts | undefined {
  const m = MANAGED_CLUSTER_ID.exec(id.trim());
  return m ? { subscriptionId: m[1], resourceGroupName: m[2], clusterName: m[3] } : undefined;
}

export const MANAGED_CLUSTER_ID_SHAPE =
  "/subscriptions/<subscription guid>/resourceGroups/<resource group>/providers/Microsoft.ContainerService/managedClusters/<cluster name>";
