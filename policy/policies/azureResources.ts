/**
 * Reading the Azure resources of a stack: their type tokens and Azure names, the
 * clusters with their purpose and pools, and the purpose a Kubernetes object runs
 * under. Stack policies see outputs (inputs plus what Azure computed), so names like
 * the cluster's `name` and `fqdn` are present.
 */
import type { PolicyResource } from "@pulumi/policy";
import { annotationsOf, PURPOSE_ANNOTATION, type Props } from "./kubernetesObjects.js";

export const MANAGED_CLUSTER_TYPE = "azure-native:containerservice:ManagedCluster";
export const AGENT_POOL_TYPE = "azure-native:containerservice:AgentPool";
export const REGISTRY_TYPE = "azure-native:containerregistry:Registry";
export const STORAGE_ACCOUNT_TYPE = "azure-native:storage:StorageAccount";
export const RULE_COLLECTION_GROUP_TYPE = "azure-native:network:FirewallPolicyRuleCollectionGroup";

import {
  CLUSTER_PURPOSE_TAG as PURPOSE_TAG,
  VCPUS_PER_NODE_TAG as VCPUS_TAG,
} from "../../components/shared/conventions.js";

export { PURPOSE_TAG, VCPUS_TAG };

export type Purpose = "DevTest" | "FastProd" | "DenseProd";
const PURPOSES: readonly string[] = ["DevTest", "FastProd", "DenseProd"];

export function ofType(resources: PolicyResource[], ...types: string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}

/**
 * The Azure name of a resource: the name input (explicit or auto-named by the provider,
 * so known during `pulumi preview`), else its output `name`. The input is read first:
 * during a preview of a new resource the output is unknown, and touching an unknown
 * value makes the engine skip the whole policy ("can't run during preview").
 */
export function azureNameOf(r: PolicyResource, nameInput: string): string | undefined {
  return r.props[nameInput] ?? r.props.name;
}

export function clusterPurposeTag(cluster: PolicyResource): Purpose | undefined {
  const p = cluster.props.tags?.[PURPOSE_TAG];
  return PURPOSES.includes(p) ? (p as Purpose) : undefined;
}

/**
 * The purpose a Kubernetes object runs under: its own `aksml/cluster-purpose`
 * annotation, else the tag of the stack's only tagged cluster. Unknown purposes are
 * treated as production by the policies (the stricter reading). An annotation never
 * downgrades the cluster to DevTest: whoever writes a workload controls its
 * annotations, so `DevTest` on a Deployment in a FastProd stack would otherwise switch
 * off the auth, HA and TLS rules for it.
 */
export function purposeOf(obj: Props, resources: PolicyResource[]): Purpose | undefined {
  const tagged = ofType(resources, MANAGED_CLUSTER_TYPE)
    .map(clusterPurposeTag)
    .filter((p): p is Purpose => p !== undefined);
  const cluster = new Set(tagged).size === 1 ? tagged[0] : undefined;
  const own = annotationsOf(obj)[PURPOSE_ANNOTATION];
  if (!PURPOSES.includes(own)) return cluster;
  return own === "DevTest" && cluster !== undefined && cluster !== "DevTest" ? cluster : (own as Purpose);
}

/** The AgentPools that belong to a cluster: by dependency, by `resourceName`, or by ARM id. */
export function agentPoolsOf(cluster: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
  // Names are read only when no dependency links the pool: during a preview they may be unknown.
  return ofType(resources, AGENT_POOL_TYPE).filter((pool) => {
    if (pool.dependencies.some((d) => d.urn === cluster.urn)) return true;
    const clusterName = azureNameOf(cluster, "resourceName");
    if (clusterName === undefined) return false;
    if (pool.props.resourceName === clusterName) return true;
    const id: unknown = pool.props.id;
    return (
      typeof id === "string" && id.toLowerCase().includes(`/managedclusters/${clusterName.toLowerCase()}/agentpools/`)
    );
  });
}

/** Lower-case region without spaces, so "West Europe" and "westeurope" compare equal. */
export function normalizeRegion(region: string): string {
  return region.replace(/\s+/g, "").toLowerCase();
}
