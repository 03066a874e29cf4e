/**
 * The router's size args: `replicas`, `cpuPerPod`, `selfScaling` and `nodeVcpus`. Each
 * bound is checked alone, then (once the cluster purpose is known) the initial size
 * against the bounds with their defaults, and the cores against the node.
 */
import { MAX_ROUTER_REPLICAS } from "../../router/contract/routerEnvironment.js";
import { MAX_ROUTER_CPU_PER_POD } from "../../router/contract/routerSize.js";
import { ClusterPurpose } from "../shared/clusterConnection.js";
import { known } from "../shared/inputs.js";
import type { PropertyProblem } from "../shared/problems.js";
import { isIntegerInRange } from "../shared/validation.js";
import type { AzuremlFeArgs } from "./args.js";
import { routerTopologyFor } from "./defaults.js";

export function routerSizeProblems(args: AzuremlFeArgs): PropertyProblem[] {
  const problems: PropertyProblem[] = [];
  const add = (propertyPath: string, reason: string) => problems.push({ propertyPath, reason });
  const s = args.selfScaling;
  const integer = (path: string, value: number | undefined, max: number, what: string) => {
    if (value === undefined) return undefined;
    if (isIntegerInRange(value, 1, max)) return value;
    add(path, `must be a whole number of ${what} between 1 and ${max}, got ${value}`);
    return undefined;
  };
  const cpuPerPod = integer("cpuPerPod", known(args.cpuPerPod), MAX_ROUTER_CPU_PER_POD, "CPU cores");
  const nodeVcpus = integer("nodeVcpus", known(args.nodeVcpus), Number.MAX_SAFE_INTEGER, "vCPUs");
  const bounds = {
    minPods: integer("selfScaling.minPods", known(s?.minPods), MAX_ROUTER_REPLICAS, "pods"),
    maxPods: integer("selfScaling.maxPods", known(s?.maxPods), MAX_ROUTER_REPLICAS, "pods"),
    minCpuPerPod: integer("selfScaling.minCpuPerPod", known(s?.minCpuPerPod), MAX_ROUTER_CPU_PER_POD, "CPU cores"),
    maxCpuPerPod: integer("selfScaling.maxCpuPerPod", known(s?.maxCpuPerPod), MAX_ROUTER_CPU_PER_POD, "CPU cores"),
  };

  const purpose = known(args.cluster.clusterPurpose);
  if (purpose === undefined || !Object.values(ClusterPurpose).includes(purpose)) return problems;
  if (purpose === ClusterPurpose.DevTest) {
    if (s !== undefined)
      add(
        "selfScaling",
        "self-scaling is off on DevTest clusters (as Azure ML's self-scaler is for dev-test); size the router with replicas and cpuPerPod, or use a FastProd/DenseProd cluster",
      );
  } else {
    // Bounds given as Outputs are checked once known; defaults stand in for unset ones only.
    const unknownBound = Object.entries(bounds).some(
      ([k, v]) => v === undefined && s?.[k as keyof typeof s] !== undefined,
    );
    const b = routerTopologyFor(purpose, {
      selfScaling: Object.fromEntries(Object.entries(bounds).filter(([, v]) => v !== undefined)),
    }).bounds!;
    if (!unknownBound) {
      if (b.minPods > b.maxPods)
        add("selfScaling.minPods", `must not exceed selfScaling.maxPods (${b.maxPods}), got ${b.minPods}`);
      if (b.minCpuPerPod > b.maxCpuPerPod)
        add(
          "selfScaling.minCpuPerPod",
          `must not exceed selfScaling.maxCpuPerPod (${b.maxCpuPerPod}), got ${b.minCpuPerPod}`,
        );
      const replicas = known(args.replicas);
      if (replicas !== undefined && isIntegerInRange(replicas, 1, MAX_ROUTER_REPLICAS))
        if (replicas < b.minPods || replicas > b.maxPods)
          add(
            "replicas",
            `must lie within the self-scaling bounds ${b.minPods}..${b.maxPods} (selfScaling.minPods..maxPods), got ${replicas}`,
          );
      if (cpuPerPod !== undefined && (cpuPerPod < b.minCpuPerPod || cpuPerPod > b.maxCpuPerPod))
        add(
          "cpuPerPod",
          `must lie within the self-scaling bounds ${b.minCpuPerPod}..${b.maxCpuPerPod} (selfScaling.minCpuPerPod..maxCpuPerPod), got ${cpuPerPod}`,
        );
      if (nodeVcpus !== undefined && b.maxCpuPerPod > nodeVcpus)
        add(
          "selfScaling.maxCpuPerPod",
          `must not exceed nodeVcpus (${nodeVcpus}): a router pod cannot use more cores than its node has; lower it${s?.maxCpuPerPod === undefined ? ` (default ${b.maxCpuPerPod})` : ""} or use larger nodes`,
        );
    }
  }
  if (nodeVcpus !== undefined) {
    const initial = routerTopologyFor(purpose, { cpuPerPod }).cpuPerPod;
    if (initial > nodeVcpus)
      add(
        "cpuPerPod",
        `must not exceed nodeVcpus (${nodeVcpus}): a router pod cannot use more cores than its node has, got ${initial}`,
      );
  }
  return problems;
}
