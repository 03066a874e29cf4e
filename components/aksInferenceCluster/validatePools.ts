/**
 * AksInferenceCluster's node pool rules: Azure ML's sizing minimums for the system pool,
 * and the user and GPU pools' names, counts, autoscaler bounds, labels and taints.
 */
import type * as pulumi from "@pulumi/pulumi";
import { ClusterPurpose } from "../shared/clusterConnection.js";
import { known } from "../shared/inputs.js";
import type { AddProblem } from "../shared/problems.js";
import { isLabelKey, isLabelValue, isPositiveInteger } from "../shared/validation.js";
import type { AksInferenceClusterArgs, AksNodePoolArgs } from "./args.js";
import { DEFAULTS } from "./defaults.js";
import { vcpusForVmSize } from "./vmSizes.js";

/** Azure ML's minimums for production purposes (service errors "at least 12 cores", "at least 3 machines"). */
export const PROD_MIN_VCPUS = 12;
export const PROD_MIN_NODES = 3;
/** Azure ML's recommendation for DevTest (a warning, not an error). */
export const DEVTEST_RECOMMENDED_VCPUS = 2;

const POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;

/** Sizing rules: Azure ML's minimums for FastProd/DenseProd and its DevTest recommendation. */
export function checkSystemPool(
  args: AksInferenceClusterArgs,
  vmSizeInput: pulumi.Input<string>,
  countInput: pulumi.Input<number>,
  vcpusInput: pulumi.Input<number> | undefined,
  purpose: ClusterPurpose | undefined,
  add: AddProblem,
  countPath: "agentCount" | "agentMinCount" = "agentCount",
): void {
  const count = known(countInput);
  const vmSize = known(vmSizeInput);
  const vcpus = known(vcpusInput);
  if (count !== undefined && !isPositiveInteger(count))
    add(countPath, `must be a whole number greater than 0 (got ${count}).`);
  const explicitVcpus = known(args.vcpusPerNode);
  if (explicitVcpus !== undefined && !isPositiveInteger(explicitVcpus))
    add("vcpusPerNode", `must be a whole number greater than 0 (got ${explicitVcpus}).`);
  if (vmSize !== undefined && vcpusInput === undefined)
    add(
      "vcpusPerNode",
      `vmSize "${vmSize}" is not in the vCPU table; set vcpusPerNode to the number of vCPUs of one node.`,
    );
  if (count === undefined || vcpus === undefined || !isPositiveInteger(count) || !isPositiveInteger(vcpus)) return;
  const total = count * vcpus;
  if (purpose === ClusterPurpose.FastProd || purpose === ClusterPurpose.DenseProd) {
    if (count < PROD_MIN_NODES)
      add(
        countPath,
        `${purpose} needs at least ${PROD_MIN_NODES} nodes (got ${count}); raise ${countPath} or use clusterPurpose DevTest.`,
      );
    if (total < PROD_MIN_VCPUS)
      add(
        countPath,
        `${purpose} needs at least ${PROD_MIN_VCPUS} vCPUs (${countPath} ${count} x ${vcpus} vCPUs of ${vmSize ?? "vmSize"} = ${total}); raise ${countPath} or pick a larger vmSize.`,
      );
  }
}

/** The user pools and the GPU pool (with its defaulted name and size); pool names are unique, "system" included. */
export function checkNodePools(args: AksInferenceClusterArgs, add: AddProblem): void {
  const poolNames = new Set<string>(["system"]);
  for (const [i, pool] of (args.userNodePools ?? []).entries()) checkPool(`userNodePools[${i}]`, pool, poolNames, add);
  if (args.gpuNodePool) {
    const g = args.gpuNodePool;
    checkPool(
      "gpuNodePool",
      { ...g, name: g.name ?? DEFAULTS.gpuPoolName, vmSize: g.vmSize ?? DEFAULTS.gpuVmSize },
      poolNames,
      add,
    );
  }
}

function checkPool(path: string, pool: AksNodePoolArgs, names: Set<string>, add: AddProblem): void {
  const name = known(pool.name);
  if (name !== undefined) {
    if (!POOL_NAME.test(name))
      add(
        `${path}.name`,
        `"${name}" is not a valid pool name (1-12 lowercase letters and digits, starting with a letter).`,
      );
    else if (names.has(name))
      add(
        `${path}.name`,
        `"${name}" is already used by another pool${name === "system" ? " (the system pool)" : ""}; pool names must be unique.`,
      );
    names.add(name);
  }
  const vmSize = known(pool.vmSize);
  const vcpus = known(pool.vcpusPerNode);
  if (vcpus !== undefined && !isPositiveInteger(vcpus))
    add(`${path}.vcpusPerNode`, `must be a whole number greater than 0 (got ${vcpus}).`);
  if (vmSize !== undefined && pool.vcpusPerNode === undefined && vcpusForVmSize(vmSize) === undefined)
    add(
      `${path}.vcpusPerNode`,
      `vmSize "${vmSize}" is not in the vCPU table; set vcpusPerNode to the number of vCPUs of one node.`,
    );
  const count = known(pool.count);
  const min = known(pool.minCount);
  const max = known(pool.maxCount);
  const autoscale = pool.minCount !== undefined && pool.maxCount !== undefined;
  // An autoscaled user pool may start (and idle) at zero nodes.
  if (count !== undefined && !(Number.isInteger(count) && (autoscale ? count >= 0 : count > 0)))
    add(`${path}.count`, `must be a whole number ${autoscale ? "of at least 0" : "greater than 0"} (got ${count}).`);
  if ((pool.minCount === undefined) !== (pool.maxCount === undefined))
    add(
      pool.minCount === undefined ? `${path}.minCount` : `${path}.maxCount`,
      "node autoscaling needs both minCount and maxCount; set both or neither.",
    );
  if (min !== undefined && !(Number.isInteger(min) && min >= 0))
    add(`${path}.minCount`, `must be a whole number of at least 0 (got ${min}).`);
  if (max !== undefined && !isPositiveInteger(max))
    add(`${path}.maxCount`, `must be a whole number greater than 0 (got ${max}).`);
  if (min !== undefined && max !== undefined && min > max)
    add(`${path}.minCount`, `must not exceed maxCount (${min} > ${max}).`);
  if (count !== undefined && min !== undefined && max !== undefined && (count < min || count > max))
    add(`${path}.count`, `must lie between minCount and maxCount (${min}..${max}), got ${count}.`);
  // Node labels and taints become Kubernetes labels/taints: AKS rejects invalid ones only at deploy time.
  const labels = known(pool.labels);
  for (const [k, v] of Object.entries(labels ?? {})) {
    const value = known(v);
    if (!isLabelKey(k))
      add(
        `${path}.labels.${k}`,
        "is not a valid Kubernetes label key (up to 63 letters, digits, '-', '_', '.', with an optional DNS prefix).",
      );
    else if (value !== undefined && !isLabelValue(value))
      add(
        `${path}.labels.${k}`,
        `value "${value}" is not a valid Kubernetes label value (up to 63 letters, digits, '-', '_', '.', starting and ending alphanumeric).`,
      );
  }
  (known(pool.taints) ?? []).forEach((t, i) => {
    const taint = known(t);
    const m =
      taint === undefined ? undefined : /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(taint);
    if (taint !== undefined && (!m || !isLabelKey(m[1]) || (m[2] !== undefined && !isLabelValue(m[2]))))
      add(
        `${path}.taints[${i}]`,
        `"${taint}" is not a taint such as key=value:NoSchedule (effect NoSchedule, PreferNoSchedule or NoExecute).`,
      );
  });
}
