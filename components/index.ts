/** The public API of aksml: the five components and their argument types. */
export * from "./shared/clusterConnection.js";
export * from "./shared/clusterMonitoring.js";
export * from "./shared/routerConnection.js";
export type { PropertyProblem } from "./shared/problems.js";
export * from "./aksInferenceCluster/index.js";
export * from "./containerInsights/index.js";
export * from "./azuremlFe/index.js";
export * from "./modelWebservice/index.js";
export * from "./modelEndpoint/index.js";
