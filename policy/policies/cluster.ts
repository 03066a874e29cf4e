/**
 * Cluster capacity by Azure ML cluster purpose. Azure ML refused to attach a
 * FastProd cluster with fewer than 12 vCPUs or 3 nodes ("Cluster should have at
 * least 12 cores to operate"); DevTest needs 1 node and 2 vCPUs are recommended.
 *
 * A stack policy, because the pools are separate resources: the system pool inline
 * in `agentPoolProfiles` and every other pool a `containerservice.AgentPool`.
 */
import type { EnforcementLevel, PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { vcpusForVmSize } from "../../components/aksInferenceCluster/vmSizes.js";
import {
  agentPoolsOf,
  clusterPurposeTag,
  MANAGED_CLUSTER_TYPE,
  ofType,
  VCPUS_TAG,
  type Purpose,
} from "./azureResources.js";
import type { Props } from "./kubernetesObjects.js";

export const PROD_MIN_VCPUS = 12;
export const PROD_MIN_NODES = 3;
export const DEVTEST_MIN_VCPUS = 2;

export interface PoolCapacity {
  name: string;
  vmSize: string;
  /** Nodes the pool is guaranteed to have: `minCount` when autoscaling, else `count`. */
  nodes: number;
  /** vCPUs per node, from the vCPU table or the pool's `aksml-vcpus-per-node` tag. */
  vcpusPerNode?: number;
}

export interface ClusterCapacity {
  pools: PoolCapacity[];
  nodes: number;
  vcpus: number;
  /** Pools whose vCPU count is unknown (VM size not in the table and no tag). */
  unknownPools: PoolCapacity[];
}

function poolCapacity(pool: Props, fallbackName: string): PoolCapacity {
  // Azure's default pool size is 1 node.
  const nodes = pool.enableAutoScaling === true ? Number(pool.minCount ?? pool.count ?? 1) : Number(pool.count ?? 1);
  const vmSize = String(pool.vmSize ?? "unknown");
  const tag = Number(pool.tags?.[VCPUS_TAG]);
  const vcpusPerNode = vcpusForVmSize(vmSize) ?? (Number.isInteger(tag) && tag > 0 ? tag : undefined);
  // agentPoolName (an input) before name: an AgentPool's `name` output is unknown during a preview.
  return { name: String(pool.agentPoolName ?? pool.name ?? fallbackName), vmSize, nodes, vcpusPerNode };
}

/** Every pool of a cluster (inline profiles and separate AgentPools) with guaranteed nodes and vCPUs. */
export function clusterCapacity(cluster: PolicyResource, resources: PolicyResource[]): ClusterCapacity {
  const inline: Props[] = cluster.props.agentPoolProfiles ?? [];
  const pools = [
    ...inline.map((p, i) => poolCapacity(p, `agentPoolProfiles[${i}]`)),
    ...agentPoolsOf(cluster, resources).map((p) => poolCapacity(p.props, p.name)),
  ];
  return {
    pools,
    nodes: pools.reduce((n, p) => n + p.nodes, 0),
    vcpus: pools.reduce((n, p) => n + p.nodes * (p.vcpusPerNode ?? 0), 0),
    unknownPools: pools.filter((p) => p.vcpusPerNode === undefined),
  };
}

function describe(c: ClusterCapacity): string {
  const pools = c.pools.map((p) => `${p.name}: ${p.nodes} x ${p.vmSize} (${p.vcpusPerNode ?? "?"} vCPUs)`).join(", ");
  return `${c.nodes} node(s) with ${c.vcpus} vCPUs [${pools || "no pools"}]`;
}

function checkClusters(
  resources: PolicyResource[],
  purposes: Purpose[],
  report: ReportViolation,
  check: (cluster: PolicyResource, purpose: Purpose, capacity: ClusterCapacity) => string | undefined,
): void {
  for (const cluster of ofType(resources, MANAGED_CLUSTER_TYPE)) {
    const purpose = clusterPurposeTag(cluster);
    if (purpose === undefined || !purposes.includes(purpose)) continue;
    const capacity = clusterCapacity(cluster, resources);
    const problem = check(cluster, purpose, capacity);
    if (problem === undefined) continue;
    // A pool of unknown size counts as 0 vCPUs; say so, since tagging it may be the whole fix.
    const unknown = capacity.unknownPools.map((p) => `${p.name} (${p.vmSize})`).join(", ");
    const hint = unknown
      ? ` The vCPUs of ${unknown} are unknown (VM size not in the vCPU table): tag each such pool with '${VCPUS_TAG}: "<vCPUs per node>"'.`
      : "";
    report(problem + hint, cluster.urn);
  }
}

/** FastProd/DenseProd clusters have at least 12 vCPUs and 3 nodes (counting guaranteed nodes only). */
export function prodClusterCapacity(enforcementLevel: EnforcementLevel = "mandatory"): StackValidationPolicy {
  return {
    name: "prod-cluster-capacity",
    description: `FastProd and DenseProd clusters need at least ${PROD_MIN_VCPUS} vCPUs and ${PROD_MIN_NODES} nodes (Azure ML's minimum).`,
    enforcementLevel,
    validateStack: (args, report) =>
      checkClusters(args.resources, ["FastProd", "DenseProd"], report, (cluster, purpose, c) => {
        if (c.nodes >= PROD_MIN_NODES && c.vcpus >= PROD_MIN_VCPUS) return undefined;
        return (
          `${purpose} cluster '${cluster.name}' needs at least ${PROD_MIN_NODES} nodes and ${PROD_MIN_VCPUS} vCPUs; found ${describe(c)}. ` +
          `Autoscaling pools count their minCount. Fix: add nodes or use a larger VM size, or set the cluster purpose to DevTest.`
        );
      }),
  };
}

/** DevTest clusters have at least 2 vCPUs (Azure ML's recommendation). */
export function devTestClusterCapacity(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "devtest-cluster-capacity",
    description: `DevTest clusters should have at least ${DEVTEST_MIN_VCPUS} vCPUs.`,
    enforcementLevel,
    validateStack: (args, report) =>
      checkClusters(args.resources, ["DevTest"], report, (cluster, _purpose, c) => {
        if (c.vcpus >= DEVTEST_MIN_VCPUS) return undefined;
        return `DevTest cluster '${cluster.name}' should have at least ${DEVTEST_MIN_VCPUS} vCPUs; found ${describe(c)}. Fix: use a VM size with at least 2 vCPUs.`;
      }),
  };
}
