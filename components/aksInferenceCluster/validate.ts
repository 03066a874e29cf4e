/**
 * Azure ML's provisioning/attach rules plus the platform's own, checked before any
 * resource is declared. Every problem is collected and reported at once, each naming
 * the property, the rule and the fix. Only values known now are checked here; the
 * component re-checks Output-valued sizing inputs once they resolve. The pool, network
 * and TLS rules are in `validatePools.ts`, `validateNetwork.ts` and `validateTls.ts`.
 */
import { ClusterPurpose, LoadBalancerType } from "../shared/clusterConnection.js";
import { isUnknown, known } from "../shared/inputs.js";
import { DATA_COLLECTION_RULE_ID_PATTERN, LOG_ANALYTICS_WORKSPACE_ID_PATTERN } from "../shared/naming.js";
import {
  componentSubject,
  problemList,
  throwIfInvalid,
  type AddProblem,
  type PropertyProblem,
} from "../shared/problems.js";
import { azureTagProblem, isOneOf, oneOf } from "../shared/validation.js";
import { AcrSku, AksSkuTier, type AksInferenceClusterArgs } from "./args.js";
import { MANAGED_CLUSTER_ID_SHAPE, parseManagedClusterId } from "./clusterId.js";
import { resolveAksInferenceClusterArgs } from "./defaults.js";
import { checkNetwork } from "./validateNetwork.js";
import { checkNodePools, checkSystemPool } from "./validatePools.js";
import { checkTls } from "./validateTls.js";
import { checkSystemAutoscaler, checkUpgrades } from "./validateUpgrades.js";

export { DEVTEST_RECOMMENDED_VCPUS, PROD_MIN_NODES, PROD_MIN_VCPUS } from "./validatePools.js";

const FQDN_PATTERN = /^(\*\.)?(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const DNS_PREFIX = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,52}[a-zA-Z0-9])?$/;
const CONTAINER_NAME = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const SUBNET_NAME = /^[a-zA-Z0-9][-\w.]{0,78}\w$/;

/** Every problem with the arguments (empty when valid). Pure. */
export function aksInferenceClusterProblems(name: string, args: AksInferenceClusterArgs): PropertyProblem[] {
  const { problems, add } = problemList();
  const r = resolveAksInferenceClusterArgs(name, args);
  const purpose = known(r.clusterPurpose);
  const attach = args.existingClusterId !== undefined;

  if (purpose !== undefined && !isOneOf(ClusterPurpose, purpose))
    add("clusterPurpose", `"${purpose}" is not a cluster purpose; use one of ${oneOf(ClusterPurpose)}.`);

  const lbType = known(r.loadBalancerType);
  if (lbType !== undefined && !isOneOf(LoadBalancerType, lbType))
    add("loadBalancerType", `"${lbType}" is not a load balancer type; use one of ${oneOf(LoadBalancerType)}.`);
  const lbSubnet = known(args.loadBalancerSubnet);
  if (args.loadBalancerSubnet !== undefined && lbType === LoadBalancerType.PublicIp)
    add(
      "loadBalancerSubnet",
      "is used only with an internal load balancer; set loadBalancerType to InternalLoadBalancer or remove loadBalancerSubnet.",
    );
  if (lbSubnet !== undefined && !SUBNET_NAME.test(lbSubnet))
    add("loadBalancerSubnet", `"${lbSubnet}" is not a valid subnet name (1-80 letters, digits, '-', '_', '.').`);

  checkTls(args, lbType, add);

  const acrSku = known(args.acrSku);
  if (acrSku !== undefined && !isOneOf(AcrSku, acrSku))
    add("acrSku", `"${acrSku}" is not an ACR SKU; use one of ${oneOf(AcrSku)}.`);
  else if (acrSku !== undefined && acrSku !== AcrSku.Premium && known(args.egress?.firewall) === true)
    add(
      "acrSku",
      `egress.firewall needs a Premium registry (dedicated data endpoints serve image layers through the firewall); got ${acrSku}. Remove acrSku or set it to Premium.`,
    );
  const container = known(args.modelContainerName);
  if (container !== undefined && !CONTAINER_NAME.test(container))
    add(
      "modelContainerName",
      `"${container}" is not a valid blob container name (3-63 lowercase letters, digits and single dashes).`,
    );

  const fqdns = known(args.egress?.extraFqdns);
  fqdns?.forEach((f, i) => {
    const v = known(f);
    if (v !== undefined && !FQDN_PATTERN.test(v))
      add(
        `egress.extraFqdns[${i}]`,
        `"${v}" is not a host name (a wildcard is allowed only as the first label, e.g. *.example.com).`,
      );
  });
  if (isUnknown(args.egress?.firewall))
    add("egress.firewall", "must be a plain boolean, not an Output: it decides which resources exist.");

  // Azure rejects tag names with < > % & \ ? / or over 512 characters, and values over 256,
  // only when the first resource is created.
  for (const [k, v] of Object.entries(known(args.tags) ?? {})) {
    const reason = azureTagProblem(k, known(v));
    if (reason !== undefined) add(`tags.${k}`, reason);
  }

  if (args.monitoring) {
    const ws = known(args.monitoring.logAnalyticsWorkspaceId);
    if (ws !== undefined && !LOG_ANALYTICS_WORKSPACE_ID_PATTERN.test(ws))
      add("monitoring.logAnalyticsWorkspaceId", `"${ws}" is not a Log Analytics workspace resource id.`);
    const dcr = known(args.monitoring.dataCollectionRuleId);
    if (dcr !== undefined && !DATA_COLLECTION_RULE_ID_PATTERN.test(dcr))
      add("monitoring.dataCollectionRuleId", `"${dcr}" is not a data collection rule resource id.`);
  }

  if (attach) {
    checkAttach(args, add);
    return problems;
  }

  const dnsPrefix = known(r.dnsPrefix);
  if (dnsPrefix !== undefined && !DNS_PREFIX.test(dnsPrefix))
    add(
      "dnsPrefix",
      `"${dnsPrefix}" is not a valid DNS prefix (1-54 letters, digits and dashes, starting and ending with a letter or digit).`,
    );
  const version = known(args.kubernetesVersion);
  if (version !== undefined && !/^\d+\.\d+(\.\d+)?$/.test(version))
    add("kubernetesVersion", `"${version}" is not a Kubernetes version such as 1.33 or 1.33.2 (no leading "v").`);
  const skuTier = known(args.skuTier);
  if (skuTier !== undefined && !isOneOf(AksSkuTier, skuTier))
    add("skuTier", `"${skuTier}" is not an AKS tier; use one of ${oneOf(AksSkuTier)}.`);

  // With the system pool autoscaler, Azure ML's minimums apply to the floor it may scale down to.
  const systemAutoscale = args.agentMinCount !== undefined && args.agentMaxCount !== undefined;
  checkSystemPool(
    args,
    r.systemPool.vmSize,
    systemAutoscale ? args.agentMinCount! : r.systemPool.count,
    r.systemPool.vcpusPerNode,
    purpose,
    add,
    systemAutoscale ? "agentMinCount" : "agentCount",
  );
  checkSystemAutoscaler(args, add);
  checkUpgrades(args, r.upgrade, add);
  checkNetwork(args, add);

  checkNodePools(args, add);
  return problems;
}

/** Throws one InputPropertiesError listing every problem. */
export function validateAksInferenceClusterArgs(name: string, args: AksInferenceClusterArgs): void {
  throwIfInvalid(componentSubject("AksInferenceCluster", name), aksInferenceClusterProblems(name, args));
}

/** Attach mode: the id must be a managed cluster id, and creation-only settings make no sense. */
function checkAttach(args: AksInferenceClusterArgs, add: AddProblem): void {
  const id = known(args.existingClusterId);
  if (id !== undefined && !parseManagedClusterId(id))
    add(
      "existingClusterId",
      `"${id}" is not an AKS managed cluster resource id; expected ${MANAGED_CLUSTER_ID_SHAPE}.`,
    );
  const creationOnly: [string, unknown][] = [
    ["agentCount", args.agentCount],
    ["vmSize", args.vmSize],
    ["vcpusPerNode", args.vcpusPerNode],
    ["kubernetesVersion", args.kubernetesVersion],
    ["dnsPrefix", args.dnsPrefix],
    ["skuTier", args.skuTier],
    ["network", args.network],
    ["userNodePools", args.userNodePools],
    ["gpuNodePool", args.gpuNodePool],
    ["agentMinCount", args.agentMinCount],
    ["agentMaxCount", args.agentMaxCount],
    ["agentMaxSurge", args.agentMaxSurge],
    ["upgrade", args.upgrade],
    ["autoscalerProfile", args.autoscalerProfile],
  ];
  for (const [field, value] of creationOnly)
    if (value !== undefined)
      add(
        field,
        "configures a created cluster and cannot be used with existingClusterId; remove it or create the cluster instead.",
      );
  if (known(args.egress?.firewall) === true)
    add(
      "egress.firewall",
      "cannot route an attached cluster's egress; use requiredEgressFqdns in your own firewall instead.",
    );
}
