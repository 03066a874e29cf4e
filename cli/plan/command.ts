/**
 * `aksml plan`: parses the command line, plans the program offline (`preview/planProgram.ts`:
 * the program under mocks, then the policy pack) and prints the graph. Exit codes:
 * 0 planned; 1 the program failed (validation or any other error), the pack failed or a
 * mandatory policy was violated; 2 usage.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ENFORCEMENT_OVERRIDES, type EnforcementOverride } from "../../policy/policies/verdict.js";
import { mandatoryCount, type PlanGraph } from "../../preview/capturedGraph.js";
import { scrub } from "../../preview/secretRedaction.js";
import { loadStackSettings, PlanSetupError, type StackSettings } from "../../preview/stackConfig.js";
import { planErrors, renderErrors } from "./render/errors.js";
import { renderTree } from "./render/tree.js";
import { renderJson, renderJsonErrors } from "./render/json.js";
import { renderMermaid } from "./render/mermaid.js";
import { renderDot } from "./render/dot.js";
import { diffPlans, planResources, renderDiff } from "./render/diff.js";
import { renderSvg } from "./render/svg.js";
import { renderPng } from "./render/png.js";

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
      --format FORMAT       tree (default) | json | mermaid | dot | svg | png (svg and png
                            are rendered by Graphviz and resvg compiled to WebAssembly:
                            no system Graphviz needed; png is binary, redirect it to a file)
      --diff PLAN.json      what changed since a previous --json plan: added, changed
                            and removed resources (with --json: as a document)
      --no-policy           skip the policy pack
      --enforce NAME=LEVEL  override a policy's level: mandatory | advisory | disabled; repeatable
  -h, --help                this help

exit codes: 0 planned, 1 program error or mandatory policy violation, 2 usage error
`;

const FORMATS = ["tree", "json", "mermaid", "dot", "svg", "png"] as const;
type Format = (typeof FORMATS)[number];

interface PlanOptions {
  program: string;
  stack: string;
  config: string[];
  format: Format;
  policy: boolean;
  enforcement: Record<string, EnforcementOverride>;
  /** A previous `--json` plan to compare with. */
  diff?: string;
}

class UsageError extends Error {}

/** node:util's parse of the command line; its errors are usage errors. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
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
        diff: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parse(argv: string[]): PlanOptions | "help" {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help) return "help";
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length ? `expected one program, got ${positionals.length}` : "missing the program to plan",
    );
  const format = (values.format ?? (values.json ? "json" : "tree")) as Format;
  if (!FORMATS.includes(format))
    throw new UsageError(`unknown format ${JSON.stringify(values.format)} (expected ${FORMATS.join(", ")})`);
  if (values.json && format !== "json") throw new UsageError(`--json conflicts with --format ${format}`);
  if (values.diff !== undefined && format !== "tree" && format !== "json")
    throw new UsageError(`--diff prints a summary (or with --json a document), not --format ${format}`);
  const enforcement: Record<string, EnforcementOverride> = {};
  for (const pair of values.enforce) {
    const [name, level] = pair.split("=");
    if (!name || !ENFORCEMENT_OVERRIDES.includes(level as EnforcementOverride))
      throw new UsageError(`--enforce expects NAME=${ENFORCEMENT_OVERRIDES.join("|")}, got ${JSON.stringify(pair)}`);
    enforcement[name] = level as EnforcementOverride;
  }
  return {
    program: positionals[0],
    stack: values.stack,
    config: values.config,
    format,
    policy: !values["no-policy"],
    enforcement,
    diff: values.diff,
  };
}

async function render(graph: PlanGraph, format: Exclude<Format, "png">): Promise<string> {
  switch (format) {
    case "svg":
      return renderSvg(graph);
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

/** The resources of the previous plan; an unreadable file is a usage error (exit 2). */
function readPreviousPlan(path: string): ReturnType<typeof planResources> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`--diff: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return planResources(JSON.parse(text), path);
  } catch (err) {
    throw new UsageError(`--diff: ${(err as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  let options: PlanOptions | "help";
  let settings: StackSettings;
  let previous: ReturnType<typeof planResources> | undefined;
  try {
    options = parse(argv);
    if (options === "help") {
      process.stdout.write(USAGE);
      return 0;
    }
    settings = loadStackSettings({ program: options.program, stack: options.stack, configPairs: options.config });
    const enforced = Object.keys(options.enforcement);
    if (options.policy && enforced.length) {
      // Checked before the program runs: a typo is a usage error (exit 2), not a
      // "policy pack failed" after a full plan. Imported here: loading the pack is not free.
      const { policyNames } = await import("../../preview/policyEvaluation.js");
      const names = policyNames();
      const unknown = enforced.filter((n) => !names.includes(n));
      if (unknown.length)
        throw new UsageError(
          `--enforce names unknown policy ${unknown.map((n) => JSON.stringify(n)).join(", ")}; the pack has: ${names.join(", ")}`,
        );
    }
    if (options.diff !== undefined) previous = readPreviousPlan(options.diff);
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof PlanSetupError)) throw err;
    process.stderr.write(`aksml plan: ${err.message}\n\n${USAGE}`);
    return 2;
  }

  const restoreConsole = options.format === "tree" ? () => {} : divertConsole();
  // Imported here, not at the top: loading Pulumi's runtime is most of a plan's cost,
  // and --help or a usage error should not pay it.
  const { planProgram } = await import("../../preview/planProgram.js");
  const plan = await planProgram(settings, { policy: options.policy, enforcement: options.enforcement });
  restoreConsole();
  const { secrets } = plan;
  // Anything the program rejects with after the plan was printed used to be dropped,
  // exiting 0 for a program that `pulumi up` would fail. Report it and fail the plan as
  // the process exits.
  process.once("exit", () => {
    const late = plan.lateErrors();
    if (!late.length) return;
    process.stderr.write(
      scrub(renderErrors(planErrors(late), late).replace(/^error: /, "error: after the plan was printed, "), secrets),
    );
    process.exitCode = 1;
  });

  if (plan.status === "program failed") {
    const errors = planErrors(plan.errors);
    process.stderr.write(scrub(renderErrors(errors, plan.errors), secrets));
    if (options.format === "json") process.stdout.write(scrub(renderJsonErrors(errors), secrets));
    return 1;
  }
  if (plan.status === "policy failed") {
    process.stderr.write(scrub(`error: the policy pack failed: ${plan.message}\n`, secrets));
    return 1;
  }
  const { graph } = plan;
  if (previous && options.diff !== undefined) {
    // Compared redacted: the previous plan holds `[secret]` where this one holds secrets.
    const current = planResources(JSON.parse(scrub(renderJson(graph), secrets)), "this plan");
    const diff = diffPlans(previous, current);
    process.stdout.write(
      options.format === "json" ? `${JSON.stringify({ diff }, null, 2)}\n` : renderDiff(diff, options.diff),
    );
  } else if (options.format === "png") {
    process.stdout.write(await renderPng(scrub(await renderSvg(graph), secrets)));
  } else process.stdout.write(scrub(await render(graph, options.format), secrets));
  const mandatory = mandatoryCount(graph.policy);
  if (mandatory && options.format !== "tree")
    process.stderr.write(`error: ${mandatory} mandatory policy violation(s)\n`);
  return mandatory ? 1 : 0;
}
