export { AksInferenceCluster } from "./cluster.js";
export * from "./args.js";
export {
  resolveAksInferenceClusterArgs,
  DEFAULTS as AKS_INFERENCE_CLUSTER_DEFAULTS,
  type ResolvedAksInferenceClusterArgs,
  type ResolvedNodePool,
} from "./defaults.js";
export {
  validateAksInferenceClusterArgs,
  aksInferenceClusterProblems,
  PROD_MIN_VCPUS,
  PROD_MIN_NODES,
} from "./validate.js";
export { vcpusForVmSize, knownVmSizes } from "./vmSizes.js";
export { egressHosts, requiredEgressFqdns, type EgressHost, type EgressNames } from "./egress.js";
export { parseManagedClusterId, type ManagedClusterIdParts } from "./clusterId.js";
export { PURPOSE_TAG, VCPUS_TAG } from "./managedCluster.js";
export { leafDomainFqdn, LEAF_SUFFIX_LENGTH, MAX_LEAF_LABEL_LENGTH } from "./leafDomain.js";
export {
  ACME_DIRECTORIES,
  ACME_INGRESS_CLASS,
  CERT_MANAGER_CHART,
  LEAF_ISSUER_NAMES,
  leafIssuerSpec,
} from "./certManager.js";
export { MAINTENANCE_CONFIG_NAMES } from "./upgrades.js";
export { maxSurgeProblem } from "./validateUpgrades.js";
