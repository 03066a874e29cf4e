/**
 * `aksml token` for a token-auth service in the cluster: an Entra ID access token for
 * the service's application, from `DefaultAzureCredential` (environment, workload
 * identity, managed identity, Azure CLI, Azure PowerShell, Azure Developer CLI, in that
 * order), scope `<audience>/.default` in the issuer's tenant.
 *
 * `refreshBy` is Azure ML's `refresh_by`: after it, request a new token. It is the
 * earlier of the credential's own refresh hint and the expiry minus a safety margin
 * (the margin covers clock skew and a request in flight when the token runs out).
 */
import { DefaultAzureCredential, type AccessToken } from "@azure/identity";
import { TOKEN_REFRESH_MARGIN_S } from "../../router/backends/local/localIssuer.js";
import type { AuthConfig } from "../../router/contract/serviceConfig.js";
import type { AccessTokenReport } from "./model.js";
import { Day2Error } from "./target.js";

/** `https://login.microsoftonline.com/<tenant>/v2.0` -> `<tenant>`. */
export function entraTenantOf(issuer: string | undefined): string | undefined {
  const m = /^https:\/\/login\.microsoftonline\.com\/([^/]+)\/v2\.0\/?$/.exec(issuer ?? "");
  return m?.[1];
}

/** The scope to request for a service whose tokens carry `aud` = `audience`. */
export function scopeFor(audience: string): string {
  return `${audience.replace(/\/+$/, "")}/.default`;
}

export function refreshByOf(token: Pick<AccessToken, "expiresOnTimestamp" | "refreshAfterTimestamp">): number {
  const marginMs = Math.min(TOKEN_REFRESH_MARGIN_S * 1000, (token.expiresOnTimestamp - Date.now()) / 2);
  return Math.min(token.refreshAfterTimestamp ?? Number.POSITIVE_INFINITY, token.expiresOnTimestamp - marginMs);
}

function claimsOf(jwt: string): { aud?: unknown; iss?: unknown } {
  try {
    return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as { aud?: unknown };
  } catch {
    return {};
  }
}

/**
 * Whether the token can be what the router accepts (`iss`, `aud`), without verifying it:
 * a mismatch explained now beats a 401 later.
 */
export function tokenMismatch(jwt: string, auth: AuthConfig): string | undefined {
  const { aud, iss } = claimsOf(jwt);
  const accepted = [auth.audience, ...(auth.additionalAudiences ?? [])];
  const auds = Array.isArray(aud) ? aud : [aud];
  if (aud !== undefined && !auds.some((a) => accepted.includes(a as string)))
    return `the token's audience ${JSON.stringify(aud)} is not one the service accepts (${accepted.join(", ")})`;
  if (iss !== undefined && iss !== auth.issuer)
    return `the token's issuer ${JSON.stringify(iss)} is not the service's (${auth.issuer})`;
  return undefined;
}

export async function entraToken(service: string, auth: AuthConfig): Promise<AccessTokenReport> {
  if (!auth.audience) throw new Day2Error(`service ${service} has token auth but no audience in its settings`);
  const tenantId = entraTenantOf(auth.issuer);
  let token: AccessToken;
  try {
    token = await new DefaultAzureCredential().getToken(scopeFor(auth.audience), tenantId ? { tenantId } : undefined);
  } catch (e) {
    const first = ((e as Error).message ?? String(e)).split("\n")[0];
    throw new Day2Error(
      `no Entra ID token for ${scopeFor(auth.audience)}${tenantId ? ` in tenant ${tenantId}` : ""}: ${first}; sign in (az login${tenantId ? ` --tenant ${tenantId}` : ""}) or run with a managed or workload identity`,
    );
  }
  return {
    accessToken: token.token,
    tokenType: "Bearer",
    refreshBy: new Date(refreshByOf(token)).toISOString(),
    expiresOn: new Date(token.expiresOnTimestamp).toISOString(),
  };
}
