/** Every ContainerInsights arg and its kind (the compiler holds this complete; see shared/argShape.ts). */
import type { ArgShape } from "../shared/argShape.js";
import type { ContainerInsightsArgs } from "./args.js";

export const CONTAINER_INSIGHTS_ARG_SHAPE = {
  resourceGroupName: "string",
  location: "string",
  existingWorkspaceId: "string",
  retentionInDays: "number",
  defenderForContainers: "boolean",
  applicationInsights: "boolean",
  tags: "stringMap",
} as const satisfies ArgShape<ContainerInsightsArgs>;
