/**
 * The router's process settings, read from the environment (names fixed in the
 * platform conventions). Every bad value is reported at once with what to fix.
 */
import { MAX_REQUEST_BYTES, SERVICE_CONFIG_DEFAULTS } from "./contract/serviceConfig.js";

export type BackendKind = "kubernetes" | "local";

export interface RouterEnvConfig {
  backend: BackendKind;
  /** PEM files; both or neither. When set the data port serves HTTPS. */
  tls?: { certFile: string; keyFile: string };
  maxRequestBytes: number;
  podName: string;
  podNamespace?: string;
  podIp?: string;
  peersService?: string;
  leaseName?: string;
  routerDeployment?: string;
  selfScaling: boolean;
  logLevel: string;
  /** Longest wait for in-flight requests after SIGTERM. */
  shutdownGraceMs: number;
}

export class RouterConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid router environment:\n  - ${problems.join("\n  - ")}`);
    this.name = "RouterConfigError";
  }
}

/** Default drain time after SIGTERM: the default scoring timeout (60 s) plus 5 s. */
export const DEFAULT_SHUTDOWN_GRACE_MS = SERVICE_CONFIG_DEFAULTS.scoringTimeoutMs + 5_000;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env): RouterEnvConfig {
  const problems: string[] = [];
  const get = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };

  const backendRaw = get("AKSML_BACKEND") ?? "kubernetes";
  if (backendRaw !== "kubernetes" && backendRaw !== "local")
    problems.push(`AKSML_BACKEND must be "kubernetes" or "local", got ${JSON.stringify(backendRaw)}`);

  const certFile = get("AKSML_TLS_CERT_FILE");
  const keyFile = get("AKSML_TLS_KEY_FILE");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push(
      "AKSML_TLS_CERT_FILE and AKSML_TLS_KEY_FILE must be set together (PEM certificate chain and private key) or both left unset for plain HTTP",
    );
  }

  let maxRequestBytes = MAX_REQUEST_BYTES;
  const maxRaw = get("AKSML_MAX_REQUEST_BYTES");
  if (maxRaw !== undefined) {
    const n = Number(maxRaw);
    if (!/^\d+$/.test(maxRaw) || !Number.isSafeInteger(n) || n < 1 || n > MAX_REQUEST_BYTES) {
      problems.push(
        `AKSML_MAX_REQUEST_BYTES must be an integer between 1 and ${MAX_REQUEST_BYTES} (100 MB, the azureml-fe limit), got ${JSON.stringify(maxRaw)}`,
      );
    } else maxRequestBytes = n;
  }

  let selfScaling = false;
  const selfRaw = get("AKSML_SELF_SCALING");
  if (selfRaw !== undefined) {
    if (selfRaw !== "true" && selfRaw !== "false")
      problems.push(`AKSML_SELF_SCALING must be "true" or "false", got ${JSON.stringify(selfRaw)}`);
    selfScaling = selfRaw === "true";
  }

  // Default: the 60 s default scoring timeout plus margin, so a rollout never cuts a
  // request the replica is still allowed to answer.
  let shutdownGraceMs = DEFAULT_SHUTDOWN_GRACE_MS;
  const graceRaw = get("AKSML_SHUTDOWN_GRACE_MS");
  if (graceRaw !== undefined) {
    const n = Number(graceRaw);
    if (!/^\d+$/.test(graceRaw) || !Number.isSafeInteger(n) || n > 3_600_000) {
      problems.push(
        `AKSML_SHUTDOWN_GRACE_MS must be an integer number of milliseconds between 0 and 3600000, got ${JSON.stringify(graceRaw)}`,
      );
    } else shutdownGraceMs = n;
  }

  const logLevel = get("AKSML_LOG_LEVEL") ?? "info";
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`AKSML_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);

  if (problems.length) throw new RouterConfigError(problems);
  return {
    backend: backendRaw as BackendKind,
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    maxRequestBytes,
    podName: get("AKSML_POD_NAME") ?? `router-${process.pid}`,
    podNamespace: get("AKSML_POD_NAMESPACE"),
    podIp: get("AKSML_POD_IP"),
    peersService: get("AKSML_PEERS_SERVICE"),
    leaseName: get("AKSML_LEASE_NAME"),
    routerDeployment: get("AKSML_ROUTER_DEPLOYMENT"),
    selfScaling,
    logLevel,
    shutdownGraceMs,
  };
}
