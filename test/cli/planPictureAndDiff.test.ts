// `aksml plan --format svg` and `--diff`, end to end as child processes: the README's
// picture is what the quickstart renders now, and a diff against a previous --json plan
// names what was added, changed and removed (PNG and the --json diff document are
// checked in-process, in plan.test.ts and diff.test.ts).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "./runCli.js";

const SMALL = "test/cli/fixtures/small";

describe("plan pictures and diffs", { timeout: 120_000 }, () => {
  it("the README's picture of the quickstart is what `aksml plan --format svg` renders now", async () => {
    const r = await runCli(["plan", "examples/quickstart", "--format", "svg"]);
    expect(r.code, r.stderr).toBe(0);
    const committed = readFileSync(join(REPO_ROOT, "docs/quickstart-plan.svg"), "utf8");
    expect(r.stdout, "regenerate: npm run -s plan -- examples/quickstart --format svg > docs/quickstart-plan.svg").toBe(
      committed,
    );
    expect(readFileSync(join(REPO_ROOT, "README.md"), "utf8")).toContain("](docs/quickstart-plan.svg)");
    for (const group of ["ContainerInsights", "AksInferenceCluster", "AzuremlFe", "ModelWebservice"])
      expect(committed).toContain(`aksml:index:${group}`);
    expect(committed).toContain("Legend");
  });

  it("--diff names the resources added, changed (with the inputs) and removed since a previous --json plan", async () => {
    const first = await runCli(["plan", SMALL, "--json", "--no-policy"]);
    expect(first.code).toBe(0);
    const previous = JSON.parse(first.stdout);
    // The previous plan lacked the Deployment, had another namespace name and a resource since removed.
    const deployment = previous.resources.findIndex(
      (r: { type: string }) => r.type === "kubernetes:apps/v1:Deployment",
    );
    previous.resources.splice(deployment, 1);
    const ns = previous.resources.find((r: { type: string }) => r.type === "kubernetes:core/v1:Namespace");
    ns.inputs.metadata.name = "old-models";
    previous.resources.push({ ...ns, urn: `${ns.urn}-gone`, name: "demo-gone" });
    const file = join(mkdtempSync(join(tmpdir(), "aksml-diff-")), "previous.json");
    writeFileSync(file, JSON.stringify(previous));

    const text = await runCli(["plan", SMALL, "--no-policy", "--diff", file]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("  + kubernetes:apps/v1:Deployment  demo-model");
    expect(text.stdout).toContain("  ~ kubernetes:core/v1:Namespace  demo-ns  (metadata)");
    expect(text.stdout).toContain("  - kubernetes:core/v1:Namespace  demo-gone");
    expect(text.stdout).toMatch(/Resources: 1 to add, 1 to change, 1 to remove, \d+ unchanged\n$/);
  });

  it("--diff with a file that is no plan is a usage error", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "aksml-diff-")), "not-a-plan.json");
    writeFileSync(file, JSON.stringify({ hello: 1 }));
    const r = await runCli(["plan", SMALL, "--diff", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not an `aksml plan --json` document");
  });
});
