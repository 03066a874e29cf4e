/** ContainerInsights defaults, applied explicitly. */
import type * as pulumi from "@pulumi/pulumi";
import type { ContainerInsightsArgs } from "./args.js";

export const CONTAINER_INSIGHTS_DEFAULTS = {
  retentionInDays: 30,
  defenderForContainers: false,
  workspaceSku: "PerGB2018",
  /** The stream that carries every Container Insights table (ContainerLogV2, KubePodInventory, ...). */
  stream: "Microsoft-ContainerInsights-Group-Default",
  /** Association name the Azure portal and CLI use for Container Insights. */
  associationName: "ContainerInsightsExtension",
} as const;

export interface ResolvedContainerInsightsArgs {
  readonly resourceGroupName?: pulumi.Input<string>;
  readonly location?: pulumi.Input<string>;
  readonly existingWorkspaceId?: pulumi.Input<string>;
  readonly retentionInDays: pulumi.Input<number>;
  readonly defenderForContainers: pulumi.Input<boolean>;
  readonly tags: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Applies every default. Pure. */
export function resolveContainerInsightsArgs(args: ContainerInsightsArgs): ResolvedContainerInsightsArgs {
  return {
    resourceGroupName: args.resourceGroupName,
    location: args.location,
    existingWorkspaceId: args.existingWorkspaceId,
    retentionInDays: args.retentionInDays ?? CONTAINER_INSIGHTS_DEFAULTS.retentionInDays,
    defenderForContainers: args.defenderForContainers ?? CONTAINER_INSIGHTS_DEFAULTS.defenderForContainers,
    tags: args.tags ?? {},
  };
}
