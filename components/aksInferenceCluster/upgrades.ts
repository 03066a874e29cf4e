/**
 * How a created cluster stays current: the auto-upgrade channels on the ManagedCluster,
 * the planned maintenance windows (MaintenanceConfigurations) that confine them, and the
 * cluster autoscaler's profile. Every pool follows the control plane's version
 * (managedCluster.ts sets each pool's `orchestratorVersion` from the cluster's).
 */
import type * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import type * as types from "@pulumi/azure-native/types/index.js";
import { known } from "../shared/inputs.js";
import { NodeOsUpgradeChannel, UpgradeChannel } from "./args.js";
import type { ResolvedAutoscalerProfile, ResolvedMaintenanceWindow, ResolvedUpgrade } from "./defaults.js";

/** AKS's fixed names of the two schedules. */
export const MAINTENANCE_CONFIG_NAMES = {
  /** When the cluster auto-upgrade channel may upgrade Kubernetes (control plane, then pools). */
  kubernetes: "aksManagedAutoUpgradeSchedule",
  /** When the node OS channel may roll out node images or security patches. */
  nodeOs: "aksManagedNodeOSUpgradeSchedule",
} as const;

export function autoUpgradeProfile(
  u: ResolvedUpgrade,
): types.input.containerservice.ManagedClusterAutoUpgradeProfileArgs {
  return { upgradeChannel: u.channel, nodeOSUpgradeChannel: u.nodeOsChannel };
}

export function autoScalerProfile(
  p: ResolvedAutoscalerProfile,
): types.input.containerservice.ManagedClusterPropertiesAutoScalerProfileArgs {
  return {
    expander: p.expander,
    scaleDownDelayAfterAdd: p.scaleDownDelayAfterAdd,
    scaleDownUnneededTime: p.scaleDownUnneededTime,
  };
}

/** The weekly window as AKS's `maintenanceWindow`. */
export function maintenanceWindow(w: ResolvedMaintenanceWindow): types.input.containerservice.MaintenanceWindowArgs {
  return {
    schedule: { weekly: { dayOfWeek: w.dayOfWeek, intervalWeeks: w.intervalWeeks } },
    durationHours: w.durationHours,
    startTime: w.startTime,
    utcOffset: w.utcOffset,
  };
}

/**
 * One MaintenanceConfiguration per schedule whose channel is on (a channel known to be
 * off gets none: there is nothing to schedule), both with the same window.
 */
export function createMaintenanceConfigurations(
  name: string,
  u: ResolvedUpgrade,
  cluster: { resourceGroupName: pulumi.Input<string>; clusterName: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions,
): containerservice.MaintenanceConfiguration[] {
  const w = u.maintenanceWindow;
  if (!w) return [];
  const channel = known(u.channel);
  const nodeOs = known(u.nodeOsChannel);
  const schedules: [role: string, configName: string][] = [];
  if (channel !== UpgradeChannel.None) schedules.push(["kubernetes", MAINTENANCE_CONFIG_NAMES.kubernetes]);
  // Unmanaged patching is the OS's own, outside AKS's schedules.
  if (nodeOs !== NodeOsUpgradeChannel.None && nodeOs !== NodeOsUpgradeChannel.Unmanaged)
    schedules.push(["node-os", MAINTENANCE_CONFIG_NAMES.nodeOs]);
  return schedules.map(
    ([role, configName]) =>
      new containerservice.MaintenanceConfiguration(
        `${name}-maintenance-${role}`,
        {
          resourceGroupName: cluster.resourceGroupName,
          resourceName: cluster.clusterName,
          configName,
          maintenanceWindow: maintenanceWindow(w),
        },
        opts,
      ),
  );
}
