/**
 * The `aksml local` config file: which model services to run as local processes and
 * how the router serves them. Every problem is reported at once with the file, the
 * JSON path and how to fix it; unknown keys are problems too (a typo must not be
 * silently ignored).
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { parseServiceConfig, serviceKeyProblem } from "../../router/contract/serviceConfig.js";
import type { LocalEndpointSpec, LocalServiceSpec } from "../../router/backends/local/localBackend.js";
import { endpointProblems } from "./endpointConfig.js";
import { withBuiltInIssuer } from "./localTokenAuth.js";
import { localCaptureFrom, type LocalCapture } from "./captureConfig.js";

export interface LocalService extends LocalServiceSpec {
  /** Body used in the printed curl example. */
  sampleRequest: unknown;
  /** True when the keys were generated at startup (printed once, never written anywhere). */
  generatedKeys: boolean;
  /** Token auth with aksml local's own issuer (no `auth.issuer` given): bound to it at start. */
  builtInIssuer: boolean;
}

export interface LocalEndpoint extends LocalEndpointSpec {
  sampleRequest: unknown;
  generatedKeys: boolean;
}

export interface LocalConfig {
  file: string;
  host: string;
  port: number;
  adminPort: number;
  services: LocalService[];
  /** Model data capture for services with `collectModelData`: a folder or a storage account. */
  capture?: LocalCapture;
  /** Endpoints over the services (several versions behind one name). */
  endpoints: LocalEndpoint[];
}

export class LocalConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "LocalConfigError";
  }
}

const TOP_KEYS = ["port", "adminPort", "host", "services", "endpoints", "capture"];
const SERVICE_KEYS = ["name", "command", "cwd", "env", "config", "keys", "sampleRequest"];
const NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;
const DEFAULT_SAMPLE = { data: [[1, 2, 3]] };
/** Replicas one local service may run (each is a process on this machine; the contract allows far more). */
export const LOCAL_MAX_REPLICAS = 16;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function loadLocalConfig(file: string): LocalConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new LocalConfigError(file, [
      `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass the path of an aksml local config, e.g. examples/local/aksml-local.json`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LocalConfigError(file, [
      `$: not valid JSON (${(e as Error).message}); fix the syntax (JSON has no comments or trailing commas)`,
    ]);
  }
  return validateLocalConfig(raw, file);
}

/** Validates a parsed config; relative `cwd`s resolve against the file's directory. */
export function validateLocalConfig(raw: unknown, file: string): LocalConfig {
  const problems: string[] = [];
  const add = (path: string, reason: string) => problems.push(`${path}: ${reason}`);
  if (!isObject(raw))
    throw new LocalConfigError(file, ['$: must be a JSON object like {"port": 8080, "services": [...]}']);
  for (const k of Object.keys(raw))
    if (!TOP_KEYS.includes(k)) add(k, `unknown key; expected one of ${TOP_KEYS.join(", ")}`);

  const port = (key: "port" | "adminPort", fallback: number): number => {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) {
      add(key, `must be an integer port between 0 and 65535 (0 picks a free one), got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };
  const host = raw.host === undefined ? "127.0.0.1" : raw.host;
  if (typeof host !== "string" || !host)
    add(
      "host",
      `must be an address to listen on, e.g. "127.0.0.1" (default) or "0.0.0.0", got ${JSON.stringify(raw.host)}`,
    );

  const baseDir = dirname(resolve(file));
  const resolveCwd = (cwd: string) => (isAbsolute(cwd) ? cwd : resolve(baseDir, cwd));
  const services: LocalService[] = [];
  if (!Array.isArray(raw.services) || raw.services.length === 0) {
    add(
      "services",
      'must be a non-empty array of services, e.g. [{"name": "my-model", "command": "azmlinfsrv --entry_script score.py --port $PORT"}]',
    );
  } else {
    const seen = new Set<string>();
    raw.services.forEach((s: unknown, i: number) => {
      const at = `services[${i}]`;
      if (!isObject(s)) {
        add(at, "must be an object with at least name and command");
        return;
      }
      for (const k of Object.keys(s))
        if (!SERVICE_KEYS.includes(k)) add(`${at}.${k}`, `unknown key; expected one of ${SERVICE_KEYS.join(", ")}`);
      const name = typeof s.name === "string" ? s.name : "";
      if (!NAME.test(name))
        add(
          `${at}.name`,
          `must be 1-32 lowercase letters, digits or '-' (it is the URL path /api/v1/service/<name>/score), got ${JSON.stringify(s.name)}`,
        );
      else if (seen.has(name))
        add(`${at}.name`, `duplicate service name ${JSON.stringify(name)}; give each service its own name`);
      seen.add(name);
      if (typeof s.command !== "string" || !s.command.trim())
        add(
          `${at}.command`,
          'must be a shell command that serves the model on $PORT, e.g. "azmlinfsrv --entry_script score.py --port $PORT"',
        );
      else if (!/\$\{?PORT\b/.test(s.command))
        add(`${at}.command`, "must use $PORT (the port each replica is given on 127.0.0.1), e.g. append --port $PORT");
      if (s.cwd !== undefined && (typeof s.cwd !== "string" || !s.cwd))
        add(`${at}.cwd`, `must be a directory path (relative to the config file), got ${JSON.stringify(s.cwd)}`);
      else if (typeof s.cwd === "string" && !isDirectory(resolveCwd(s.cwd)))
        // Otherwise every replica fails to spawn and is replaced, forever, with no message naming the cause.
        add(
          `${at}.cwd`,
          `${JSON.stringify(resolveCwd(s.cwd))} is not an existing directory (relative paths resolve against the config file's directory)`,
        );
      if (s.env !== undefined && (!isObject(s.env) || !Object.values(s.env).every((v) => typeof v === "string")))
        add(`${at}.env`, 'must be an object of string values, e.g. {"SCORER_DELAY_MS": "50"} (quote numbers)');

      // Token auth without an issuer uses aksml local's own (see localTokenAuth.ts).
      const { config: rawConfig, builtInIssuer } = withBuiltInIssuer(name, s.config ?? {});
      const parsed = parseServiceConfig(name || `services[${i}]`, rawConfig);
      if (!parsed.ok)
        for (const p of parsed.problems) add(`${at}.config${p.path === "$" ? "" : `.${p.path}`}`, p.reason);
      if (parsed.ok) {
        const { numReplicas, autoscale } = parsed.config;
        for (const [path, n] of [
          ["numReplicas", numReplicas],
          ["autoscale.minReplicas", autoscale.minReplicas],
          ["autoscale.maxReplicas", autoscale.maxReplicas],
        ] as const) {
          if (n !== undefined && n > LOCAL_MAX_REPLICAS)
            add(
              `${at}.config.${path}`,
              `must be <= ${LOCAL_MAX_REPLICAS} locally (each replica is a process on this machine), got ${n}`,
            );
        }
      }

      let keys: LocalService["keys"];
      let generatedKeys = false;
      const mode = parsed.ok ? parsed.config.auth.mode : "key";
      if (s.keys !== undefined) {
        if (mode !== "key")
          add(
            `${at}.keys`,
            `are only used with auth mode "key" (this service has "${mode}"); remove keys or set config.auth.mode to "key"`,
          );
        const k = s.keys;
        if (!isObject(k)) add(`${at}.keys`, 'must be {"primaryKey": "...", "secondaryKey": "..."}');
        else {
          for (const extra of Object.keys(k))
            if (extra !== "primaryKey" && extra !== "secondaryKey")
              add(`${at}.keys.${extra}`, "unknown key; expected primaryKey, secondaryKey");
          for (const kk of ["primaryKey", "secondaryKey"] as const) {
            const problem = serviceKeyProblem(k[kk], 16);
            if (problem !== undefined)
              add(
                `${at}.keys.${kk}`,
                `${problem}, as clients send it in "Authorization: Bearer <key>" (or leave keys out to have keys generated at startup)`,
              );
          }
          if (typeof k.primaryKey === "string" && k.primaryKey === k.secondaryKey)
            add(
              `${at}.keys.secondaryKey`,
              "must differ from primaryKey (two keys exist so one can be rotated while the other works)",
            );
          keys = { primaryKey: String(k.primaryKey), secondaryKey: String(k.secondaryKey) };
        }
      } else if (mode === "key") {
        keys = {
          primaryKey: randomBytes(24).toString("base64url"),
          secondaryKey: randomBytes(24).toString("base64url"),
        };
        generatedKeys = true;
      }
      if (!parsed.ok || typeof s.command !== "string") return;
      services.push({
        name,
        command: s.command,
        cwd: typeof s.cwd === "string" ? resolveCwd(s.cwd) : baseDir,
        env: isObject(s.env) ? (s.env as Record<string, string>) : undefined,
        config: parsed.config,
        keys,
        sampleRequest: s.sampleRequest ?? DEFAULT_SAMPLE,
        generatedKeys,
        builtInIssuer,
      });
    });
  }
  const endpoints = endpointProblems(raw.endpoints, services, add);
  const config: LocalConfig = {
    file,
    host: typeof host === "string" ? host : "127.0.0.1",
    port: port("port", 8080),
    adminPort: port("adminPort", 9091),
    services,
    capture: localCaptureFrom(raw.capture, baseDir, add),
    endpoints,
  };
  // Both listeners on one port failed at startup with a bare EADDRINUSE naming neither the file nor the key.
  if (config.port !== 0 && config.port === config.adminPort)
    add(
      raw.adminPort === undefined ? "port" : "adminPort",
      `the data port and the admin port are both ${config.port}; give them different ports (adminPort defaults to 9091, 0 picks a free one)`,
    );
  if (problems.length) throw new LocalConfigError(file, problems);
  return config;
}
