/**
 * ContainerInsights: a Log Analytics workspace (created or existing), the Container
 * Insights data collection rule, and optionally a workspace-based Application Insights
 * resource and Defender for Containers.
 *
 * Wiring without a cycle: create ContainerInsights first and pass its
 * `clusterMonitoring` to `AksInferenceCluster({ monitoring })`. The cluster then turns
 * on its monitoring addon (and the Defender sensor) pointed at this workspace and
 * creates the rule's association as its own child, since only it knows the cluster id.
 */
import * as pulumi from "@pulumi/pulumi";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights/index.js";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import * as security from "@pulumi/azure-native/security/index.js";
import type { AksMonitoringArgs } from "../shared/clusterMonitoring.js";
import type { ContainerInsightsArgs } from "./args.js";
import { CONTAINER_INSIGHTS_ARG_SHAPE } from "./argShape.js";
import { checkArgShape } from "../shared/argShape.js";
import { CONTAINER_INSIGHTS_DEFAULTS, resolveContainerInsightsArgs } from "./defaults.js";
import { validateContainerInsightsArgs } from "./validate.js";
import { checkedWhenKnown, known } from "../shared/inputs.js";

export class ContainerInsights extends pulumi.ComponentResource {
  /** ARM id of the Log Analytics workspace (created or existing). */
  public readonly workspaceId: pulumi.Output<string>;
  /** ARM id of the Container Insights data collection rule. */
  public readonly dataCollectionRuleId: pulumi.Output<string>;
  public readonly resourceGroupName: pulumi.Output<string>;
  public readonly location: pulumi.Output<string>;
  public readonly retentionInDays: pulumi.Output<number>;
  public readonly defenderForContainers: pulumi.Output<boolean>;
  /** With `applicationInsights`: the resource's connection string (secret), for AzuremlFe and ModelWebservice; else undefined. */
  public readonly appInsightsConnectionString: pulumi.Output<string | undefined>;
  /** With `applicationInsights`: the Application Insights resource's ARM id; else undefined. */
  public readonly appInsightsId: pulumi.Output<string | undefined>;
  /** Pass to `AksInferenceCluster({ monitoring })`. */
  public readonly clusterMonitoring: AksMonitoringArgs;

  constructor(name: string, args: ContainerInsightsArgs, opts?: pulumi.ComponentResourceOptions) {
    checkArgShape("ContainerInsights", name, CONTAINER_INSIGHTS_ARG_SHAPE, args);
    validateContainerInsightsArgs(name, args);
    super("aksml:index:ContainerInsights", name, {}, opts);
    const r = resolveContainerInsightsArgs(args);
    // biome-ignore lint/complexity/noUselessThisAlias: every child takes `{ parent }` and helpers take it as an argument
    const parent = this;
    // Values that were Outputs are validated once known, by the same rules; the workspace is built from them.
    const checked = checkedWhenKnown(
      { retentionInDays: r.retentionInDays, existingWorkspaceId: r.existingWorkspaceId },
      (v) =>
        validateContainerInsightsArgs(name, {
          ...args,
          retentionInDays: args.retentionInDays === undefined ? undefined : v.retentionInDays,
          existingWorkspaceId: v.existingWorkspaceId,
        }),
    );

    let resourceGroupName: pulumi.Output<string>;
    let location: pulumi.Output<string>;
    if (r.resourceGroupName !== undefined) {
      resourceGroupName = pulumi.output(r.resourceGroupName);
      location =
        r.location !== undefined
          ? pulumi.output(r.location)
          : resources.getResourceGroupOutput({ resourceGroupName: r.resourceGroupName }, { parent }).location;
    } else {
      const rg = new resources.ResourceGroup(`${name}-rg`, { location: r.location, tags: r.tags }, { parent });
      resourceGroupName = rg.name;
      location = rg.location;
    }

    let workspaceId: pulumi.Output<string>;
    if (r.existingWorkspaceId !== undefined) {
      workspaceId = checked.apply((v) => v.existingWorkspaceId!);
    } else {
      const workspace = new operationalinsights.Workspace(
        `${name}-logs`,
        {
          resourceGroupName,
          location,
          sku: { name: CONTAINER_INSIGHTS_DEFAULTS.workspaceSku },
          retentionInDays: checked.retentionInDays,
          tags: r.tags,
        },
        { parent },
      );
      workspaceId = workspace.id;
    }

    const stream = CONTAINER_INSIGHTS_DEFAULTS.stream;
    const rule = new monitor.DataCollectionRule(
      `${name}-dcr`,
      {
        resourceGroupName,
        location,
        kind: "Linux",
        description: "Container Insights for the aksml inference cluster",
        dataSources: {
          extensions: [
            {
              name: "ContainerInsightsExtension",
              extensionName: "ContainerInsights",
              streams: [stream],
              extensionSettings: {
                dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true },
              },
            },
          ],
        },
        destinations: { logAnalytics: [{ name: "ciworkspace", workspaceResourceId: workspaceId }] },
        dataFlows: [{ streams: [stream], destinations: ["ciworkspace"] }],
        tags: r.tags,
      },
      { parent },
    );

    // Workspace-based: its data lands in the Log Analytics workspace (AppRequests, AppDependencies, ...).
    const insights =
      known(args.applicationInsights) === true
        ? new applicationinsights.Component(
            `${name}-appinsights`,
            {
              resourceGroupName,
              location,
              kind: "web",
              applicationType: "web",
              workspaceResourceId: workspaceId,
              ingestionMode: "LogAnalytics",
              tags: r.tags,
            },
            { parent, additionalSecretOutputs: ["connectionString", "instrumentationKey"] },
          )
        : undefined;

    const defender = known(r.defenderForContainers) === true;
    if (defender) {
      const subscriptionId = authorization.getClientConfigOutput({ parent }).subscriptionId;
      new security.Pricing(
        `${name}-defender`,
        {
          pricingName: "Containers",
          pricingTier: "Standard",
          scopeId: pulumi.interpolate`/subscriptions/${subscriptionId}`,
          extensions: [
            { name: "ContainerRegistriesVulnerabilityAssessments", isEnabled: "True" },
            { name: "ContainerSensor", isEnabled: "True" },
          ],
        },
        { parent },
      );
    }

    this.workspaceId = workspaceId;
    this.dataCollectionRuleId = rule.id;
    this.resourceGroupName = resourceGroupName;
    this.location = location;
    this.retentionInDays = checked.retentionInDays;
    this.defenderForContainers = pulumi.output(defender);
    // Secret either way, so the output's type does not depend on whether the resource exists.
    this.appInsightsConnectionString = pulumi.secret(insights ? insights.connectionString : undefined);
    this.appInsightsId = insights ? insights.id : pulumi.output(undefined);
    this.clusterMonitoring = {
      logAnalyticsWorkspaceId: workspaceId,
      dataCollectionRuleId: rule.id,
      defenderForContainers: defender,
      applicationInsights: insights !== undefined,
    };
    this.registerOutputs({
      workspaceId: this.workspaceId,
      dataCollectionRuleId: this.dataCollectionRuleId,
      resourceGroupName: this.resourceGroupName,
      location: this.location,
      retentionInDays: this.retentionInDays,
      defenderForContainers: this.defenderForContainers,
      appInsightsConnectionString: this.appInsightsConnectionString,
      appInsightsId: this.appInsightsId,
    });
  }
}
