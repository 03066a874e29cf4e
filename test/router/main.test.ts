/** The image entrypoint: subcommand dispatch and exit codes, run as a real process. */
import { expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../router/main.ts", import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

it("rejects an unknown subcommand with exit code 2", () => {
  const r = run(["bogus"]);
  expect(r.code).toBe(2);
  expect(r.out).toContain("expected one of: serve, fetch-model");
});

it("serve (the default) reports every bad environment value and exits 2", () => {
  const r = run([], { AKSML_BACKEND: "docker", AKSML_SELF_SCALING: "maybe" });
  expect(r.code).toBe(2);
  expect(r.out).toContain("AKSML_BACKEND");
  expect(r.out).toContain("AKSML_SELF_SCALING");
});

it("dispatches fetch-model to its module (usage error: exit 2)", () => {
  const r = run(["fetch-model"]);
  expect(r.code).toBe(2);
  expect(r.out).toContain("fetch-model");
});
