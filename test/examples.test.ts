// Every example under examples/ plans offline without errors and without mandatory
// policy violations. Each runs as its own `aksml plan --json` process (a fresh Pulumi
// runtime per program), and the graph is checked for what the example is about.
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runCli } from "./cli/runCli.js";

interface PlanDoc {
  resources: { type: string; name: string; inputs: Record<string, any> }[];
  outputs: Record<string, unknown>;
  policy: {
    evaluated: boolean;
    mandatory: number;
    verdicts: { policy: string; enforcementLevel: string; message: string }[];
  };
}

const EXAMPLES_DIR = join(REPO_ROOT, "examples");
/** Stack programs: example folders with an index.ts (e.g. examples/local is a config for `aksml local`). */
const examples = existsSync(EXAMPLES_DIR)
  ? readdirSync(EXAMPLES_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES_DIR, d.name, "index.ts")))
      .map((d) => d.name)
      .sort()
  : [];

const ofType = (doc: PlanDoc, type: string) => doc.resources.filter((r) => r.type === type);
const CLUSTER = "azure-native:containerservice:ManagedCluster";

/** What each known example must contain, beyond planning cleanly. */
const EXPECTATIONS: Record<string, (doc: PlanDoc) => void> = {
  quickstart: (doc) => {
    const clusters = ofType(doc, CLUSTER);
    expect(clusters).toHaveLength(1);
    expect(clusters[0].inputs.tags?.["aksml-cluster-purpose"]).toBe("DevTest");
  },
  production: (doc) => {
    const clusters = ofType(doc, CLUSTER);
    expect(clusters).toHaveLength(1);
    expect(clusters[0].inputs.tags?.["aksml-cluster-purpose"]).toBe("FastProd");
    expect(clusters[0].inputs.networkProfile?.networkPlugin).toBe("azure");
    expect(ofType(doc, "azure-native:network:AzureFirewall")).toHaveLength(1);
  },
  "attach-existing": (doc) => {
    expect(ofType(doc, CLUSTER)).toHaveLength(0);
    expect(ofType(doc, "pulumi:providers:kubernetes").length).toBeGreaterThan(0);
  },
};

// Each plan is a separate node process; on a busy 2-core CI runner one can take ~15 s.
describe("examples plan offline", { timeout: 90_000 }, () => {
  it("finds the three documented example stack programs", () => {
    expect(examples).toEqual(expect.arrayContaining(Object.keys(EXPECTATIONS)));
  });

  it.each(examples)("%s plans without errors or mandatory policy violations", async (example) => {
    const r = await runCli(["plan", `examples/${example}`, "--json"]);
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as PlanDoc;
    expect(doc.resources.length).toBeGreaterThan(0);
    expect(doc.policy.evaluated).toBe(true);
    expect(doc.policy.verdicts.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    expect(r.stdout).not.toMatch(/BEGIN (RSA |EC )?PRIVATE KEY/);
    EXPECTATIONS[example]?.(doc);
  });
});
