// The package as a consumer gets it (slow: ~40 s, most of it npm installing the
// tarball's dependencies from the local cache or the registry). Packs the repository
// with `npm pack` (which builds dist/ first), installs the tarball into an empty project,
// and runs what a consumer runs, with plain node and no loader: `import "aksml"`, the
// `aksml` bin planning a JavaScript stack program, and the compiled policy pack started
// the way the Pulumi CLI starts one.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { markSecrets, type PackageSchema } from "../../schema/generateSchema.js";
import { REPO_ROOT } from "../cli/runCli.js";

const exec = promisify(execFile);
const COMPONENTS = ["AksInferenceCluster", "AzuremlFe", "ContainerInsights", "ModelEndpoint", "ModelWebservice"];
const SLOW = 240_000;

let work: string;
let consumer: string;
let tarball: string;
const version = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version as string;

/** Plain node: no --import loader inherited from the test runner's environment. */
const plainEnv = () => ({ ...process.env, NODE_OPTIONS: "" });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "aksml-pack-"));
  const { stdout } = await exec("npm", ["pack", "--pack-destination", work, "--silent"], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  tarball = join(work, stdout.trim().split("\n").pop()!);
  consumer = join(work, "consumer");
  cpSync(join(REPO_ROOT, "test/package/consumer"), consumer, { recursive: true });
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { aksml: `file:${tarball}` } }),
  );
  await exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: consumer,
    env: plainEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
}, SLOW);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed aksml tarball", () => {
  it("holds compiled JavaScript with declarations, the router image context and the docs, and no sources or tests", async () => {
    const { stdout } = await exec("tar", ["tzf", tarball]);
    const files = stdout.trim().split("\n");
    expect(files).toEqual(
      expect.arrayContaining([
        "package/package.json",
        "package/README.md",
        "package/CHANGELOG.md",
        "package/schema.json",
        "package/dist/index.js",
        "package/dist/index.d.ts",
        "package/dist/cli/main.js",
        "package/dist/policy/index.js",
        "package/dist/policy/PulumiPolicy.yaml",
        "package/dist/policy/package.json",
        "package/router-image/Dockerfile",
        "package/router-image/package.json",
        "package/router-image/package-lock.json",
        "package/router-image/dist/main.js",
      ]),
    );
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(test|bench|examples)\//.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(consumer, "node_modules/aksml/package.json"), "utf8"));
    expect(pkg.private).toBeUndefined();
  });

  it("imports by name with plain node: the five components, aksml/preview and aksml/policies", async () => {
    const script = [
      'const aksml = await import("aksml");',
      'const preview = await import("aksml/preview");',
      'const policies = await import("aksml/policies");',
      "console.log(JSON.stringify({ exports: Object.keys(aksml).filter((k) => typeof aksml[k] === 'function' && aksml[k].prototype?.registerOutputs), plan: typeof preview.planProgram, policies: policies.allPolicies().length }));",
    ].join("\n");
    const { stdout } = await exec(process.execPath, ["--input-type=module", "-e", script], {
      cwd: consumer,
      env: plainEnv(),
    });
    const seen = JSON.parse(stdout);
    expect(seen.exports.sort()).toEqual(COMPONENTS);
    expect(seen.plan).toBe("function");
    expect(seen.policies).toBeGreaterThan(10);
  });

  it(
    "plans a JavaScript program that imports aksml with the installed bin: all five components, no errors",
    async () => {
      const bin = join(consumer, "node_modules/.bin/aksml");
      const { stdout: v } = await exec(bin, ["--version"], { cwd: consumer, env: plainEnv() });
      expect(v.trim()).toBe(version);
      const { stdout } = await exec(bin, ["plan", ".", "--json"], {
        cwd: consumer,
        env: plainEnv(),
        maxBuffer: 64 * 1024 * 1024,
      });
      const plan = JSON.parse(stdout);
      const types = new Set(plan.resources.map((r: { type: string }) => r.type));
      for (const c of COMPONENTS) expect(types).toContain(`aksml:index:${c}`);
      expect(plan.errors).toBeUndefined();
      expect(plan.policy.evaluated).toBe(true);
      expect(plan.policy.mandatory).toBe(0);
      expect(plan.outputs.primaryKey).toBe("[secret]");
    },
    SLOW,
  );

  it(
    "starts the compiled policy pack the way the Pulumi CLI does (run-policy-pack in the pack's folder)",
    async () => {
      const pack = join(consumer, "node_modules/aksml/dist/policy");
      const runner = join(consumer, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
      // The engine address is never dialled before the pack prints its port.
      const child = spawn(process.execPath, [runner, "127.0.0.1:1", pack], { cwd: pack, env: plainEnv() });
      try {
        const port = await firstLine(child, /^\d+$/);
        expect(Number(port)).toBeGreaterThan(0);
      } finally {
        child.kill();
      }
    },
    SLOW,
  );
});

describe("the checkout as a Pulumi component package (what `pulumi package add <path>` starts)", () => {
  it(
    "runs dist/index.js under Pulumi's plugin host, which serves the committed schema over gRPC",
    async () => {
      // dist/ was built by `npm pack` above. Pulumi's nodejs language host starts a
      // source-based plugin as `node @pulumi/pulumi/cmd/run-plugin <package dir>`.
      const child = spawn(
        process.execPath,
        [join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run-plugin"), REPO_ROOT],
        {
          cwd: REPO_ROOT,
          env: plainEnv(),
        },
      );
      try {
        const port = await firstLine(child, /^\d+$/);
        const raw = await getSchema(Number(port));
        const committed = JSON.parse(readFileSync(join(REPO_ROOT, "schema.json"), "utf8"));
        // The host serves what the analyzer infers; schema.json adds the secret marks.
        expect(markSecrets(JSON.parse(raw) as PackageSchema)).toEqual(committed);
      } finally {
        child.kill();
      }
    },
    SLOW,
  );
});

/** The provider's GetSchema over gRPC, as the Pulumi engine asks for it. */
async function getSchema(port: number): Promise<string> {
  const require = createRequire(join(REPO_ROOT, "node_modules/@pulumi/pulumi/package.json"));
  const grpc = require("@grpc/grpc-js");
  const services = require("./proto/provider_grpc_pb.js");
  const messages = require("./proto/provider_pb.js");
  const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.getSchema(new messages.GetSchemaRequest(), (err: Error | null, res: { getSchema(): string }) =>
        err ? reject(err) : resolve(res.getSchema()),
      ),
    );
  } finally {
    client.close();
  }
}

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
function firstLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => pattern.test(l.trim()));
      if (line) resolve(line.trim());
    });
    child.stderr!.on("data", (d) => (err += d));
    child.on("exit", (code) => reject(new Error(`exited ${code} before printing a match:\n${out}\n${err}`)));
  });
}
