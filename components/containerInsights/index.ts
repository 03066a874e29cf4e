export { ContainerInsights } from "./containerInsights.js";
export type { ContainerInsightsArgs } from "./args.js";
export {
  resolveContainerInsightsArgs,
  CONTAINER_INSIGHTS_DEFAULTS,
  type ResolvedContainerInsightsArgs,
} from "./defaults.js";
export { validateContainerInsightsArgs, containerInsightsProblems } from "./validate.js";
