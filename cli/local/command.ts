/**
 * `aksml local <config.json>`: runs the router in front of model replicas that are
 * local processes, with the same autoscaler as in the cluster, so a model can be
 * scored, debugged and watched scaling before it is deployed. SIGINT, SIGTERM and
 * SIGHUP stop the router (in-flight requests finish) and every replica; a second Ctrl-C
 * during that stop kills the replicas at once (stopSignals.ts). Replicas die with the
 * router even when it is killed outright (the lifeline in replicaProcess.ts).
 *
 * Day-2: the admin port (always 127.0.0.1) carries the admin API the `--local` commands
 * call (adminApi.ts), authenticated with a token from a 0600 state file (adminState.ts);
 * token-auth services without an issuer get aksml local's own (localTokenAuth.ts); keys
 * edited in the config file, or regenerated, are served at once (configKeys.ts).
 */
import { randomBytes } from "node:crypto";
import { constants as osConstants } from "node:os";
import { parseArgs } from "node:util";
import { startRouter, type RunningRouter } from "../../router/startRouter.js";
import { createLogger, teeToStdout } from "../../router/log.js";
import { LocalProcessBackend, type LocalServiceSpec } from "../../router/backends/local/localBackend.js";
import { freePort } from "../../router/backends/local/freePort.js";
import { LocalIssuer } from "../../router/backends/local/localIssuer.js";
import { LogStore } from "../../router/backends/local/logStore.js";
import {
  LocalConfigError,
  loadLocalConfig,
  type LocalConfig,
  type LocalEndpoint,
  type LocalService,
} from "./config.js";
import { staticWeights } from "../../router/contract/endpointConfig.js";
import { watchStopSignals } from "./stopSignals.js";
import { adminApiRoutes } from "./adminApi.js";
import { removeAdminState, writeAdminState } from "./adminState.js";
import { persistKey, watchConfigKeys } from "./configKeys.js";
import { bindBuiltInIssuer } from "./localTokenAuth.js";
import type { LocalCapture } from "./captureConfig.js";
import { BlobCaptureSink, DirectoryCaptureSink, type CaptureSink } from "../../router/capture/sinks.js";

/** The capture destination of `aksml local`: a folder, or a storage account (whose container it creates if missing). */
async function localCaptureSink(c: LocalCapture): Promise<CaptureSink> {
  if (c.dir) return new DirectoryCaptureSink(c.dir);
  const sink = BlobCaptureSink.fromConnectionString(c.connectionString!, c.container);
  await sink.ensureContainer();
  return sink;
}

/** The admin API (keys, tokens) is never reachable from another machine. */
const ADMIN_HOST = "127.0.0.1";

export const USAGE = `usage: aksml local <config.json> [options]

Runs the aksml router on this machine with each model service's replicas as local
processes (started from its command with $PORT), autoscaled like in the cluster.

options:
  -p, --port N        data port (overrides the file's "port"; 0 picks a free one)
      --admin-port N  admin port on 127.0.0.1: /metrics and the admin API of the day-2
                      commands' --local (overrides "adminPort"; default 9091)
  -h, --help          this help

day-2: aksml list|keys|regen-key|token|logs|state|wait|score <service> --local
  (keys edited in the config file are served at once, no restart)

environment: AKSML_LOG_LEVEL (router JSON logs on stdout; default warn)
config file: {"port": 8080, "services": [{"name", "command", "cwd", "env", "config", "keys"}],
              "endpoints": [{"name", "config", "keys"}]}
  see examples/local/aksml-local.json, aksml-endpoint.json and examples/local/README.md
`;

function portArg(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new Error(`${flag} must be a port number (0-65535), got ${JSON.stringify(value)}`);
  return n;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlFor(service: LocalService | LocalEndpoint, dataUrl: string): string {
  const parts = [`curl -s -X POST ${dataUrl}/api/v1/service/${service.name}/score`];
  if (service.config.auth.mode === "key" && service.keys)
    parts.push(`-H ${shellQuote(`Authorization: Bearer ${service.keys.primaryKey}`)}`);
  parts.push(`-H 'Content-Type: application/json'`, `-d ${shellQuote(JSON.stringify(service.sampleRequest))}`);
  return parts.join(" ");
}

function describe(config: LocalConfig, dataUrl: string, adminUrl: string, stateFile: string): string {
  const lines = [
    `aksml local: router listening on ${dataUrl} (metrics: ${adminUrl}/metrics)`,
    `admin API for the day-2 commands (--local): ${adminUrl} (its token: ${stateFile})`,
  ];
  for (const s of config.services) {
    const a = s.config.autoscale;
    const scaling = a.enabled
      ? `autoscale ${a.minReplicas}..${a.maxReplicas} replicas at ${a.targetUtilization}% target, scale-down after ${a.scaleDownDelaySeconds} s`
      : `${s.config.numReplicas} fixed replicas`;
    lines.push(
      "",
      `service ${s.name} (${scaling}; auth: ${s.config.auth.mode})`,
      `  scoring URL: ${dataUrl}/api/v1/service/${s.name}/score`,
    );
    if (s.generatedKeys && s.keys)
      lines.push(
        `  keys generated for this run only (not saved): primary ${s.keys.primaryKey}  secondary ${s.keys.secondaryKey}`,
      );
    if (s.config.auth.mode === "token")
      lines.push(
        `  token auth${s.builtInIssuer ? " with aksml local's issuer" : ` with ${s.config.auth.issuer}`}: aksml score ${s.name} --local ${adminUrl} --data '${JSON.stringify(s.sampleRequest)}'`,
      );
    else lines.push(`  try: ${curlFor(s, dataUrl)}`);
  }
  for (const e of config.endpoints) lines.push("", ...describeEndpoint(e, dataUrl));
  lines.push("", "Ctrl-C stops the router and every replica (closing the terminal does too).");
  return lines.join("\n");
}

function describeEndpoint(e: LocalEndpoint, dataUrl: string): string[] {
  const weights = staticWeights(e.config);
  const versions = e.config.versions.map((v) => {
    const roles = [v.isDefault ? "default" : "", v.isControlVersion ? "control" : ""].filter(Boolean);
    const mirror = v.mirrorPercentile > 0 ? `, mirror ${v.mirrorPercentile}%` : "";
    return `${v.version} ${weights[v.version]}% -> ${v.service}${roles.length ? ` (${roles.join(", ")})` : ""}${mirror}`;
  });
  const r = e.config.rollout;
  const lines = [
    `endpoint ${e.name} (auth: ${e.config.auth.mode}): ${versions.join("; ")}`,
    `  scoring URL: ${dataUrl}/api/v1/service/${e.name}/score (header "azureml-model-deployment: <version>" pins a version)`,
  ];
  if (r)
    lines.push(
      `  rollout of ${r.version}: steps ${r.steps.join(", ")}% every ${r.intervalSeconds} s (status: the admin port's /endpoints)`,
    );
  if (e.generatedKeys && e.keys)
    lines.push(
      `  keys generated for this run only (not saved): primary ${e.keys.primaryKey}  secondary ${e.keys.secondaryKey}`,
    );
  lines.push(`  try: ${curlFor(e, dataUrl)}`);
  return lines;
}

export async function run(argv: string[]): Promise<number> {
  let values: { port?: string; "admin-port"?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: "string", short: "p" },
        "admin-port": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`aksml local: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`aksml local: expected exactly one config file, got ${positionals.length}\n\n${USAGE}`);
    return 2;
  }

  let config: LocalConfig;
  let ports: { port?: number; adminPort?: number };
  try {
    ports = { port: portArg(values.port, "--port"), adminPort: portArg(values["admin-port"], "--admin-port") };
    config = loadLocalConfig(positionals[0]!);
    const dataPort = ports.port ?? config.port;
    if (dataPort !== 0 && dataPort === (ports.adminPort ?? config.adminPort))
      throw new Error(
        `the data port and the admin port would both be ${dataPort}; pass different --port and --admin-port values`,
      );
  } catch (e) {
    console.error(
      e instanceof LocalConfigError
        ? `aksml local: invalid config ${e.message}`
        : `aksml local: ${(e as Error).message}`,
    );
    return e instanceof LocalConfigError ? 1 : 2;
  }

  // After SIGHUP the terminal may be gone and a write to it fail (EIO); that must not end the graceful stop.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  const routerLogs = new LogStore();
  const log = createLogger(
    process.env.AKSML_LOG_LEVEL ?? "warn",
    teeToStdout((line) => routerLogs.append("router", line)),
  );
  // The admin port is fixed before anything starts: the built-in issuer's URL (in the
  // services' settings) and the state file's name both contain it.
  const adminPort = (ports.adminPort ?? config.adminPort) || (await freePort(ADMIN_HOST));
  const adminUrl = `http://${ADMIN_HOST}:${adminPort}`;
  const issuer = config.services.some((s) => s.builtInIssuer) ? await LocalIssuer.create(adminUrl) : undefined;
  const specs: LocalServiceSpec[] = config.services.map((s) => ({
    name: s.name,
    command: s.command,
    cwd: s.cwd,
    env: s.env,
    config: s.builtInIssuer && issuer ? bindBuiltInIssuer(s.config, issuer) : s.config,
    keys: s.keys && { ...s.keys },
  }));
  const backend = new LocalProcessBackend(specs, { log, endpoints: config.endpoints });
  const adminToken = randomBytes(32).toString("base64url");
  let dataUrl = "";
  const generated = new Set(config.services.filter((s) => s.generatedKeys).map((s) => s.name));
  const adminRoutes = adminApiRoutes({
    backend,
    routerLogs,
    issuer,
    builtInIssuer: new Set(config.services.filter((s) => s.builtInIssuer).map((s) => s.name)),
    adminToken,
    dataUrl: () => dataUrl,
    persistKey: (service, oldKey, newKey) => {
      if (generated.has(service))
        return "this run only (the keys were generated at start; add keys to the config file to keep them)";
      const outcome = persistKey(config.file, service, oldKey, newKey);
      return outcome.persisted ? `config file ${config.file}` : `this run only: ${outcome.why}`;
    },
  });
  let router: RunningRouter | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let requestStop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  // Listen for signals before anything starts, so a stop during startup still stops the replicas.
  const signals = watchStopSignals({
    stop: (sig) => {
      stopSignal = sig;
      console.log(`aksml local: ${sig}: stopping the router and its replicas`);
      // Replicas still waiting on their health check are stopped now, not after the health timeout.
      if (!router) void backend.stop();
      requestStop();
    },
    forceArmed: () => console.log("aksml local: still stopping; Ctrl-C again to kill every replica now"),
    force: (sig) => {
      backend.killNow();
      console.log(`aksml local: ${sig} again: killed every replica`);
      process.exit(128 + osConstants.signals[sig]);
    },
  });
  router = await startRouter({
    backend,
    logger: log,
    onScalingDecision: (d) =>
      console.log(
        `aksml local: ${d.service} ${d.to > d.from ? "scaling up" : "scaling down"} ${d.from} -> ${d.to} replicas (utilization ${Number.isFinite(d.utilizationPercent) ? Math.round(d.utilizationPercent) : "n/a"}%)`,
      ),
    onRolloutDecision: (endpoint, e) => console.log(`aksml local: endpoint ${endpoint}: ${e.message}`),
    host: config.host,
    adminHost: ADMIN_HOST,
    dataPort: ports.port ?? config.port,
    adminPort,
    adminRoutes,
    shutdownGraceMs: 10_000,
    capture: config.capture && {
      sink: await localCaptureSink(config.capture),
      bufferBytes: config.capture.bufferBytes,
      podName: "local",
    },
  });
  dataUrl = router.dataUrl;
  const stateFile = writeAdminState(adminPort, {
    adminUrl,
    dataUrl,
    token: adminToken,
    pid: process.pid,
    config: config.file,
  });
  // Also on a forced exit (second Ctrl-C): a stale token file would only mislead the day-2 commands.
  process.once("exit", () => removeAdminState(adminPort, adminToken));
  const keysWatch = watchConfigKeys(
    config,
    (service) => backend.spec(service)?.keys,
    (service, keys) => backend.setKeys(service, keys),
    (message) => console.log(`aksml local: ${message}`),
  );
  if (stopSignal === undefined) console.log(describe(config, router.dataUrl, adminUrl, stateFile));

  await stopRequested;
  keysWatch.stop();
  removeAdminState(adminPort, adminToken);
  await router.stop();
  signals.stopped();
  console.log("aksml local: stopped");
  return 0;
}
