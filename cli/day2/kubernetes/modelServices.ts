/**
 * Finding model services the way the router does: Services labelled
 * `aksml/webservice=<name>` (cluster-wide, or in `--namespace`), their settings from the
 * `aksml/config` annotation; and the router's own address from its LoadBalancer Service.
 */
import type { CoreV1Api, KubeConfig, V1Service } from "@kubernetes/client-node";
import {
  CONFIG_ANNOTATION,
  WEBSERVICE_LABEL,
  parseServiceConfig,
  type ServiceConfig,
} from "../../../router/contract/serviceConfig.js";
import { APP_NAME_LABEL, ROUTER_APP_NAME } from "../../../components/shared/conventions.js";
import { Day2Error } from "../target.js";
import { kubeError, statusCode } from "./apiErrors.js";

export interface ModelService {
  name: string;
  namespace: string;
  config: ServiceConfig;
}

function byAge(a: V1Service, b: V1Service): number {
  const t = (s: V1Service) => new Date((s.metadata?.creationTimestamp as unknown as string) ?? 0).getTime();
  return t(a) - t(b);
}

function modelServiceOf(svc: V1Service): ModelService {
  const name = svc.metadata?.name ?? "";
  const namespace = svc.metadata?.namespace ?? "default";
  const parsed = parseServiceConfig(name, svc.metadata?.annotations?.[CONFIG_ANNOTATION] ?? "{}");
  if (!parsed.ok)
    throw new Day2Error(
      `Service ${namespace}/${name} has an invalid ${CONFIG_ANNOTATION} annotation (${parsed.problems.map((p) => `${p.path} ${p.reason}`).join("; ")}); fix the stack and run pulumi up`,
    );
  return { name, namespace, config: parsed.config };
}

export class ModelServices {
  constructor(
    private readonly core: CoreV1Api,
    private readonly kc: KubeConfig,
    private readonly namespace: string | undefined,
  ) {}

  private where(): string {
    return this.namespace ? `namespace ${this.namespace}` : "any namespace";
  }

  private async listServices(labelSelector: string, what: string): Promise<V1Service[]> {
    try {
      const list = this.namespace
        ? await this.core.listNamespacedService({ namespace: this.namespace, labelSelector })
        : await this.core.listServiceForAllNamespaces({ labelSelector });
      return list.items;
    } catch (e) {
      const err = kubeError(e, `list ${what} in ${this.where()}`, this.kc);
      if (statusCode(e) === 403 && !this.namespace)
        throw new Day2Error(`${err.message}; or pass --namespace <namespace> to look in one namespace only`);
      throw err;
    }
  }

  /** Every model service, by name; the oldest wins a name used in several namespaces, as in the router. */
  async list(): Promise<{ services: ModelService[]; invalid: { name: string; namespace: string; reason: string }[] }> {
    const items = (await this.listServices(WEBSERVICE_LABEL, "model services")).sort(byAge);
    const seen = new Set<string>();
    const services: ModelService[] = [];
    const invalid: { name: string; namespace: string; reason: string }[] = [];
    for (const svc of items) {
      const name = svc.metadata?.name ?? "";
      if (svc.metadata?.labels?.[WEBSERVICE_LABEL] !== name || seen.has(name)) continue;
      seen.add(name);
      try {
        services.push(modelServiceOf(svc));
      } catch (e) {
        invalid.push({ name, namespace: svc.metadata?.namespace ?? "default", reason: (e as Error).message });
      }
    }
    return { services: services.sort((a, b) => a.name.localeCompare(b.name)), invalid };
  }

  /** One service; a clear error when there is none by that name. */
  async get(name: string): Promise<ModelService> {
    const items = (await this.listServices(`${WEBSERVICE_LABEL}=${name}`, `the Service of ${name}`))
      .filter((s) => s.metadata?.name === name)
      .sort(byAge);
    if (!items[0])
      throw new Day2Error(
        `no model service ${JSON.stringify(name)} in ${this.where()} (context ${this.kc.getCurrentContext()}); aksml list shows the services there`,
      );
    return modelServiceOf(items[0]);
  }

  /**
   * The router's base URL from its LoadBalancer Service (`http://<ip>` or `https://<ip>`),
   * or undefined if it has no address yet or cannot be read.
   */
  async routerEndpoint(): Promise<string | undefined> {
    let items: V1Service[];
    try {
      items = (await this.core.listServiceForAllNamespaces({ labelSelector: `${APP_NAME_LABEL}=${ROUTER_APP_NAME}` }))
        .items;
    } catch {
      return undefined;
    }
    for (const svc of items) {
      if (svc.spec?.type !== "LoadBalancer") continue;
      const ingress = svc.status?.loadBalancer?.ingress?.[0];
      const host = ingress?.hostname ?? ingress?.ip;
      if (!host) continue;
      const https = svc.spec.ports?.some((p) => p.port === 443);
      return `${https ? "https" : "http"}://${host}`;
    }
    return undefined;
  }
}
