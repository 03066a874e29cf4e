/**
 * The day-2 commands against a running `aksml local`, through its admin API
 * (cli/local/adminApi.ts) with the admin token from its state file (cli/local/adminState.ts).
 */
import { ADMIN_TOKEN_ENV, adminStateFile, readAdminState } from "../../local/adminState.js";
import { Day2Error, type Day2Target, type LogsRequest } from "../target.js";
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

export const DEFAULT_LOCAL_ADMIN_URL = "http://127.0.0.1:9091";
const REQUEST_TIMEOUT_MS = 30_000;

/** `--local`, `--local 9092`, `--local http://127.0.0.1:9092` -> the admin URL. */
export function localAdminUrl(arg: string | undefined): string {
  if (arg === undefined || arg === "") return DEFAULT_LOCAL_ADMIN_URL;
  if (/^\d+$/.test(arg)) return `http://127.0.0.1:${arg}`;
  let url: URL;
  try {
    url = new URL(arg);
  } catch {
    throw new Day2Error(
      `--local takes the admin URL of aksml local (e.g. ${DEFAULT_LOCAL_ADMIN_URL}), got ${JSON.stringify(arg)}`,
      2,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new Day2Error(`--local takes an http(s) URL, got ${JSON.stringify(arg)}`, 2);
  return url.origin;
}

function portOf(adminUrl: string): number {
  const u = new URL(adminUrl);
  return Number(u.port || (u.protocol === "https:" ? 443 : 80));
}

function networkCode(e: unknown): string | undefined {
  const cause = (e as { cause?: { code?: string } })?.cause;
  return cause?.code ?? (e as { name?: string })?.name;
}

export class LocalTarget implements Day2Target {
  readonly description: string;

  private constructor(
    private readonly adminUrl: string,
    private readonly adminToken: string,
  ) {
    this.description = `aksml local at ${adminUrl}`;
  }

  /** The target at `adminUrl`, authenticated with its state file's token (or $AKSML_LOCAL_ADMIN_TOKEN). */
  static connect(adminUrl: string, env: NodeJS.ProcessEnv = process.env): LocalTarget {
    const token = env[ADMIN_TOKEN_ENV] || readAdminState(portOf(adminUrl), env)?.token;
    if (!token)
      throw new Day2Error(
        `no aksml local is running with its admin API at ${adminUrl} (no ${adminStateFile(portOf(adminUrl), env)}); start aksml local <config.json>, or pass --local <its admin URL>`,
      );
    return new LocalTarget(adminUrl, token);
  }

  private async request(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.adminUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.adminToken}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new Day2Error(
        `cannot reach aksml local's admin API at ${this.adminUrl} (${networkCode(e) ?? (e as Error).message}); is aksml local still running? Start it, or pass --local <its admin URL>`,
      );
    }
    if (res.ok) return res;
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    if (res.status === 401)
      throw new Day2Error(
        `aksml local at ${this.adminUrl} refused the admin token (${message}); it belongs to another run: restart the command after aksml local started, or set ${ADMIN_TOKEN_ENV}`,
      );
    throw new Day2Error(message);
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.request(method, path, body)).json()) as T;
  }

  private svc(service: string): string {
    return `/admin/v1/services/${encodeURIComponent(service)}`;
  }

  list(): Promise<ServiceSummary[]> {
    return this.json("GET", "/admin/v1/services");
  }

  async state(service: string): Promise<ServiceStateReport> {
    const { authMode: _a, scoringUri: _s, ...state } = await this.json<ServiceSummary>("GET", this.svc(service));
    return state;
  }

  keys(service: string): Promise<ServiceKeysReport> {
    return this.json("GET", `${this.svc(service)}/keys`);
  }

  regenKey(service: string, slot: KeySlot, value?: string): Promise<RegenKeyReport> {
    return this.json("POST", `${this.svc(service)}/regen-key`, {
      key: slot,
      ...(value === undefined ? {} : { value }),
    });
  }

  token(service: string): Promise<AccessTokenReport> {
    return this.json("POST", `${this.svc(service)}/token`, {});
  }

  /** The router's own view (its admin port's `/endpoints`): the live split and rollout as it routes. */
  async endpoints(): Promise<EndpointsReport> {
    const body = await this.json<{ endpoints?: EndpointsReport["endpoints"] }>("GET", "/endpoints");
    if (!Array.isArray(body.endpoints))
      throw new Day2Error(`${this.adminUrl}/endpoints did not answer a list of endpoints; is it aksml local?`);
    return { endpoints: body.endpoints, problems: [] };
  }

  async scoringTarget(service: string): Promise<ScoringTarget> {
    const s = await this.json<ServiceSummary>("GET", this.svc(service));
    if (!s.scoringUri) throw new Day2Error(`aksml local did not say where ${service} is served`);
    return { scoringUri: s.scoringUri, authMode: s.authMode };
  }

  async logs(
    service: string | undefined,
    request: LogsRequest,
    onLine: (line: LogLineReport) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (request.init)
      throw new Day2Error("--init is for the cluster's model download container; aksml local has none", 2);
    const q = new URLSearchParams();
    if (request.tail !== undefined) q.set("tail", String(request.tail));
    if (request.follow) q.set("follow", "1");
    if (request.replica) q.set("replica", request.replica);
    const path = request.router ? "/admin/v1/router/logs" : `${this.svc(service!)}/logs`;
    const res = await this.request("GET", `${path}?${q}`, undefined, request.follow ? signal : undefined);
    let buf = "";
    try {
      for await (const chunk of res.body ?? []) {
        buf += Buffer.from(chunk).toString("utf8");
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const text = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (text) onLine(JSON.parse(text) as LogLineReport);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      throw new Day2Error(`the log stream from ${this.adminUrl} broke off (${(e as Error).message})`);
    }
  }
}
