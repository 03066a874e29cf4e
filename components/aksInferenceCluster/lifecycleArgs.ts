/**
 * Cluster lifecycle arguments of AksInferenceCluster (no Azure ML equivalent): upgrade
 * channels, the weekly maintenance window and the cluster autoscaler's profile.
 */
import type * as pulumi from "@pulumi/pulumi";

/** AKS cluster auto-upgrade channel (`autoUpgradeProfile.upgradeChannel`). */
export const UpgradeChannel = {
  /** No automatic Kubernetes upgrades. */
  None: "none",
  /** Latest patch of the current minor version; the minor version moves only when `kubernetesVersion` does. */
  Patch: "patch",
  /** Latest patch of minor version N-1 (N the newest supported). */
  Stable: "stable",
  /** Latest patch of the newest supported minor version. */
  Rapid: "rapid",
  /** Node image only (superseded by `nodeOsChannel`). */
  NodeImage: "node-image",
} as const;
export type UpgradeChannel = (typeof UpgradeChannel)[keyof typeof UpgradeChannel];

/** AKS node OS upgrade channel (`autoUpgradeProfile.nodeOSUpgradeChannel`). */
export const NodeOsUpgradeChannel = {
  /** No OS updates at all: you patch the nodes. */
  None: "None",
  /** The OS's own unattended upgrades, outside maintenance windows and surge settings. */
  Unmanaged: "Unmanaged",
  /** A weekly node image with security fixes, rolled out as node reimages within the window and surge. */
  NodeImage: "NodeImage",
  /** Security patches applied by AKS (hosting the patched images costs extra). */
  SecurityPatch: "SecurityPatch",
} as const;
export type NodeOsUpgradeChannel = (typeof NodeOsUpgradeChannel)[keyof typeof NodeOsUpgradeChannel];

export const WeekDay = {
  Monday: "Monday",
  Tuesday: "Tuesday",
  Wednesday: "Wednesday",
  Thursday: "Thursday",
  Friday: "Friday",
  Saturday: "Saturday",
  Sunday: "Sunday",
} as const;
export type WeekDay = (typeof WeekDay)[keyof typeof WeekDay];

/** How the cluster autoscaler picks the pool to grow (`autoScalerProfile.expander`). */
export const AutoscalerExpander = {
  LeastWaste: "least-waste",
  MostPods: "most-pods",
  Priority: "priority",
  Random: "random",
} as const;
export type AutoscalerExpander = (typeof AutoscalerExpander)[keyof typeof AutoscalerExpander];

/**
 * A weekly planned maintenance window (an AKS MaintenanceConfiguration), used for both
 * the cluster's Kubernetes upgrades (`aksManagedAutoUpgradeSchedule`) and its node OS
 * upgrades (`aksManagedNodeOSUpgradeSchedule`). AKS may still act outside it for urgent
 * fixes. No Azure ML equivalent.
 */
export interface AksMaintenanceWindowArgs {
  /**
   * Whether the window exists; without it AKS upgrades at any time. A plain boolean.
   * @default true (FastProd, DenseProd), false (DevTest)
   */
  readonly enabled?: pulumi.Input<boolean>;
  /** Day of the week the window opens (AKS `maintenanceWindow.schedule.weekly.dayOfWeek`). @default "Saturday" */
  readonly dayOfWeek?: pulumi.Input<WeekDay>;
  /**
   * Start time `HH:mm`, in `utcOffset`.
   * @default "00:00"
   */
  readonly startTime?: pulumi.Input<string>;
  /**
   * Length in hours, 4 to 24 (AKS's range).
   * @default 8
   */
  readonly durationHours?: pulumi.Input<number>;
  /**
   * UTC offset of `startTime`, `+HH:mm` or `-HH:mm`.
   * @default "+00:00"
   */
  readonly utcOffset?: pulumi.Input<string>;
  /**
   * Weeks between windows, 1 to 4.
   * @default 1 (node images ship weekly)
   */
  readonly intervalWeeks?: pulumi.Input<number>;
}

/** Automatic upgrades of a created cluster. No Azure ML equivalent (Azure ML leaves upgrades to you). */
export interface AksUpgradeArgs {
  /**
   * Kubernetes auto-upgrade channel. `patch` keeps the minor version `kubernetesVersion`
   * names (or the one the cluster was created with) and takes its patches; `stable` and
   * `rapid` also move the minor version and therefore need `kubernetesVersion` unset.
   * @default "patch"; "none" when `kubernetesVersion` pins a patch version such as 1.33.2
   */
  readonly channel?: pulumi.Input<UpgradeChannel>;
  /**
   * Node OS upgrade channel.
   * @default "NodeImage" (AKS's default: weekly images, reimaged within the window and maxSurge)
   */
  readonly nodeOsChannel?: pulumi.Input<NodeOsUpgradeChannel>;
  /** When upgrades may run. */
  readonly maintenanceWindow?: AksMaintenanceWindowArgs;
}

/** The cluster autoscaler's settings, sent when any pool autoscales. No Azure ML equivalent. */
export interface AksAutoscalerProfileArgs {
  /**
   * Which pool grows when pods are pending.
   * @default "least-waste" (the pool left with the least idle CPU and memory, so a small CPU pod never grows the GPU pool)
   */
  readonly expander?: pulumi.Input<AutoscalerExpander>;
  /**
   * How long after a scale-up scale-down is considered again, `<minutes>m`, 1m to 1440m.
   * @default "10m" (AKS's default)
   */
  readonly scaleDownDelayAfterAdd?: pulumi.Input<string>;
  /**
   * How long a node must be unneeded before it is removed, `<minutes>m`, 1m to 1440m.
   * @default "10m" (AKS's default)
   */
  readonly scaleDownUnneededTime?: pulumi.Input<string>;
}
