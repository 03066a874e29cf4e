/**
 * The day-2 commands against a deployed platform, through the Kubernetes API with the
 * user's kubeconfig (not the router's RBAC): keys from and to the `<name>-keys` Secret,
 * state from the Deployment, its pods and Events, logs from the pods, tokens from Entra ID.
 *
 * The permissions each command needs are those of the objects it touches: `list`/`state`/
 * `wait`: get/list services, deployments, pods, events; `keys`: get secrets;
 * `regen-key`: get and update secrets; `logs`: get pods/log.
 */
import {
  AppsV1Api,
  CoreV1Api,
  Log,
  type CoreV1Event,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
  type V1Secret,
} from "@kubernetes/client-node";
import { Writable } from "node:stream";
import { KEYS_SECRET_SUFFIX, WEBSERVICE_LABEL } from "../../../router/contract/serviceConfig.js";
import { APP_NAME_LABEL, ROUTER_APP_NAME } from "../../../components/shared/conventions.js";
import { rotatedKeys, slotField } from "../keyValues.js";
import type {
  AccessTokenReport,
  EndpointsReport,
  KeySlot,
  LogLineReport,
  RegenKeyReport,
  ScoringTarget,
  ServiceKeysReport,
  ServiceStateReport,
  ServiceSummary,
} from "../model.js";
import { Day2Error, type Day2Target, type LogsRequest } from "../target.js";
import { kubeError, statusCode } from "./apiErrors.js";
import { deploymentState } from "./deploymentState.js";
import { ModelServices, type ModelService } from "./modelServices.js";
import { endpointStatusesFromCluster } from "../../endpoints/endpointStatus.js";

/** Not-ready pods whose Events are read per state query (each is one API call). */
const MAX_PODS_WITH_EVENTS = 5;
/** Optimistic-concurrency retries of a key update that raced another writer. */
const MAX_KEY_UPDATE_ATTEMPTS = 5;

export interface KubernetesTargetOptions {
  namespace?: string;
  /** The router's base URL; default: the stack outputs' `routerEndpoint`, else the router's LoadBalancer address. */
  endpoint?: string;
  /** Say this when `token` hands over a token the service will not accept. */
  warn?: (message: string) => void;
}

function decode(b64: string | undefined): string | undefined {
  const s = b64 ? Buffer.from(b64, "base64").toString("utf8").trim() : "";
  return s || undefined;
}

function lineSplitter(source: string, onLine: (l: LogLineReport) => void): Writable {
  let buf = "";
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString("utf8");
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        onLine({ source, text: buf.slice(0, nl) });
        buf = buf.slice(nl + 1);
      }
      cb();
    },
    final(cb) {
      if (buf) onLine({ source, text: buf });
      cb();
    },
  });
}

export class KubernetesTarget implements Day2Target {
  readonly description: string;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly services: ModelServices;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: KubernetesTargetOptions = {},
  ) {
    this.description = `cluster context ${JSON.stringify(kc.getCurrentContext())}`;
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.services = new ModelServices(this.core, kc, opts.namespace);
  }

  private fail(e: unknown, what: string): never {
    throw kubeError(e, what, this.kc);
  }

  private async observe(svc: ModelService): Promise<ServiceStateReport> {
    const { namespace, config } = svc;
    let deployment: V1Deployment | undefined;
    try {
      deployment = await this.apps.readNamespacedDeployment({ name: config.deployment, namespace });
    } catch (e) {
      if (statusCode(e) !== 404) this.fail(e, `get Deployment ${namespace}/${config.deployment}`);
    }
    let pods: V1Pod[] = [];
    try {
      pods = (await this.core.listNamespacedPod({ namespace, labelSelector: `${WEBSERVICE_LABEL}=${svc.name}` })).items;
    } catch (e) {
      this.fail(e, `list the pods of ${svc.name} in namespace ${namespace}`);
    }
    const notReady = pods.filter((p) => !p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    const about = [config.deployment, ...notReady.slice(0, MAX_PODS_WITH_EVENTS).map((p) => p.metadata?.name ?? "")];
    const events: CoreV1Event[] = [];
    for (const name of about) {
      try {
        const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
        events.push(...list.items);
      } catch (e) {
        // Events explain a state; without the permission the state is still derived from status.
        if (statusCode(e) !== 403) this.fail(e, `list the Events of ${name} in namespace ${namespace}`);
      }
    }
    return deploymentState({
      name: svc.name,
      namespace,
      deployment,
      deploymentName: config.deployment,
      pods,
      events,
      now: new Date(),
    });
  }

  async list(): Promise<ServiceSummary[]> {
    const { services, invalid } = await this.services.list();
    const endpoint = await this.endpoint();
    const rows: ServiceSummary[] = [];
    for (const svc of services)
      rows.push({
        ...(await this.observe(svc)),
        authMode: svc.config.auth.mode,
        scoringUri: endpoint && `${endpoint}/api/v1/service/${svc.name}/score`,
      });
    for (const bad of invalid)
      rows.push({
        name: bad.name,
        namespace: bad.namespace,
        state: "Failed",
        reason: bad.reason,
        replicas: { ready: 0, desired: 0 },
        authMode: "key",
      });
    return rows;
  }

  async state(service: string): Promise<ServiceStateReport> {
    return this.observe(await this.services.get(service));
  }

  private async endpoint(): Promise<string | undefined> {
    return this.opts.endpoint?.replace(/\/+$/, "") ?? (await this.services.routerEndpoint());
  }

  async endpoints(): Promise<EndpointsReport> {
    try {
      return await endpointStatusesFromCluster(this.kc, this.opts.namespace);
    } catch (e) {
      const where = this.opts.namespace ? `namespace ${this.opts.namespace}` : "any namespace";
      const err = kubeError(e, `list the endpoint Services and rollout ConfigMaps in ${where}`, this.kc);
      if (statusCode(e) === 403 && !this.opts.namespace)
        throw new Day2Error(`${err.message}; or pass --namespace <namespace> to look in one namespace only`);
      throw err;
    }
  }

  async scoringTarget(service: string): Promise<ScoringTarget> {
    const svc = await this.services.get(service);
    const endpoint = await this.endpoint();
    if (!endpoint)
      throw new Day2Error(
        "the router's address is unknown (its LoadBalancer Service has none, or cannot be read); pass --endpoint <the stack output routerEndpoint>",
      );
    return { scoringUri: `${endpoint}/api/v1/service/${svc.name}/score`, authMode: svc.config.auth.mode };
  }

  private keyServiceOrFail(svc: ModelService, verb: string): void {
    const mode = svc.config.auth.mode;
    if (mode === "key") return;
    throw new Day2Error(
      mode === "token"
        ? `service ${svc.name} uses token auth and has no keys to ${verb}; use aksml token ${svc.name}`
        : `service ${svc.name} has auth off (mode none) and no keys to ${verb}; turn key auth on in the stack (authEnabled)`,
    );
  }

  private async readKeys(svc: ModelService): Promise<{ secret: V1Secret; keys: ServiceKeysReport }> {
    const name = `${svc.name}${KEYS_SECRET_SUFFIX}`;
    let secret: V1Secret;
    try {
      secret = await this.core.readNamespacedSecret({ name, namespace: svc.namespace });
    } catch (e) {
      if (statusCode(e) === 404)
        throw new Day2Error(
          `Secret ${svc.namespace}/${name} not found: service ${svc.name} has no keys yet (run pulumi up)`,
        );
      this.fail(e, `get Secret ${svc.namespace}/${name}`);
    }
    const primaryKey = decode(secret.data?.primaryKey);
    const secondaryKey = decode(secret.data?.secondaryKey);
    if (!primaryKey || !secondaryKey)
      throw new Day2Error(
        `Secret ${svc.namespace}/${name} lacks ${primaryKey ? "secondaryKey" : "primaryKey"}; every request to ${svc.name} is refused until both keys exist`,
      );
    return { secret, keys: { primaryKey, secondaryKey } };
  }

  async keys(service: string): Promise<ServiceKeysReport> {
    const svc = await this.services.get(service);
    this.keyServiceOrFail(svc, "show");
    return (await this.readKeys(svc)).keys;
  }

  async regenKey(service: string, slot: KeySlot, value?: string): Promise<RegenKeyReport> {
    const svc = await this.services.get(service);
    this.keyServiceOrFail(svc, "regenerate");
    const name = `${svc.name}${KEYS_SECRET_SUFFIX}`;
    for (let attempt = 1; ; attempt++) {
      const { secret, keys } = await this.readKeys(svc);
      let next: ServiceKeysReport;
      try {
        next = rotatedKeys(keys, slot, value);
      } catch (e) {
        throw new Day2Error((e as Error).message, 2);
      }
      const field = slotField(slot);
      const body: V1Secret = {
        ...secret,
        data: { ...secret.data, [field]: Buffer.from(next[field]).toString("base64") },
      };
      try {
        // The resourceVersion read above makes this a compare-and-swap: a concurrent rotation is not overwritten.
        await this.core.replaceNamespacedSecret({ name, namespace: svc.namespace, body });
        return {
          ...next,
          regenerated: slot,
          persisted: `Secret ${svc.namespace}/${name} (the stack's ${field} output follows at the next pulumi up or pulumi refresh)`,
        };
      } catch (e) {
        if (statusCode(e) === 409 && attempt < MAX_KEY_UPDATE_ATTEMPTS) continue;
        this.fail(e, `update Secret ${svc.namespace}/${name}`);
      }
    }
  }

  async token(service: string): Promise<AccessTokenReport> {
    const svc = await this.services.get(service);
    const { auth } = svc.config;
    if (auth.mode !== "token")
      throw new Day2Error(
        auth.mode === "key"
          ? `service ${service} uses key auth; tokens are for token-auth services: use aksml keys ${service}`
          : `service ${service} has auth off (mode none): it needs no token`,
      );
    // @azure/identity is large: loaded only for this command.
    const { entraToken, tokenMismatch } = await import("../entraToken.js");
    const token = await entraToken(service, auth);
    const mismatch = tokenMismatch(token.accessToken, auth);
    if (mismatch) this.opts.warn?.(`${mismatch}; the router will answer 401`);
    return token;
  }

  private async podsFor(
    service: string | undefined,
    request: LogsRequest,
  ): Promise<{ namespace: string; pods: V1Pod[]; container: string }> {
    if (request.router) {
      let pods: V1Pod[];
      try {
        pods = (await this.core.listPodForAllNamespaces({ labelSelector: `${APP_NAME_LABEL}=${ROUTER_APP_NAME}` }))
          .items;
      } catch (e) {
        this.fail(e, "list the router's pods");
      }
      return { namespace: pods[0]?.metadata?.namespace ?? "", pods, container: "router" };
    }
    const svc = await this.services.get(service!);
    let pods: V1Pod[];
    try {
      pods = (
        await this.core.listNamespacedPod({
          namespace: svc.namespace,
          labelSelector: `${WEBSERVICE_LABEL}=${svc.name}`,
        })
      ).items;
    } catch (e) {
      this.fail(e, `list the pods of ${svc.name} in namespace ${svc.namespace}`);
    }
    return { namespace: svc.namespace, pods, container: request.init ? "fetch-model" : "model" };
  }

  async logs(
    service: string | undefined,
    request: LogsRequest,
    onLine: (line: LogLineReport) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const { pods: all, container } = await this.podsFor(service, request);
    const pods = request.replica ? all.filter((p) => p.metadata?.name === request.replica) : all;
    if (!pods.length)
      throw new Day2Error(
        request.replica
          ? `no pod ${request.replica}${request.router ? " of the router" : ` of ${service}`}; pods: ${all.map((p) => p.metadata?.name).join(", ") || "none"}`
          : `${request.router ? "the router" : service} has no pods`,
      );
    const ask = (pod: V1Pod) => `read the ${container} logs of pod ${pod.metadata?.namespace}/${pod.metadata?.name}`;
    if (!request.follow) {
      for (const pod of pods) {
        let text: string;
        try {
          text = await this.core.readNamespacedPodLog({
            name: pod.metadata!.name!,
            namespace: pod.metadata!.namespace!,
            container,
            tailLines: request.tail,
          });
        } catch (e) {
          this.fail(e, ask(pod));
        }
        const sink = lineSplitter(pod.metadata!.name!, onLine);
        sink.end(text);
      }
      return;
    }
    const log = new Log(this.kc);
    // On abort the streams are left to the process's exit, not aborted: client-node pipes the
    // response into the sink without an error handler, so an abort would crash the process.
    const stopped = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    const gated = (l: LogLineReport) => {
      if (!signal.aborted) onLine(l);
    };
    await Promise.all(
      pods.map(async (pod) => {
        const sink = lineSplitter(pod.metadata!.name!, gated);
        const done = new Promise<void>((resolve) => sink.once("finish", resolve).once("error", () => resolve()));
        try {
          await log.log(pod.metadata!.namespace!, pod.metadata!.name!, container, sink, {
            follow: true,
            tailLines: request.tail,
          });
        } catch (e) {
          this.fail(e, ask(pod));
        }
        await Promise.race([done, stopped]);
      }),
    );
  }
}
