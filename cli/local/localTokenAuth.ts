/**
 * Token auth in `aksml local`: a service with `"auth": {"mode": "token"}` and no
 * `issuer` is served with aksml local's own issuer (router/backends/local/localIssuer.ts),
 * whose address is known only once the admin port is. The config is parsed with a
 * placeholder issuer, and `bindBuiltInIssuer` puts the real one in at start. A service
 * that names its own `issuer` (say, a real Entra ID tenant) keeps it.
 */
import type { ServiceConfig } from "../../router/contract/serviceConfig.js";
import { LocalIssuer } from "../../router/backends/local/localIssuer.js";

/** Stands for the built-in issuer until the admin port is known; never served. */
export const BUILT_IN_ISSUER_PLACEHOLDER = "http://127.0.0.1/aksml-local-issuer";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The raw `config` with the placeholder issuer (and the default audience) when the built-in issuer is meant. */
export function withBuiltInIssuer(service: string, raw: unknown): { config: unknown; builtInIssuer: boolean } {
  if (!isObject(raw) || !isObject(raw.auth) || raw.auth.mode !== "token" || raw.auth.issuer !== undefined)
    return { config: raw, builtInIssuer: false };
  return {
    config: {
      ...raw,
      auth: {
        ...raw.auth,
        issuer: BUILT_IN_ISSUER_PLACEHOLDER,
        audience: raw.auth.audience ?? LocalIssuer.audienceFor(service),
      },
    },
    builtInIssuer: true,
  };
}

/** The service's settings pointed at the running issuer (a new object; the loaded config is left as read). */
export function bindBuiltInIssuer(config: ServiceConfig, issuer: LocalIssuer): ServiceConfig {
  return { ...config, auth: { ...config.auth, issuer: issuer.issuer, jwksUri: issuer.jwksUri, algorithms: ["RS256"] } };
}
