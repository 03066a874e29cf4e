/**
 * AksInferenceCluster's lifecycle rules: the upgrade channels and how they combine with
 * `kubernetesVersion`, the maintenance window's shape (AKS's ranges), each pool's
 * `maxSurge`, the system pool autoscaler and the cluster autoscaler profile.
 */
import { known, isUnknown } from "../shared/inputs.js";
import type { AddProblem } from "../shared/problems.js";
import { isIntegerInRange, isOneOf, oneOf } from "../shared/validation.js";
import {
  AutoscalerExpander,
  NodeOsUpgradeChannel,
  UpgradeChannel,
  WeekDay,
  type AksInferenceClusterArgs,
} from "./args.js";
import { PINNED_PATCH, type ResolvedUpgrade } from "./defaults.js";

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
const UTC_OFFSET = /^[+-](0\d|1[0-4]):[0-5]\d$/;
const MINUTES = /^(\d{1,4})m$/;
/** The largest surge count accepted (AKS pools hold at most 1000 nodes). */
export const MAX_SURGE_NODES = 1000;

/** Why a `maxSurge` value is not one AKS takes, or undefined. */
export function maxSurgeProblem(value: string): string | undefined {
  const m = /^(\d+)(%?)$/.exec(value);
  const n = m ? Number(m[1]) : Number.NaN;
  if (m && m[2] === "%" && n >= 1 && n <= 100) return undefined;
  if (m && m[2] === "" && n >= 1 && n <= MAX_SURGE_NODES) return undefined;
  return `"${value}" is not a surge AKS takes: a node count from 1 to ${MAX_SURGE_NODES} ("1") or a percentage of the pool from 1% to 100% ("33%").`;
}

function checkSurge(path: string, value: unknown, add: AddProblem): void {
  if (typeof value !== "string") return;
  const problem = maxSurgeProblem(value);
  if (problem) add(path, problem);
}

/** `resolved` is the upgrade settings with their defaults (the channel's depends on `kubernetesVersion`). */
export function checkUpgrades(args: AksInferenceClusterArgs, resolved: ResolvedUpgrade, add: AddProblem): void {
  const u = args.upgrade ?? {};
  const channel = known(resolved.channel);
  const nodeOs = known(resolved.nodeOsChannel);
  if (channel !== undefined && !isOneOf(UpgradeChannel, channel))
    add("upgrade.channel", `"${channel}" is not an upgrade channel; use one of ${oneOf(UpgradeChannel)}.`);
  if (nodeOs !== undefined && !isOneOf(NodeOsUpgradeChannel, nodeOs))
    add("upgrade.nodeOsChannel", `"${nodeOs}" is not a node OS channel; use one of ${oneOf(NodeOsUpgradeChannel)}.`);
  if (channel === UpgradeChannel.NodeImage && nodeOs !== undefined && nodeOs !== NodeOsUpgradeChannel.NodeImage)
    add(
      "upgrade.nodeOsChannel",
      `upgrade.channel "node-image" upgrades node images itself, so AKS requires nodeOsChannel "NodeImage" (got "${nodeOs}"); use channel "patch" with the node OS channel you want.`,
    );

  const version = known(args.kubernetesVersion);
  if (version !== undefined && (channel === UpgradeChannel.Stable || channel === UpgradeChannel.Rapid))
    add(
      "upgrade.channel",
      `"${channel}" moves the cluster to newer minor versions itself, which contradicts kubernetesVersion "${version}" (the next update would try to undo it); remove kubernetesVersion or use channel "patch".`,
    );
  else if (version !== undefined && PINNED_PATCH.test(version) && channel === UpgradeChannel.Patch)
    add(
      "kubernetesVersion",
      `"${version}" pins a patch version, but upgrade.channel "patch" installs newer patches; give the minor version only ("${version.replace(/\.\d+$/, "")}") or set upgrade.channel to "none".`,
    );

  const w = u.maintenanceWindow ?? {};
  if (isUnknown(w.enabled))
    add(
      "upgrade.maintenanceWindow.enabled",
      "must be a plain boolean, not an Output: it decides which resources exist.",
    );
  const day = known(w.dayOfWeek);
  if (day !== undefined && !isOneOf(WeekDay, day))
    add("upgrade.maintenanceWindow.dayOfWeek", `"${day}" is not a day; use one of ${oneOf(WeekDay)}.`);
  const start = known(w.startTime);
  if (start !== undefined && !HH_MM.test(start))
    add("upgrade.maintenanceWindow.startTime", `"${start}" is not a time of day HH:mm from 00:00 to 23:59.`);
  const hours = known(w.durationHours);
  if (hours !== undefined && !isIntegerInRange(hours, 4, 24))
    add(
      "upgrade.maintenanceWindow.durationHours",
      `must be a whole number of hours from 4 to 24 (AKS's range), got ${hours}.`,
    );
  const offset = known(w.utcOffset);
  if (offset !== undefined && !UTC_OFFSET.test(offset))
    add("upgrade.maintenanceWindow.utcOffset", `"${offset}" is not a UTC offset such as +00:00, +05:30 or -07:00.`);
  const weeks = known(w.intervalWeeks);
  if (weeks !== undefined && !isIntegerInRange(weeks, 1, 4))
    add("upgrade.maintenanceWindow.intervalWeeks", `must be a whole number of weeks from 1 to 4, got ${weeks}.`);

  checkSurge("agentMaxSurge", known(args.agentMaxSurge), add);
  for (const [i, p] of (args.userNodePools ?? []).entries())
    checkSurge(`userNodePools[${i}].maxSurge`, known(p.maxSurge), add);
  checkSurge("gpuNodePool.maxSurge", known(args.gpuNodePool?.maxSurge), add);

  const profile = args.autoscalerProfile ?? {};
  const expander = known(profile.expander);
  if (expander !== undefined && !isOneOf(AutoscalerExpander, expander))
    add("autoscalerProfile.expander", `"${expander}" is not an expander; use one of ${oneOf(AutoscalerExpander)}.`);
  for (const key of ["scaleDownDelayAfterAdd", "scaleDownUnneededTime"] as const) {
    const v = known(profile[key]);
    const m = v === undefined ? undefined : MINUTES.exec(v);
    if (v !== undefined && !(m && isIntegerInRange(Number(m[1]), 1, 1440)))
      add(
        `autoscalerProfile.${key}`,
        `"${v}" is not a duration AKS takes: whole minutes from 1m to 1440m, e.g. "10m".`,
      );
  }
}

/** The system pool autoscaler: both bounds or none, 1 <= min <= max, and agentCount between them. */
export function checkSystemAutoscaler(args: AksInferenceClusterArgs, add: AddProblem): void {
  const { agentMinCount, agentMaxCount } = args;
  if ((agentMinCount === undefined) !== (agentMaxCount === undefined))
    add(
      agentMinCount === undefined ? "agentMinCount" : "agentMaxCount",
      "the system pool autoscaler needs both agentMinCount and agentMaxCount; set both or neither.",
    );
  const min = known(agentMinCount);
  const max = known(agentMaxCount);
  // At least 1 is checked with the sizing rules (checkSystemPool): a system pool keeps a node.
  if (min !== undefined && min > MAX_SURGE_NODES)
    add("agentMinCount", `must be at most ${MAX_SURGE_NODES} (AKS's largest pool), got ${min}.`);
  if (max !== undefined && !isIntegerInRange(max, 1, MAX_SURGE_NODES))
    add("agentMaxCount", `must be a whole number from 1 to ${MAX_SURGE_NODES}, got ${max}.`);
  if (min !== undefined && max !== undefined && min > max)
    add("agentMinCount", `must not exceed agentMaxCount (${min} > ${max}).`);
  const count = known(args.agentCount);
  if (count !== undefined && min !== undefined && max !== undefined && (count < min || count > max))
    add(
      "agentCount",
      `must lie between agentMinCount and agentMaxCount (${min}..${max}) when the system pool autoscales, got ${count}.`,
    );
}
