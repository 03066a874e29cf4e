/**
 * The offline preview as a library (`aksml/preview`): plan a stack program under Pulumi's
 * mock runtime in a test, as `aksml plan` does. One program per process: Pulumi's
 * runtime state is process-global.
 */
export { planProgram, type PlanOptions, type ProgramPlan } from "./planProgram.js";
export { loadStackSettings, PlanSetupError, type StackSettings } from "./stackConfig.js";
export type { PlanGraph, PolicyReport } from "./capturedGraph.js";
