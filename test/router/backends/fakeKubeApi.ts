/**
 * A fake Kubernetes API server: THE ONE TEST DOUBLE of the router tests, because no
 * API server can run here. It is a real HTTP server on 127.0.0.1 implementing only
 * what the router's Kubernetes backend uses, with the API's semantics:
 * - list (cluster-wide or namespaced, `labelSelector` with `k`, `k=v`, `k!=v`),
 *   returning `metadata.resourceVersion`;
 * - watch (`?watch=true&resourceVersion=N`): a chunked stream of JSON lines
 *   `{"type":"ADDED|MODIFIED|DELETED","object":...}` replaying every event after N,
 *   then live events; a resourceVersion older than the compaction point gets a 410
 *   ERROR event, as a real server does;
 * - get, create (POST, 409 if it exists), replace (PUT, 409 on a stale
 *   resourceVersion), patch (PATCH: JSON Patch or JSON merge patch) and the Deployment
 *   `scale` subresource (GET/PUT); a Deployment's `metadata.generation` counts its spec
 *   changes, as the real server's does;
 * - the Pod `resize` subresource (GET/PATCH, Kubernetes >= 1.33): only container
 *   resources may change (422 otherwise); a "kubelet" then reports the new resources in
 *   the container status (at once, or as the test's `onPodResize` says). Built with
 *   `inPlaceResize: false` it answers 404 like an older server without the subresource;
 * - a 404 for a missing object names it in `details`, as the real server's does;
 * - Lease MicroTime fields must have 6 fractional digits (400 otherwise), as the
 *   real server's RFC3339Micro parser demands;
 * - an Event must be about an object in its own namespace (422 otherwise), as the real
 *   server's validation demands.
 * A monotonically increasing resourceVersion is stamped on every write.
 *
 * RBAC is enforced as the real server does it: the constructor takes the grants (Roles
 * per namespace, or cluster-wide) and every request outside them gets 403 Forbidden. The
 * router tests feed it the rules AzuremlFe actually grants (`routerRoleGrants`, built
 * from the exported rule constants), so a call the real cluster would refuse fails them.
 *
 * Clients are told apart by a path prefix in their server URL (`/c/<client>`), so a
 * test can partition one client from the API (every request fails) to simulate a
 * crashed or cut-off router pod; `outage(status)` answers every request with an error
 * status instead, as an API server that is up but failing does.
 *
 * Day-2 additions (the `aksml` CLI's commands, see the section at the end): Pods and
 * Events, list `fieldSelector` (`a.b=v`), the pod `log` subresource (`tailLines`,
 * `follow`, `container`), and per-client refusals: a 403 Forbidden for a verb on a
 * resource (the API server's RBAC message) or a 401 for rejected credentials.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import type { RbacRule, RoleGrant } from "../../../components/azuremlFe/rbacRules.js";
import { applyPatch, reportResizedResources, resizeProblem } from "./fakeKubePatch.js";

export type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    creationTimestamp?: string;
    generation?: number;
    deletionTimestamp?: string;
  };
  [k: string]: unknown;
};

/** Day-2 additions (the CLI's commands): see the section at the end. */
export type Day2Resource = "pods" | "events";
/** What endpoint rollouts use: the live state's ConfigMaps and the decisions' Events. */
export type EndpointResource = "configmaps" | "events";

const DAY2_KINDS: Record<Day2Resource, { apiVersion: string; kind: string; group: string }> = {
  pods: { apiVersion: "v1", kind: "Pod", group: "/api/v1" },
  events: { apiVersion: "v1", kind: "Event", group: "/api/v1" },
};

export type Resource =
  | "services"
  | "secrets"
  | "endpointslices"
  | "deployments"
  | "leases"
  | "limitranges"
  | Day2Resource
  | EndpointResource;

const KINDS: Record<Resource, { apiVersion: string; kind: string; group: string }> = {
  services: { apiVersion: "v1", kind: "Service", group: "/api/v1" },
  secrets: { apiVersion: "v1", kind: "Secret", group: "/api/v1" },
  endpointslices: { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", group: "/apis/discovery.k8s.io/v1" },
  deployments: { apiVersion: "apps/v1", kind: "Deployment", group: "/apis/apps/v1" },
  leases: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", group: "/apis/coordination.k8s.io/v1" },
  ...DAY2_KINDS,
  limitranges: { apiVersion: "v1", kind: "LimitRange", group: "/api/v1" },
  configmaps: { apiVersion: "v1", kind: "ConfigMap", group: "/api/v1" },
};

export interface FakeKubeApiOptions {
  /** Whether the server has the Pod `resize` subresource (Kubernetes >= 1.33). @default true */
  inPlaceResize?: boolean;
  /**
   * The kubelet's answer to an accepted resize: the pod to store (e.g. with a
   * PodResizePending condition). @default the container statuses report the new resources at once
   */
  onPodResize?: (pod: Obj) => Obj;
}

interface Event {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  resource: Resource;
  object: Obj;
}

interface Watcher {
  resource: Resource;
  namespace?: string;
  selector: string;
  client: string;
  res: ServerResponse;
}

export interface RequestRecord {
  client: string;
  method: string;
  path: string;
}

/** A request RBAC refused. */
export interface DeniedRecord extends RequestRecord {
  verb: string;
  resource: string;
  namespace?: string;
}

/** The RBAC verb of a request, as the API server derives it. */
function verbOf(method: string, name: string | undefined, q: URLSearchParams): string {
  if (method === "GET") return name ? "get" : q.get("watch") === "true" ? "watch" : "list";
  return (
    ({ POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" } as Record<string, string>)[method] ?? method
  );
}

function ruleAllows(rule: RbacRule, group: string, resource: string, verb: string, name: string | undefined): boolean {
  if (!rule.apiGroups.includes(group) || !rule.resources.includes(resource) || !rule.verbs.includes(verb)) return false;
  // resourceNames restricts requests that name an object (get, update...); a list, watch or create never matches it.
  return !rule.resourceNames || (name !== undefined && rule.resourceNames.includes(name));
}

export class FakeKubeApi {
  private server?: Server;
  private rv = 100;
  private compactedAt = 0;
  private readonly objects = new Map<string, Obj>();
  private readonly events: Event[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly partitioned = new Set<string>();
  private failing: number | undefined;
  readonly requests: RequestRecord[] = [];
  readonly denied: DeniedRecord[] = [];
  url = "";
  /** Pod logs and per-client denials for the CLI's day-2 commands (section at the end). */
  readonly day2 = new Day2Api();

  /** @param grants what every client may do: Roles (with a namespace) and cluster-wide rules (without). */
  constructor(
    private readonly grants: readonly RoleGrant[],
    private readonly options: FakeKubeApiOptions = {},
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.listen(0, "127.0.0.1");
    await new Promise((r) => this.server!.once("listening", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /** A KubeConfig for one client, built in code (no file). */
  kubeConfig(client: string): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: `${this.url}/c/${client}`, skipTLSVerify: true }],
      users: [{ name: "fake" }],
      contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
      currentContext: "fake",
    });
    return kc;
  }

  /** Every request from `client` fails (connection destroyed) until healed; its watches are cut. */
  partition(client: string): void {
    this.partitioned.add(client);
    for (const w of this.watchers) if (w.client === client) w.res.destroy();
  }

  heal(client: string): void {
    this.partitioned.delete(client);
  }

  /** Every request from now on is answered with `code` (watches in progress are cut) until {@link recover}. */
  outage(code = 500): void {
    this.failing = code;
    for (const w of this.watchers) w.res.destroy();
  }

  recover(): void {
    this.failing = undefined;
  }

  /** Forget events up to now: watches resuming from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.compactedAt = this.rv;
    this.events.length = 0;
  }

  /** Drops every open watch connection (clients must re-list or resume). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
  }

  /** Test-side write: create or replace, ignoring resourceVersion. */
  apply(resource: Resource, obj: Obj): Obj {
    const key = keyOf(resource, obj.metadata.namespace, obj.metadata.name);
    const existing = this.objects.get(key);
    return this.write(
      resource,
      {
        ...obj,
        metadata: {
          ...obj.metadata,
          uid: existing?.metadata.uid,
          creationTimestamp: existing?.metadata.creationTimestamp,
        },
      },
      existing ? "MODIFIED" : "ADDED",
    );
  }

  delete(resource: Resource, namespace: string, name: string): void {
    const key = keyOf(resource, namespace, name);
    const obj = this.objects.get(key);
    if (!obj) return;
    this.objects.delete(key);
    this.rv++;
    this.emit({
      rv: this.rv,
      type: "DELETED",
      resource,
      object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } },
    });
  }

  /** Every stored object of a kind (in one namespace), oldest write first. */
  all(resource: Resource, namespace?: string): Obj[] {
    return [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(`${resource}/`) && (!namespace || o.metadata.namespace === namespace))
      .map(([, o]) => structuredClone(o))
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  get(resource: Resource, namespace: string, name: string): Obj | undefined {
    const o = this.objects.get(keyOf(resource, namespace, name));
    return o && structuredClone(o);
  }

  private write(resource: Resource, obj: Obj, type: "ADDED" | "MODIFIED"): Obj {
    this.rv++;
    const k = KINDS[resource];
    if (resource === "deployments") {
      const before = this.objects.get(keyOf(resource, obj.metadata.namespace, obj.metadata.name));
      const generation = (before?.metadata.generation ?? 0) as number;
      const changed = !before || JSON.stringify(before.spec) !== JSON.stringify(obj.spec);
      obj = { ...obj, metadata: { ...obj.metadata, generation: changed ? generation + 1 : generation } };
    }
    const stored: Obj = structuredClone({
      ...obj,
      apiVersion: k.apiVersion,
      kind: k.kind,
      metadata: {
        ...obj.metadata,
        namespace: obj.metadata.namespace ?? "default",
        resourceVersion: String(this.rv),
        uid: obj.metadata.uid ?? `uid-${this.rv}`,
        creationTimestamp:
          obj.metadata.creationTimestamp ?? new Date(Date.UTC(2026, 0, 1, 0, 0, this.rv % 60)).toISOString(),
      },
    });
    this.objects.set(keyOf(resource, stored.metadata.namespace, stored.metadata.name), stored);
    this.emit({ rv: this.rv, type, resource, object: stored });
    return stored;
  }

  private emit(e: Event): void {
    this.events.push(e);
    for (const w of this.watchers)
      if (matches(w, e.resource, e.object)) w.res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    const m = /^\/c\/([^/]+)(\/.*)$/.exec(url.pathname);
    const client = m?.[1] ?? "anonymous";
    const path = m?.[2] ?? url.pathname;
    this.requests.push({ client, method: req.method ?? "GET", path });
    if (this.partitioned.has(client)) {
      req.socket.destroy();
      return;
    }
    if (this.day2.refuse(client, req.method ?? "GET", path, url.searchParams, res)) return;
    if (this.failing !== undefined) {
      req.resume();
      return status(res, this.failing, "InternalError", "the API server is failing (test outage)");
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Obj) : undefined;
        this.route(req.method ?? "GET", path, url.searchParams, body, res, client, req.headers["content-type"]);
      } catch (e) {
        status(res, 400, "BadRequest", (e as Error).message);
      }
    });
  }

  private route(
    method: string,
    path: string,
    q: URLSearchParams,
    body: Obj | undefined,
    res: ServerResponse,
    client: string,
    contentType?: string,
  ): void {
    const parsed = parsePath(path);
    if (!parsed) return status(res, 404, "NotFound", `no route ${path}`);
    const { resource, namespace, name, subresource } = parsed;
    const forbidden = this.forbidden(client, method, path, q, parsed);
    if (forbidden) return status(res, 403, "Forbidden", forbidden);
    if (!name) {
      if (method === "GET" && q.get("watch") === "true") return this.watch(resource, namespace, q, res, client);
      if (method === "GET")
        return this.list(resource, namespace, q.get("labelSelector") ?? "", res, q.get("fieldSelector") ?? "");
      if (method === "POST" && body) {
        const ns = namespace ?? "default";
        if (this.objects.has(keyOf(resource, ns, body.metadata.name)))
          return status(res, 409, "AlreadyExists", `${resource} "${body.metadata.name}" already exists`);
        const badTime = resource === "leases" ? microTimeProblem(body) : undefined;
        if (badTime) return status(res, 400, "BadRequest", badTime);
        const badEvent = resource === "events" ? eventProblem(body, ns) : undefined;
        if (badEvent) return status(res, 422, "Invalid", badEvent);
        return json(
          res,
          201,
          this.write(
            resource,
            { ...body, metadata: { ...body.metadata, namespace: ns, resourceVersion: undefined } },
            "ADDED",
          ),
        );
      }
      return status(res, 405, "MethodNotAllowed", method);
    }
    if (subresource === "resize" && (resource !== "pods" || this.options.inPlaceResize === false))
      return status(res, 404, "NotFound", "the server could not find the requested resource");
    const key = keyOf(resource, namespace ?? "default", name);
    const existing = this.objects.get(key);
    if (!existing) return status(res, 404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });
    if (subresource === "log") return this.day2.podLog(existing, q, res);
    if (method === "PATCH" && body !== undefined) {
      let patched: Obj;
      try {
        patched = applyPatch(existing, body, contentType);
      } catch (e) {
        return status(res, (e as { code?: number }).code ?? 422, "Invalid", (e as Error).message);
      }
      patched = { ...patched, metadata: { ...existing.metadata } };
      if (subresource === "resize") {
        const problem = resizeProblem(existing, patched);
        if (problem) return status(res, 422, "Invalid", problem);
        const actuated = (this.options.onPodResize ?? reportResizedResources)(patched);
        return json(res, 200, this.write(resource, actuated, "MODIFIED"));
      }
      if (subresource) return status(res, 404, "NotFound", `no ${subresource} subresource`);
      return json(res, 200, this.write(resource, patched, "MODIFIED"));
    }
    if (subresource === "resize") {
      if (method === "GET") return json(res, 200, existing);
      return status(res, 405, "MethodNotAllowed", method);
    }
    if (subresource === "scale") {
      if (resource !== "deployments") return status(res, 404, "NotFound", "no scale subresource");
      const spec = existing.spec as { replicas?: number };
      if (method === "GET") return json(res, 200, scaleOf(existing));
      if (method === "PUT" && body) {
        if (body.metadata.resourceVersion && body.metadata.resourceVersion !== existing.metadata.resourceVersion)
          return status(
            res,
            409,
            "Conflict",
            "the object has been modified; please apply your changes to the latest version and try again",
          );
        const replicas = (body.spec as { replicas?: number } | undefined)?.replicas;
        if (typeof replicas !== "number" || replicas < 0)
          return status(res, 422, "Invalid", "spec.replicas must be >= 0");
        const updated = this.write(resource, { ...existing, spec: { ...spec, replicas } }, "MODIFIED");
        return json(res, 200, scaleOf(updated));
      }
      return status(res, 405, "MethodNotAllowed", method);
    }
    if (method === "GET") return json(res, 200, existing);
    if (method === "PUT" && body) {
      if (body.metadata.resourceVersion !== existing.metadata.resourceVersion)
        return status(
          res,
          409,
          "Conflict",
          "the object has been modified; please apply your changes to the latest version and try again",
        );
      const badTime = resource === "leases" ? microTimeProblem(body) : undefined;
      if (badTime) return status(res, 400, "BadRequest", badTime);
      return json(
        res,
        200,
        this.write(
          resource,
          {
            ...body,
            metadata: {
              ...body.metadata,
              uid: existing.metadata.uid,
              creationTimestamp: existing.metadata.creationTimestamp,
            },
          },
          "MODIFIED",
        ),
      );
    }
    return status(res, 405, "MethodNotAllowed", method);
  }

  /** Why RBAC refuses the request, or undefined when a grant allows it. */
  private forbidden(
    client: string,
    method: string,
    path: string,
    q: URLSearchParams,
    p: { resource: Resource; namespace?: string; name?: string; subresource?: string },
  ): string | undefined {
    const verb = verbOf(method, p.name, q);
    const resource = p.subresource ? `${p.resource}/${p.subresource}` : p.resource;
    const group = KINDS[p.resource].group === "/api/v1" ? "" : KINDS[p.resource].apiVersion.split("/")[0]!;
    const allowed = this.grants.some(
      (g) =>
        (g.namespace === undefined || g.namespace === p.namespace) &&
        g.rules.some((r) => ruleAllows(r, group, resource, verb, p.name)),
    );
    if (allowed) return undefined;
    this.denied.push({ client, method, path, verb, resource, namespace: p.namespace });
    const scope = p.namespace ? `in the namespace "${p.namespace}"` : "at the cluster scope";
    return `${p.resource}${group ? `.${group}` : ""}${p.name ? ` "${p.name}"` : ""} is forbidden: User "${client}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`;
  }

  private list(
    resource: Resource,
    namespace: string | undefined,
    selector: string,
    res: ServerResponse,
    fieldSelector = "",
  ): void {
    const items = [...this.objects.entries()]
      .filter(
        ([k, o]) =>
          k.startsWith(`${resource}/`) &&
          matches({ resource, namespace, selector }, resource, o) &&
          matchesFields(o, fieldSelector),
      )
      .map(([, o]) => o);
    const k = KINDS[resource];
    json(res, 200, {
      apiVersion: k.apiVersion,
      kind: `${k.kind}List`,
      metadata: { resourceVersion: String(this.rv) },
      items,
    });
  }

  private watch(
    resource: Resource,
    namespace: string | undefined,
    q: URLSearchParams,
    res: ServerResponse,
    client: string,
  ): void {
    const from = Number(q.get("resourceVersion") ?? this.rv);
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders(); // a real API server answers a watch at once, before any event
    if (from < this.compactedAt) {
      res.end(
        `${JSON.stringify({
          type: "ERROR",
          object: {
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            message: `too old resource version: ${from} (${this.compactedAt})`,
            reason: "Expired",
            code: 410,
          },
        })}\n`,
      );
      return;
    }
    const w: Watcher = { resource, namespace, selector: q.get("labelSelector") ?? "", client, res };
    for (const e of this.events)
      if (e.rv > from && matches(w, e.resource, e.object))
        res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    this.watchers.add(w);
    res.on("close", () => this.watchers.delete(w));
  }
}

/** Lease times are MicroTime: the API server parses them as RFC3339 with exactly 6 fractional digits. */
function microTimeProblem(lease: Obj): string | undefined {
  const spec = (lease.spec ?? {}) as Record<string, unknown>;
  for (const field of ["acquireTime", "renewTime"]) {
    const v = spec[field];
    if (
      v !== undefined &&
      (typeof v !== "string" || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/.test(v))
    )
      return `spec.${field}: ${JSON.stringify(v)} is not RFC3339 with microseconds`;
  }
  return undefined;
}

/** What the API server's validation of a core/v1 Event requires (the part the router relies on). */
function eventProblem(event: Obj, namespace: string): string | undefined {
  const involved = (event.involvedObject ?? {}) as { namespace?: string; name?: string; kind?: string };
  if (!involved.name || !involved.kind) return "involvedObject.name and involvedObject.kind are required";
  if (involved.namespace !== namespace)
    return `involvedObject.namespace: does not match event.namespace (${involved.namespace} vs ${namespace})`;
  if (typeof event.reason !== "string" || !event.reason) return "reason is required";
  return undefined;
}

function keyOf(resource: Resource, namespace: string | undefined, name: string): string {
  return `${resource}/${namespace ?? "default"}/${name}`;
}

function parsePath(
  path: string,
): { resource: Resource; namespace?: string; name?: string; subresource?: string } | undefined {
  const m =
    /^\/(?:api\/v1|apis\/(?:apps|discovery\.k8s\.io|coordination\.k8s\.io)\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(
      path,
    );
  if (!m) return undefined;
  const resource = m[2] as Resource;
  if (!(resource in KINDS) || !path.startsWith(KINDS[resource].group)) return undefined;
  return { namespace: m[1], resource, name: m[3], subresource: m[4] };
}

function matches(w: { resource: Resource; namespace?: string; selector: string }, resource: Resource, o: Obj): boolean {
  if (w.resource !== resource) return false;
  if (w.namespace && o.metadata.namespace !== w.namespace) return false;
  const labels = o.metadata.labels ?? {};
  for (const term of w.selector.split(",").filter(Boolean)) {
    const ne = term.split("!=");
    if (ne.length === 2) {
      if (labels[ne[0]!] === ne[1]) return false;
      continue;
    }
    const eq = term.split("=");
    if (eq.length === 2 ? labels[eq[0]!] !== eq[1] : !(term in labels)) return false;
  }
  return true;
}

function scaleOf(d: Obj): Obj {
  const spec = d.spec as { replicas?: number };
  return {
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: { name: d.metadata.name, namespace: d.metadata.namespace, resourceVersion: d.metadata.resourceVersion },
    spec: { replicas: spec.replicas ?? 1 },
    status: { replicas: spec.replicas ?? 1 },
  };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function status(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  details?: { name: string; kind: string },
): void {
  json(res, code, { kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code, details });
}

// ---------------------------------------------------------------------------------------
// Day-2 additions: what the `aksml` CLI's list/state/wait/keys/regen-key/logs commands use.
// Kept apart from the router's part of the fake so the two can evolve (and merge) separately.
// ---------------------------------------------------------------------------------------

/** `fieldSelector` terms `a.b=v` / `a.b!=v`, on dotted paths of the object. */
function matchesFields(o: Obj, selector: string): boolean {
  for (const term of selector.split(",").filter(Boolean)) {
    const ne = term.includes("!=");
    const [path, want] = term.split(ne ? "!=" : "=") as [string, string];
    let v: unknown = o;
    for (const part of path.split(".")) v = (v as Record<string, unknown> | undefined)?.[part];
    if ((String(v ?? "") === want) === ne) return false;
  }
  return true;
}

export interface Denial {
  verb: string;
  /** `secrets`, `pods/log`, ... */
  resource: string;
  /** Only in this namespace; every scope when unset. */
  namespace?: string;
  /** Only cluster-wide requests (a namespaced one is allowed). */
  clusterScopeOnly?: boolean;
}

export class Day2Api {
  private readonly denials = new Map<string, Denial[]>();
  private readonly unauthorized = new Set<string>();
  private readonly logs = new Map<string, string[]>();
  private readonly followers = new Map<string, Set<ServerResponse>>();

  /** `client` gets 403 Forbidden for `verb` on `resource`, with the API server's RBAC message. */
  deny(client: string, denial: Denial): void {
    this.denials.set(client, [...(this.denials.get(client) ?? []), denial]);
  }

  /** Every request of `client` gets 401 Unauthorized (expired or revoked credentials). */
  rejectCredentials(client: string): void {
    this.unauthorized.add(client);
  }

  /** Appends lines to a container's log; followers get them at once. */
  appendLog(namespace: string, pod: string, container: string, ...lines: string[]): void {
    const key = `${namespace}/${pod}/${container}`;
    this.logs.set(key, [...(this.logs.get(key) ?? []), ...lines]);
    for (const res of this.followers.get(key) ?? []) res.write(lines.map((l) => `${l}\n`).join(""));
  }

  /** Ends every follow stream (the pod went away). */
  endFollows(): void {
    for (const set of this.followers.values()) for (const res of set) res.end();
  }

  refuse(client: string, method: string, path: string, q: URLSearchParams, res: ServerResponse): boolean {
    if (this.unauthorized.has(client)) {
      status(res, 401, "Unauthorized", "Unauthorized");
      return true;
    }
    const parsed = parsePath(path);
    if (!parsed) return false;
    const verb = verbOf(method, parsed.name, q);
    const resource = parsed.subresource ? `${parsed.resource}/${parsed.subresource}` : parsed.resource;
    const hit = this.denials
      .get(client)
      ?.find(
        (d) =>
          d.verb === verb &&
          d.resource === resource &&
          (!d.namespace || d.namespace === parsed.namespace) &&
          (!d.clusterScopeOnly || !parsed.namespace),
      );
    if (!hit) return false;
    const group = KINDS[parsed.resource].group.startsWith("/apis/") ? KINDS[parsed.resource].group.split("/")[2] : "";
    const scope = parsed.namespace ? `in the namespace "${parsed.namespace}"` : "at the cluster scope";
    status(
      res,
      403,
      "Forbidden",
      `${resource}${parsed.name ? ` "${parsed.name}"` : ""} is forbidden: User "${client}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
    );
    return true;
  }

  podLog(pod: Obj, q: URLSearchParams, res: ServerResponse): void {
    const spec = pod.spec as { containers?: { name: string }[] } | undefined;
    const container = q.get("container") ?? spec?.containers?.[0]?.name ?? "";
    if (
      !spec?.containers?.some((c) => c.name === container) &&
      !JSON.stringify(pod.spec ?? {}).includes(`"${container}"`)
    )
      return status(res, 400, "BadRequest", `container ${container} is not valid for pod ${pod.metadata.name}`);
    const key = `${pod.metadata.namespace}/${pod.metadata.name}/${container}`;
    const all = this.logs.get(key) ?? [];
    const tail = q.get("tailLines");
    const lines = tail === null ? all : all.slice(-Number(tail));
    res.writeHead(200, { "content-type": "text/plain" });
    res.write(lines.map((l) => `${l}\n`).join(""));
    if (q.get("follow") !== "true") return void res.end();
    const set = this.followers.get(key) ?? new Set<ServerResponse>();
    this.followers.set(key, set.add(res));
    res.on("close", () => set.delete(res));
  }
}
