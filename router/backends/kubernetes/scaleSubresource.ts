/**
 * Replica counts through the Deployment `scale` subresource (RBAC: get/update on
 * deployments/scale), read-modify-write with the resourceVersion so a concurrent
 * writer makes us retry instead of silently losing its change.
 */
import type { AppsV1Api } from "@kubernetes/client-node";
import type { RouterReplicas } from "../../contract/backend.js";

export async function setDeploymentReplicas(
  apps: AppsV1Api,
  namespace: string,
  name: string,
  replicas: number,
  attempts = 3,
): Promise<void> {
  for (let i = 1; ; i++) {
    const scale = await apps.readNamespacedDeploymentScale({ name, namespace });
    if (scale.spec?.replicas === replicas) return;
    scale.spec = { ...scale.spec, replicas };
    try {
      await apps.replaceNamespacedDeploymentScale({ name, namespace, body: scale });
      return;
    } catch (e) {
      if (statusCode(e) !== 409 || i >= attempts) throw e;
    }
  }
}

/** A Deployment's replica count as the router's self-scaling sees it. */
export function deploymentReplicas(apps: AppsV1Api, namespace: string, name: string): RouterReplicas {
  return {
    name,
    get: async () => (await apps.readNamespacedDeploymentScale({ name, namespace })).spec?.replicas ?? 0,
    set: (replicas) => setDeploymentReplicas(apps, namespace, name, replicas),
  };
}

/** HTTP status of a client-node ApiException (or undefined). */
export function statusCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}
