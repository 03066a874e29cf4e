// The source folders form layers that import one way only:
//   cli -> preview -> policy -> components -> router/contract
// router/ (the in-cluster request router) never imports the Pulumi side at all, and
// router/contract imports nothing but itself (components/ would otherwise reach router
// internals through it).
// This reads every source file's imports (static, re-exports, dynamic, `import("x")`
// types, require) with the TypeScript parser and checks each against the rules.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const LAYER_DIRS = ["components", "router", "policy", "preview", "cli"] as const;
const SOURCE_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);

/** A layer: a source folder, with router/contract apart from the rest of router/. */
type Layer = "components" | "router/contract" | "router" | "policy" | "preview" | "cli";
/** Where an import lands: a layer, a package, or somewhere outside the layers (tests, examples). */
type Target = Layer | "package" | "outside";

/** What each layer may import besides itself, node built-ins and packages. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  cli: ["preview", "policy", "components", "router/contract", "router"],
  preview: ["policy", "components", "router/contract"],
  policy: ["components", "router/contract"],
  components: ["router/contract"],
  router: ["router/contract"],
  "router/contract": [],
};

/** Packages a layer must not import (the router image carries no Pulumi). */
const FORBIDDEN_PACKAGES: Partial<Record<Layer, RegExp>> = { router: /^@pulumi\//, "router/contract": /^@pulumi\// };

/** The workspace packages, imported by name, land in their folder's layer. */
const WORKSPACE_PACKAGES: Record<string, Target> = { "@aksml/router": "router", "@aksml/policy": "policy" };

/** Imports whose module name is computed at run time, each with why it crosses no layer. */
const NON_LITERAL_ALLOWED: readonly { file: string; expression: string; why: string }[] = [
  {
    file: "preview/runProgram.ts",
    expression: "pathToFileURL(entry).href",
    why: "imports the user's stack program, which belongs to no layer",
  },
];

interface ImportSite {
  /** Repository-relative path of the importing file, with / separators. */
  file: string;
  line: number;
  /** The module name; undefined when it is computed at run time. */
  specifier?: string;
  /** The source text of the argument, for imports whose name is computed. */
  expression?: string;
}

/** Every module a file imports, found with the TypeScript parser (comments and strings cannot fool it). */
function importsOf(file: string, text: string): ImportSite[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const sites: ImportSite[] = [];
  const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const literal = (node: ts.Node | undefined) =>
    node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      sites.push({ file, line: at(node), specifier: literal(node.moduleSpecifier) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      sites.push({ file, line: at(node), specifier: literal(node.moduleReference.expression) });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      sites.push({ file, line: at(node), specifier: literal(node.argument.literal) });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require"))
    ) {
      const [argument] = node.arguments;
      const specifier = literal(argument);
      sites.push({ file, line: at(node), specifier, expression: specifier ? undefined : argument?.getText(source) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

function layerOfPath(path: string): Layer | "outside" {
  const [top, next] = path.split("/");
  if (top === "router" && next === "contract") return "router/contract";
  return (LAYER_DIRS as readonly string[]).includes(top) ? (top as Layer) : "outside";
}

/** Where an import lands, and the repository-relative target path (without extension) for relative imports. */
function targetOf(site: ImportSite & { specifier: string }): { target: Target | "node"; path?: string } {
  const { specifier } = site;
  if (specifier.startsWith("node:")) return { target: "node" };
  if (specifier.startsWith(".") || specifier.startsWith("/")) {
    const absolute = resolve(REPO_ROOT, dirname(site.file), specifier);
    const path = relative(REPO_ROOT, absolute).split(sep).join("/");
    return { target: path.startsWith("..") ? "outside" : layerOfPath(path), path: path.replace(/\.[cm]?[jt]s$/, "") };
  }
  const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
  return { target: WORKSPACE_PACKAGES[name] ?? "package" };
}

/** Every rule a set of imports breaks, one line each (empty when the layering holds). */
function layerViolations(sites: ImportSite[]): string[] {
  const problems: string[] = [];
  for (const site of sites) {
    const from = layerOfPath(site.file);
    if (from === "outside") throw new Error(`${site.file} is in no layer`);
    const where = `${site.file}:${site.line}`;
    if (site.specifier === undefined) {
      const allowed = NON_LITERAL_ALLOWED.some((a) => a.file === site.file && a.expression === site.expression);
      if (!allowed)
        problems.push(
          `${where}: import(${site.expression ?? ""}) names its module at run time; import a literal path so the layers can be checked`,
        );
      continue;
    }
    const { target, path } = targetOf(site as ImportSite & { specifier: string });
    if (target === "node") continue;
    if (target === "package") {
      if (FORBIDDEN_PACKAGES[from]?.test(site.specifier))
        problems.push(`${where}: ${from}/ must not import ${site.specifier}`);
      continue;
    }
    if (target === from || (target !== "outside" && MAY_IMPORT[from].includes(target))) continue;
    const allowed = MAY_IMPORT[from].length ? MAY_IMPORT[from].map((l) => `${l}/`).join(", ") : "nothing but itself";
    problems.push(
      `${where}: ${from}/ imports ${target === "outside" ? path : `${target}/`} (${site.specifier}); ${from}/ may import ${allowed}`,
    );
  }
  return problems;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" ? [] : sourceFiles(path);
    return SOURCE_EXTENSIONS.has(extname(entry.name)) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

const files = LAYER_DIRS.flatMap(sourceFiles);
const sites = files.flatMap((file) => importsOf(file, readFileSync(join(REPO_ROOT, file), "utf8")));

describe("layers: cli -> preview -> policy -> components -> router/contract", () => {
  it("reads the whole source tree", () => {
    for (const dir of LAYER_DIRS)
      expect(
        files.some((f) => f.startsWith(`${dir}/`)),
        dir,
      ).toBe(true);
    expect(files.length).toBeGreaterThan(100);
    // A few imports that exist today, so a parser that found nothing would fail here.
    const found = (file: string, specifier: string) => sites.some((s) => s.file === file && s.specifier === specifier);
    expect(found("preview/policyEvaluation.ts", "../policy/policies/all.js")).toBe(true);
    expect(found("cli/main.ts", "./plan/command.js")).toBe(true);
  });

  it("every import goes down the layers (or stays in its own)", () => {
    expect(layerViolations(sites)).toEqual([]);
  });

  it("every module name is a literal, except the program loader's", () => {
    const computed = sites.filter((s) => s.specifier === undefined);
    expect(computed.map((s) => `${s.file}: ${s.expression}`)).toEqual(
      NON_LITERAL_ALLOWED.map((a) => `${a.file}: ${a.expression}`),
    );
  });

  it("flags what it must: an upward import, a Pulumi import in the router, a computed module name", () => {
    const fake = (file: string, text: string) => layerViolations(importsOf(file, text));
    expect(fake("policy/policies/x.ts", 'import { run } from "../../cli/plan/command.js";')).toEqual([
      expect.stringMatching(/^policy\/policies\/x\.ts:1: policy\/ imports cli\//),
    ]);
    expect(fake("components/x/y.ts", 'export type { T } from "../../preview/capturedGraph.js";')).toHaveLength(1);
    expect(fake("preview/x.ts", 'const m = await import("../router/router.js");')).toHaveLength(1);
    expect(fake("router/x.ts", 'import * as pulumi from "@pulumi/pulumi";')).toHaveLength(1);
    expect(fake("router/x.ts", 'import "@aksml/policy";')).toHaveLength(1);
    expect(fake("router/contract/x.ts", 'import { log } from "../log.js";')).toHaveLength(1);
    expect(fake("cli/x.ts", 'import "../test/cli/runCli.js";')).toHaveLength(1);
    expect(fake("cli/x.ts", 'const name = "../policy/index.js";\nawait import(name);')).toEqual([
      expect.stringMatching(/^cli\/x\.ts:2: import\(name\) names its module at run time/),
    ]);
    expect(fake("policy/x.ts", 'type G = import("../preview/capturedGraph.js").PlanGraph;')).toHaveLength(1);
    // And lets through what is allowed.
    expect(fake("cli/x.ts", 'import "../preview/planProgram.js";\nimport "../router/router.js";')).toEqual([]);
    expect(fake("components/x/y.ts", 'import "../../router/contract/serviceConfig.js";')).toEqual([]);
  });
});
