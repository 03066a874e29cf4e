/**
 * The backends the image's `serve` command composes, by their AKSML_BACKEND name:
 * one line each. A backend's module is loaded only when it is chosen.
 */
import type { RouterEnvConfig } from "../config.js";
import type { RouterBackend } from "../contract/backend.js";
import { KUBERNETES_BACKEND } from "../contract/routerEnvironment.js";
import type { Log } from "../log.js";

/** Builds a backend from the router's environment; `log` is the router's own logger. */
export type BackendFactory = (config: RouterEnvConfig, log: Log) => Promise<RouterBackend>;

export const BACKENDS = {
  [KUBERNETES_BACKEND]: async (config, log) =>
    new (await import("./kubernetes/kubernetesBackend.js")).KubernetesBackend(config, log),
  // Known but not served by the image: local replicas are described by a services
  // file, which `aksml local <file>` reads and composes itself (cli/local).
  local: undefined,
} satisfies Record<string, BackendFactory | undefined>;

export type BackendKind = keyof typeof BACKENDS;
