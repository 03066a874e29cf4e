/**
 * The router image's entrypoint (`node /app/dist/main.js [serve|fetch-model] ...`).
 * Each subcommand module exports `run(argv): Promise<number>` (the exit code) and is
 * loaded on demand, so `fetch-model` in an init container never loads the router.
 */
const commands: Record<string, () => Promise<{ run(argv: string[]): Promise<number> }>> = {
  serve: () => import("./serveCommand.js"),
  "fetch-model": () => import("./fetchModel/command.js"),
};

const USAGE = `usage: node dist/main.js [serve|fetch-model] [options]

  serve        run the router (the default; configured by environment variables, see router/README.md)
  fetch-model  download and verify model blobs (the model pods' init container)
`;

const [first, ...rest] = process.argv.slice(2);
// Help, not a router started by accident: `docker run <image> --help` lands here.
if (first === "--help" || first === "-h" || first === "help") {
  process.stdout.write(USAGE);
  process.exit(0);
}
const name = first === undefined || first.startsWith("-") ? "serve" : first;
const argv = name === first ? rest : process.argv.slice(2);
const load = commands[name];
if (!load) {
  process.stderr.write(
    `unknown command ${JSON.stringify(name)}; expected one of: ${Object.keys(commands).join(", ")}\n`,
  );
  process.exit(2);
}
const code = await load().then((m) => m.run(argv));
process.exit(code);
