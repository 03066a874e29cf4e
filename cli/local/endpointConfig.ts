/**
 * The `endpoints` of an `aksml local` config: several of its services behind one name,
 * each entry `{name, config, keys, sampleRequest}` where `config` is the same JSON as
 * the `aksml/endpoint-config` annotation (versions, mirrors, rollout plan) and each
 * version's `service` is one of the config's services. Problems are reported like the
 * services' (file, JSON path, fix).
 */
import { randomBytes } from "node:crypto";
import { parseEndpointConfig } from "../../router/contract/endpointConfigParser.js";
import { serviceKeyProblem } from "../../router/contract/serviceConfig.js";
import type { LocalEndpoint, LocalService } from "./config.js";

const ENDPOINT_KEYS = ["name", "config", "keys", "sampleRequest"];
const NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;
const DEFAULT_SAMPLE = { data: [[1, 2, 3]] };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The valid endpoints of `raw` (the config's `endpoints`); every problem goes to `add`. */
export function endpointProblems(
  raw: unknown,
  services: readonly LocalService[],
  add: (path: string, reason: string) => void,
): LocalEndpoint[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    add("endpoints", 'must be an array of endpoints, e.g. [{"name": "my-endpoint", "config": {"versions": [...]}}]');
    return [];
  }
  const out: LocalEndpoint[] = [];
  const serviceNames = new Set(services.map((s) => s.name));
  const seen = new Set<string>();
  raw.forEach((e: unknown, i: number) => {
    const at = `endpoints[${i}]`;
    if (!isObject(e)) {
      add(at, "must be an object with at least name and config");
      return;
    }
    for (const k of Object.keys(e))
      if (!ENDPOINT_KEYS.includes(k)) add(`${at}.${k}`, `unknown key; expected one of ${ENDPOINT_KEYS.join(", ")}`);
    const name = typeof e.name === "string" ? e.name : "";
    if (!NAME.test(name))
      add(
        `${at}.name`,
        `must be 1-32 lowercase letters, digits or '-' (it is the URL path /api/v1/service/<name>/score), got ${JSON.stringify(e.name)}`,
      );
    else if (serviceNames.has(name))
      add(
        `${at}.name`,
        `${JSON.stringify(name)} is also a service's name; endpoints and services share one URL path space`,
      );
    else if (seen.has(name)) add(`${at}.name`, `duplicate endpoint name ${JSON.stringify(name)}`);
    seen.add(name);
    const parsed = parseEndpointConfig(name || at, e.config ?? {});
    if (!parsed.ok) {
      for (const p of parsed.problems) add(`${at}.config${p.path === "$" ? "" : `.${p.path}`}`, p.reason);
      return;
    }
    parsed.config.versions.forEach((v, j) => {
      if (!serviceNames.has(v.service))
        add(
          `${at}.config.versions[${j}].service`,
          `${JSON.stringify(v.service)} is not one of this file's services (${[...serviceNames].join(", ")}); each version is one of them`,
        );
    });
    const mode = parsed.config.auth.mode;
    if (mode === "token")
      add(`${at}.config.auth.mode`, 'token auth needs an identity provider; use "key" or "none" locally');
    const keys = endpointKeys(e.keys, mode, at, add);
    out.push({
      name,
      config: parsed.config,
      keys: keys?.keys,
      generatedKeys: keys?.generated ?? false,
      sampleRequest: e.sampleRequest ?? DEFAULT_SAMPLE,
    });
  });
  return out;
}

function endpointKeys(
  raw: unknown,
  mode: string,
  at: string,
  add: (path: string, reason: string) => void,
): { keys: { primaryKey: string; secondaryKey: string }; generated: boolean } | undefined {
  if (raw === undefined) {
    if (mode !== "key") return undefined;
    const key = () => randomBytes(24).toString("base64url");
    return { keys: { primaryKey: key(), secondaryKey: key() }, generated: true };
  }
  if (mode !== "key")
    add(
      `${at}.keys`,
      `are only used with auth mode "key" (this endpoint has "${mode}"); remove keys or set config.auth.mode to "key"`,
    );
  if (!isObject(raw)) {
    add(`${at}.keys`, 'must be {"primaryKey": "...", "secondaryKey": "..."}');
    return undefined;
  }
  for (const k of Object.keys(raw))
    if (k !== "primaryKey" && k !== "secondaryKey")
      add(`${at}.keys.${k}`, "unknown key; expected primaryKey, secondaryKey");
  for (const k of ["primaryKey", "secondaryKey"] as const) {
    const problem = serviceKeyProblem(raw[k], 16);
    if (problem !== undefined)
      add(
        `${at}.keys.${k}`,
        `${problem}, as clients send it in "Authorization: Bearer <key>" (or leave keys out to have keys generated at startup)`,
      );
  }
  if (typeof raw.primaryKey === "string" && raw.primaryKey === raw.secondaryKey)
    add(
      `${at}.keys.secondaryKey`,
      "must differ from primaryKey (two keys exist so one can be rotated while the other works)",
    );
  return { keys: { primaryKey: String(raw.primaryKey), secondaryKey: String(raw.secondaryKey) }, generated: false };
}
