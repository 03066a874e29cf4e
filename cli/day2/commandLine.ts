/**
 * What every day-2 command shares: the target options (`--local [URL]`, or the cluster's
 * `--kubeconfig`/`--context`/`--stack-output`/`--namespace`/`--endpoint`), `--json`,
 * `--help`, and the exit codes (0 ok, 1 failed, 2 usage). A command states its own
 * options and its work; errors become one line naming the command.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { Day2Error, type Day2Target } from "./target.js";

export const TARGET_HELP = `target (a deployed cluster by default):
      --local [URL]          aksml local instead, at its admin URL (default http://127.0.0.1:9091)
      --kubeconfig FILE      kubeconfig file (default: KUBECONFIG, else ~/.kube/config)
      --context NAME         kubeconfig context (default: the current one)
      --stack-output FILE    the kubeconfig from: pulumi stack output --show-secrets kubeconfig > FILE
                             (or all outputs: pulumi stack output --json --show-secrets > FILE)
  -n, --namespace NS         look in one namespace (default: every namespace)
      --endpoint URL         the router's address for scoring URIs (default: the stack output
                             routerEndpoint, else the router's LoadBalancer address)
output:
      --json                 machine-readable output on stdout
  -h, --help                 this help`;

const TARGET_OPTIONS = {
  kubeconfig: { type: "string" },
  context: { type: "string" },
  "stack-output": { type: "string" },
  namespace: { type: "string", short: "n" },
  endpoint: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

const CLUSTER_ONLY = ["kubeconfig", "context", "stack-output", "namespace", "endpoint"] as const;

export type OptionValues = Record<string, string | boolean | undefined>;

export interface Day2Context {
  target: Day2Target;
  /** The positional service name, when the command takes one. */
  service: string | undefined;
  values: OptionValues;
  json: boolean;
  /** Lines for the user (stdout). */
  out(text: string): void;
  /** Progress and warnings (stderr). */
  err(text: string): void;
}

export interface Day2Command {
  name: string;
  /** One line: `aksml keys <service> [options]`. */
  synopsis: string;
  /** What the command does, and its Azure ML counterpart. */
  description: string;
  options?: ParseArgsConfig["options"];
  /** Help lines for `options`. */
  optionsHelp?: string;
  /** `optional`: the command checks itself (e.g. `logs --router` takes none). */
  service: "required" | "optional" | "none";
  run(ctx: Day2Context): Promise<number>;
}

export function usageOf(c: Day2Command): string {
  return [
    `usage: ${c.synopsis}`,
    "",
    c.description,
    "",
    ...(c.optionsHelp ? [c.optionsHelp] : []),
    TARGET_HELP,
    "",
  ].join("\n");
}

/** Takes `--local`, `--local URL` or `--local=URL` out of argv (parseArgs has no optional values). */
export function extractLocal(argv: string[]): { rest: string[]; local: string | undefined; isLocal: boolean } {
  const rest: string[] = [];
  let local: string | undefined;
  let isLocal = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (a.startsWith("--local=")) {
      isLocal = true;
      local = a.slice("--local=".length);
    } else if (a === "--local") {
      isLocal = true;
      const next = argv[i + 1];
      if (next !== undefined && /^(https?:\/\/|\d+$)/.test(next)) {
        local = next;
        i++;
      }
    } else rest.push(a);
  }
  return { rest, local, isLocal };
}

/** The target; each kind's modules (client-node, @azure/identity) load only when used, to keep commands quick. */
async function buildTarget(
  values: OptionValues,
  isLocal: boolean,
  local: string | undefined,
  err: (t: string) => void,
): Promise<Day2Target> {
  if (isLocal) {
    const clash = CLUSTER_ONLY.filter((k) => values[k] !== undefined);
    if (clash.length)
      throw new Day2Error(
        `--local talks to aksml local; --${clash.join(", --")} ${clash.length > 1 ? "are" : "is"} for a cluster`,
        2,
      );
    const { LocalTarget, localAdminUrl } = await import("./local/localTarget.js");
    return LocalTarget.connect(localAdminUrl(local));
  }
  const { loadKubeConfig } = await import("./kubernetes/kubeConfig.js");
  const { KubernetesTarget } = await import("./kubernetes/kubernetesTarget.js");
  const { kc, stackOutputs } = loadKubeConfig({
    kubeconfig: values.kubeconfig as string | undefined,
    context: values.context as string | undefined,
    stackOutput: values["stack-output"] as string | undefined,
  });
  const fromStack = typeof stackOutputs?.routerEndpoint === "string" ? stackOutputs.routerEndpoint : undefined;
  return new KubernetesTarget(kc, {
    namespace: values.namespace as string | undefined,
    endpoint: (values.endpoint as string | undefined) ?? fromStack,
    warn: (m) => err(`warning: ${m}`),
  });
}

export async function runDay2Command(argv: string[], command: Day2Command): Promise<number> {
  const label = `aksml ${command.name}`;
  const out = (t: string) => process.stdout.write(`${t}\n`);
  const err = (t: string) => process.stderr.write(`${t}\n`);
  const { rest, local, isLocal } = extractLocal(argv);
  let values: OptionValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { ...TARGET_OPTIONS, ...command.options },
    }) as { values: OptionValues; positionals: string[] });
  } catch (e) {
    err(`${label}: ${(e as Error).message}\n\n${usageOf(command)}`);
    return 2;
  }
  if (values.help) {
    out(usageOf(command));
    return 0;
  }
  const wanted = command.service === "required" ? 1 : 0;
  if (command.service === "optional" ? positionals.length > 1 : positionals.length !== wanted) {
    err(
      `${label}: ${wanted ? "expected one service name" : "takes no service name"}, got ${positionals.length ? positionals.map((p) => JSON.stringify(p)).join(" ") : "none"}\n\n${usageOf(command)}`,
    );
    return 2;
  }
  try {
    const target = await buildTarget(values, isLocal, local, err);
    return await command.run({ target, service: positionals[0], values, json: values.json === true, out, err });
  } catch (e) {
    err(`${label}: ${e instanceof Error ? e.message : String(e)}`);
    return e instanceof Day2Error ? e.exitCode : 1;
  }
}

/** `10m`, `90s`, `1h`, `500ms`, or plain seconds -> milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Day2Error(`${flag} takes a duration like 10m, 90s, 1h or 500ms, got ${JSON.stringify(text)}`, 2);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(n * unit);
}

/** A non-negative integer option, or undefined when absent. */
export function countOption(values: OptionValues, key: string): number | undefined {
  const v = values[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^\d+$/.test(v))
    throw new Day2Error(`--${key} takes a non-negative integer, got ${JSON.stringify(v)}`, 2);
  return Number(v);
}

/** Prints `value` as JSON (pretty) for --json. */
export function printJson(ctx: Day2Context, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2));
}
