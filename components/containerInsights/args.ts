/** Arguments of ContainerInsights (Azure Monitor for the inference cluster). */
import type * as pulumi from "@pulumi/pulumi";

export interface ContainerInsightsArgs {
  /**
   * Resource group for the workspace and data collection rule; when unset one is created.
   * Pass the cluster's group only if it already exists: ContainerInsights is created before the cluster.
   * @default a created resource group `<name>-rg<suffix>`
   */
  readonly resourceGroupName?: pulumi.Input<string>;
  /**
   * Region of the created resources.
   * @default the resource group's region
   */
  readonly location?: pulumi.Input<string>;
  /**
   * Use this existing Log Analytics workspace (ARM id) instead of creating one.
   * Azure ML workspaces bring their own; this mirrors attaching to it. Set `location` to the
   * workspace's region: the data collection rule is created there.
   */
  readonly existingWorkspaceId?: pulumi.Input<string>;
  /**
   * Log retention of the created workspace, in days (30-730).
   * @default 30
   */
  readonly retentionInDays?: pulumi.Input<number>;
  /**
   * Enable Microsoft Defender for Containers on the subscription (runtime protection and
   * registry vulnerability scanning) and its sensor on the cluster. Subscription-wide: it
   * affects every cluster and registry in the subscription.
   * @default false
   */
  readonly defenderForContainers?: pulumi.Input<boolean>;
  /**
   * Create a workspace-based Application Insights resource in the Log Analytics workspace
   * (Azure ML: the workspace's Application Insights, which `enable_app_insights` sends to).
   * Its `appInsightsConnectionString` goes to AzuremlFe and ModelWebservice; its ingestion
   * hosts join the cluster's egress list. A plain boolean: it decides which resources exist.
   * @default false
   */
  readonly applicationInsights?: pulumi.Input<boolean>;
  /**
   * Tags on every Azure resource created.
   * @default {}
   */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}
