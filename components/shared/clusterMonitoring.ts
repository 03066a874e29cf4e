/**
 * What ContainerInsights hands to AksInferenceCluster (`ContainerInsights.clusterMonitoring`):
 * ContainerInsights is created first and the cluster takes this as `monitoring`, so the
 * two never form a cycle.
 */
import type * as pulumi from "@pulumi/pulumi";

/** What the cluster needs from ContainerInsights (its `clusterMonitoring` output). */
export interface AksMonitoringArgs {
  /** ARM id of the Log Analytics workspace the monitoring addon sends to. Required. */
  readonly logAnalyticsWorkspaceId: pulumi.Input<string>;
  /** ARM id of the Container Insights data collection rule to associate with the cluster. Required. */
  readonly dataCollectionRuleId: pulumi.Input<string>;
  /**
   * Turn on the Defender for Containers sensor on the cluster (the plan itself is enabled by ContainerInsights).
   * @default false
   */
  readonly defenderForContainers?: pulumi.Input<boolean>;
  /**
   * Application Insights receives telemetry from the cluster (the router, model
   * containers): its ingestion hosts join the egress list and the firewall rules.
   * ContainerInsights sets it when it creates the resource; set it by hand for your own.
   * @default false
   */
  readonly applicationInsights?: pulumi.Input<boolean>;
}
