/**
 * `aksml plan`: parses the command line, runs the program under mocks, evaluates the
 * policy pack and prints the graph. Exit codes: 0 planned; 1 the program failed
 * (validation or any other error) or a mandatory policy was violated; 2 usage.
 */
import { parseArgs } from "node:util";
import { buildGraph, type PlanGraph } from "./graph.js";
import {
  evaluatePack,
  mandatoryCount,
  packPolicyNames,
  SKIPPED,
  type EnforcementLevel,
  type PolicyReport,
} from "./policy.js";
import { planErrors, renderErrors } from "./errors.js";
import { secretStrings, scrub } from "./redact.js";
import { loadStackSettings, PlanSetupError } from "./stackConfig.js";
import { renderTree } from "./render/tree.js";
import { renderJson, renderJsonErrors } from "./render/json.js";
import { renderMermaid } from "./render/mermaid.js";
import { renderDot } from "./render/dot.js";

export const USAGE = `usage: aksml plan <program dir or file> [options]

Runs a Pulumi stack program offline under Pulumi's mock runtime (no cloud, no CLI,
no credentials) and prints the desired-state graph with the policy pack's verdicts.
Secrets are always shown as [secret].

The project name, program (main) and config defaults come from the Pulumi.yaml whose
program this is, then Pulumi.<stack>.yaml next to it, then --config.

options:
  -s, --stack NAME          stack name for config and URNs (default: dev)
  -c, --config KEY=VALUE    set a config value; repeatable; bare keys get the project prefix
      --json                machine-readable document (same as --format json)
      --format FORMAT       tree (default) | json | mermaid | dot
      --no-policy           skip the policy pack
      --enforce NAME=LEVEL  override a policy's level: mandatory | advisory | disabled; repeatable
  -h, --help                this help

exit codes: 0 planned, 1 program error or mandatory policy violation, 2 usage error
`;

const FORMATS = ["tree", "json", "mermaid", "dot"] as const;
type Format = (typeof FORMATS)[number];
const LEVELS: readonly EnforcementLevel[] = ["mandatory", "advisory", "disabled"];

interface PlanOptions {
  program: string;
  stack: string;
  config: string[];
  format: Format;
  policy: boolean;
  enforcement: Record<string, EnforcementLevel>;
}

class UsageError extends Error {}

function parse(argv: string[]): PlanOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        stack: { type: "string", short: "s", default: "dev" },
        config: { type: "string", short: "c", multiple: true, default: [] },
        json: { type: "boolean", default: false },
        format: { type: "string" },
        "no-policy": { type: "boolean", default: false },
        enforce: { type: "string", multiple: true, default: [] },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length ? `expected one program, got ${positionals.length}` : "missing the program to plan",
    );
  const format = (values.format ?? (values.json ? "json" : "tree")) as Format;
  if (!FORMATS.includes(format))
    throw new UsageError(`unknown format ${JSON.stringify(values.format)} (expected ${FORMATS.join(", ")})`);
  if (values.json && format !== "json") throw new UsageError(`--json conflicts with --format ${format}`);
  const enforcement: Record<string, EnforcementLevel> = {};
  for (const pair of values.enforce) {
    const [name, level] = pair.split("=");
    if (!name || !LEVELS.includes(level as EnforcementLevel))
      throw new UsageError(`--enforce expects NAME=${LEVELS.join("|")}, got ${JSON.stringify(pair)}`);
    enforcement[name] = level as EnforcementLevel;
  }
  return {
    program: positionals[0],
    stack: values.stack,
    config: values.config,
    format,
    policy: !values["no-policy"],
    enforcement,
  };
}

function render(graph: PlanGraph, format: Format): string {
  switch (format) {
    case "json":
      return renderJson(graph);
    case "mermaid":
      return renderMermaid(graph);
    case "dot":
      return renderDot(graph);
    default:
      return renderTree(graph);
  }
}

/** With a machine format on stdout, the program's own console output goes to stderr. */
function divertConsole(): () => void {
  const { log, info } = console;
  console.log = console.info = (...args: unknown[]) => console.error(...args);
  return () => Object.assign(console, { log, info });
}

export async function run(argv: string[]): Promise<number> {
  let options: PlanOptions | "help";
  let settings;
  try {
    options = parse(argv);
    if (options === "help") {
      process.stdout.write(USAGE);
      return 0;
    }
    settings = loadStackSettings({ program: options.program, stack: options.stack, configPairs: options.config });
    const enforced = Object.keys(options.enforcement);
    if (options.policy && enforced.length) {
      const names = await packPolicyNames();
      const unknown = names ? enforced.filter((n) => !names.includes(n)) : [];
      if (unknown.length)
        throw new UsageError(
          `--enforce names unknown policy ${unknown.map((n) => JSON.stringify(n)).join(", ")}; the pack has: ${names!.join(", ")}`,
        );
    }
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof PlanSetupError)) throw err;
    process.stderr.write(`aksml plan: ${err.message}\n\n${USAGE}`);
    return 2;
  }

  const restoreConsole = options.format === "tree" ? () => {} : divertConsole();
  // Imported here, not at the top: loading Pulumi's runtime is most of a plan's cost,
  // and --help or a usage error should not pay it.
  const { runProgram } = await import("./runProgram.js");
  const result = await runProgram(settings);
  restoreConsole();
  const secrets = secretStrings(
    [result.resources.map((r) => r.inputs), result.outputs],
    settings.secretConfigKeys.map((k) => settings.config[k]).filter((v) => v !== undefined),
  );
  // runProgram keeps collecting what the program throws or rejects with; anything that
  // arrives after the plan was printed used to be dropped, exiting 0 for a program that
  // `pulumi up` would fail. Report it and fail the plan as the process exits.
  const reported = result.errors.length;
  process.once("exit", () => {
    const late = result.errors.slice(reported);
    if (!late.length) return;
    process.stderr.write(
      scrub(renderErrors(planErrors(late), late).replace(/^error: /, "error: after the plan was printed, "), secrets),
    );
    process.exitCode = 1;
  });

  if (result.errors.length) {
    const errors = planErrors(result.errors);
    process.stderr.write(scrub(renderErrors(errors, result.errors), secrets));
    if (options.format === "json") process.stdout.write(scrub(renderJsonErrors(errors), secrets));
    return 1;
  }

  let policy: PolicyReport = SKIPPED;
  if (options.policy) {
    try {
      policy = await evaluatePack(result.resources, options.enforcement);
    } catch (err) {
      process.stderr.write(scrub(`error: the policy pack failed: ${(err as Error).message}\n`, secrets));
      return 1;
    }
  }
  const graph = buildGraph({
    project: settings.project,
    stack: settings.stack,
    resources: result.resources,
    outputs: result.outputs,
    policy,
  });
  process.stdout.write(scrub(render(graph, options.format), secrets));
  const mandatory = mandatoryCount(policy);
  if (mandatory && options.format !== "tree")
    process.stderr.write(`error: ${mandatory} mandatory policy violation(s)\n`);
  return mandatory ? 1 : 0;
}
