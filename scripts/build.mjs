#!/usr/bin/env node
/**
 * `npm run build` (also `prepare`, so `npm pack`, `npm publish` and the `npm install` that
 * `pulumi package add` runs in a checkout all build first): compiles the package to ESM
 * JavaScript with declarations in dist/, then lays out what tsc does not produce:
 *
 * - dist/policy/{package.json,PulumiPolicy.yaml}: the policy pack runs from the installed
 *   package with plain node (`pulumi preview --policy-pack node_modules/aksml/dist/policy`).
 * - router-image/: a self-contained Docker build context for the router image (compiled
 *   router, its package.json, and a lockfile cut from the repository's package-lock.json),
 *   which AzuremlFe builds when it runs from the installed package.
 *
 * Plain JavaScript with no dependencies: it runs before anything is compiled.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { routerLockfile } from "./routerLockfile.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const at = (...parts) => join(root, ...parts);
const readJson = (...parts) => JSON.parse(readFileSync(at(...parts), "utf8"));
const writeJson = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

const started = Date.now();
rmSync(at("dist"), { recursive: true, force: true });
rmSync(at("router-image"), { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", at("tsconfig.build.json")], { stdio: "inherit", cwd: root });

const pkg = readJson("package.json");

// The policy pack: the Pulumi CLI reads PulumiPolicy.yaml, @pulumi/policy reads the
// version from package.json in the pack's directory, node loads `main`.
writeJson(at("dist/policy/package.json"), {
  name: "aksml-policy",
  version: pkg.version,
  description: "The aksml policy pack, compiled (see aksml's README).",
  private: true,
  type: "module",
  main: "index.js",
});
const packDescription = /^description:.*$/m.exec(readFileSync(at("policy/PulumiPolicy.yaml"), "utf8"))?.[0];
writeFileSync(
  at("dist/policy/PulumiPolicy.yaml"),
  `${packDescription}\n# Compiled JavaScript: plain node loads it, no loader needed.\nruntime: nodejs\n`,
);

// The router image's build context.
const router = readJson("router/package.json");
mkdirSync(at("router-image"), { recursive: true });
cpSync(at("dist/router"), at("router-image/dist"), {
  recursive: true,
  filter: (source) => !source.endsWith(".d.ts"),
});
writeJson(at("router-image/package.json"), {
  name: router.name,
  version: router.version,
  description: router.description,
  license: router.license,
  private: true,
  type: "module",
  engines: router.engines,
  dependencies: router.dependencies,
});
writeJson(at("router-image/package-lock.json"), routerLockfile(readJson("package-lock.json"), router));
cpSync(at("router/image.Dockerfile"), at("router-image/Dockerfile"));

console.error(`aksml build: dist/ and router-image/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
