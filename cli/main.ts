#!/usr/bin/env node
/**
 * `aksml`: the command line. Each subcommand lives in its own folder and exports
 * `run(argv: string[]): Promise<number>` (the exit code); this file only dispatches.
 */
import { readFileSync } from "node:fs";
import * as nodeModule from "node:module";

// Node 22 LTS is the target (the Pulumi SDK, vitest and the router's libraries need it).
// Say so plainly instead of failing later on an API an older Node lacks.
if (Number(process.versions.node.split(".")[0]) < 22) {
  console.error(`aksml: Node.js 22 or newer is required; this is ${process.version} (see README.md)`);
  process.exit(1);
}

// V8 code cache for every module loaded after this line (kept in the OS temp dir):
// most of a plan's cost is compiling the Pulumi SDK's CommonJS files, so repeat runs
// start markedly faster. A no-op if the cache directory is unusable.
nodeModule.enableCompileCache();
// tsx turns on source-map support, which makes every `new Error().stack` map its frames;
// the Pulumi SDK captures one per internal promise, so that alone costs ~0.6 s of CPU per
// plan (bench/plan/README.md). AKSML_DEBUG=1 keeps it for exact TypeScript positions.
if (!process.env.AKSML_DEBUG) process.setSourceMapsEnabled(false);

type Command = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  plan: {
    summary: "preview a stack program offline: the resource graph and policy verdicts",
    load: () => import("./plan/command.js"),
  },
  local: {
    summary: "run the router with local model replicas from a config file",
    load: () => import("./local/command.js"),
  },
  // Day-2 operations, against a cluster (kubeconfig) or aksml local (--local); docs/day2.md.
  list: {
    summary: "the model services: state, replicas, auth mode, scoring URI",
    load: () => import("./list/command.js"),
  },
  keys: { summary: "a service's primary and secondary key", load: () => import("./keys/command.js") },
  "regen-key": {
    summary: "a new key for one slot (the other keeps working)",
    load: () => import("./regen-key/command.js"),
  },
  token: {
    summary: "an access token for a token-auth service, and its refreshBy",
    load: () => import("./token/command.js"),
  },
  logs: { summary: "the model containers' (or the router's) logs", load: () => import("./logs/command.js") },
  state: { summary: "a service's Azure ML state and why", load: () => import("./state/command.js") },
  wait: { summary: "block until a service is Healthy or Failed", load: () => import("./wait/command.js") },
  score: { summary: "one scoring request with the right key or token", load: () => import("./score/command.js") },
  endpoints: {
    summary: "endpoints: versions, live split and rollout status",
    load: () => import("./endpoints/command.js"),
  },
};

/**
 * aksml's version, from its package.json: one folder up from cli/main.ts in the
 * repository, two from dist/cli/main.js in the installed package.
 */
function version(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "aksml" && pkg.version) return pkg.version;
    } catch {
      // not this folder
    }
  }
  return "unknown";
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    "usage: aksml <command> [options]",
    "",
    "commands:",
    ...lines,
    "",
    "aksml <command> --help for a command's options; aksml --version for the version",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v" || name === "version") {
    console.log(version());
    return 0;
  }
  if (name === "--help" || name === "-h" || (name === "help" && rest.length === 0)) {
    console.log(usage());
    return 0;
  }
  // `aksml help plan` is `aksml plan --help`.
  if (name === "help") return main([rest[0], "--help"]);
  if (!name) {
    console.error(usage());
    return 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`aksml: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return 2;
  }
  return (await command.load()).run(rest);
}

/**
 * Exits once pending writes have flushed: an immediate process.exit() cut tsx's
 * asynchronous transform-cache writes short (empty entries, so every run re-transpiled).
 * The unref'd timer still ends a command that left a handle open.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 500).unref();
}

let finished = false;
// The event loop emptied while a command was still pending (e.g. it awaited a promise
// nothing will resolve): node would exit 0 with no output. Say so, and fail.
process.on("beforeExit", () => {
  if (finished) return;
  console.error("aksml: the command stopped before finishing (it awaited something that can never resolve)");
  process.exit(1);
});

main(process.argv.slice(2)).then(
  (code) => {
    finished = true;
    exitWhenFlushed(code);
  },
  (err) => {
    finished = true;
    console.error(`aksml: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
