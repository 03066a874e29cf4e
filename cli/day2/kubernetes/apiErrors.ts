/**
 * Kubernetes API failures as one line saying what to do: expired or wrong credentials
 * (401), a missing permission (403, with the API server's own RBAC message), an
 * unreachable API server. Anything else keeps the server's message.
 */
import { ApiException, type KubeConfig } from "@kubernetes/client-node";
import { Day2Error } from "../target.js";
import { REFRESH_HINT } from "./kubeConfig.js";

export function statusCode(e: unknown): number | undefined {
  return e instanceof ApiException ? e.code : undefined;
}

function serverMessage(e: ApiException<unknown>): string {
  let body: unknown = e.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      return (e.body as string).slice(0, 300);
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? message : `HTTP ${e.code}`;
}

function networkCode(e: unknown): string | undefined {
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  // undici's "fetch failed" with a cause that has no code (e.g. "bad port").
  const cause = (e as { cause?: unknown })?.cause;
  if (e instanceof TypeError && cause instanceof Error) return cause.message;
  return undefined;
}

/** `what` completes "while trying to ...", e.g. "list services in every namespace". */
export function kubeError(e: unknown, what: string, kc: KubeConfig): Day2Error {
  if (e instanceof Day2Error) return e;
  const where = `context ${kc.getCurrentContext()}`;
  if (e instanceof ApiException) {
    if (e.code === 401)
      return new Day2Error(
        `the cluster (${where}) rejected the kubeconfig's credentials while trying to ${what} (401 Unauthorized): they are expired or invalid; ${REFRESH_HINT}`,
      );
    if (e.code === 403)
      return new Day2Error(
        `not allowed to ${what} (${where}): ${serverMessage(e)}; ask a cluster admin for that permission`,
      );
    return new Day2Error(
      `the Kubernetes API (${where}) answered ${e.code} while trying to ${what}: ${serverMessage(e)}`,
    );
  }
  const code = networkCode(e);
  if (code)
    return new Day2Error(
      `cannot reach the Kubernetes API at ${kc.getCurrentCluster()?.server} (${code}) to ${what}; check the kubeconfig's cluster address, your network or VPN`,
    );
  return new Day2Error(`failed to ${what} (${where}): ${(e as Error)?.message ?? String(e)}`);
}
