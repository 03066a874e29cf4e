// Renders one small program in every plan format, in-process (this file's worker owns
// the Pulumi runtime): tree contents, JSON shape, picture syntax, and that a known
// secret never appears in any of them.
import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadStackSettings } from "../../preview/stackConfig.js";
import { runProgram, type ProgramRun } from "../../preview/runProgram.js";
import { buildGraph, type PlanGraph, type PolicyReport } from "../../preview/capturedGraph.js";
import { renderTree } from "../../cli/plan/render/tree.js";
import { renderJson } from "../../cli/plan/render/json.js";
import { renderMermaid } from "../../cli/plan/render/mermaid.js";
import { renderDot } from "../../cli/plan/render/dot.js";
import { secretStrings, scrub } from "../../preview/secretRedaction.js";
import { MOCK_KUBECONFIG } from "../../preview/computedOutputs.js";
import { FIXTURE_SECRET } from "./fixtures/small/secret.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/small", import.meta.url));
const POLICY: PolicyReport = {
  evaluated: true,
  verdicts: [
    {
      policy: "acr-admin-user-disabled",
      enforcementLevel: "advisory",
      message: "admin user on",
      resourceName: "acr",
      resourceType: "azure-native:containerregistry:Registry",
    },
    {
      policy: "prod-cluster-capacity",
      enforcementLevel: "mandatory",
      message: "needs 12 vCPUs",
      resourceName: "demo-aks",
    },
  ],
};

let run: ProgramRun;
let graph: PlanGraph;
let formats: Record<string, string>;

beforeAll(async () => {
  const settings = loadStackSettings({ program: FIXTURE, stack: "staging", configPairs: [] });
  run = await runProgram(settings);
  // Pin the mandatory verdict on the cluster, as the pack does, so the pictures mark it.
  POLICY.verdicts[1].urn = run.resources.find((r) => r.name === "demo-aks")?.urn;
  graph = buildGraph({
    project: settings.project,
    stack: settings.stack,
    resources: run.resources,
    outputs: run.outputs,
    policy: POLICY,
  });
  const secrets = secretStrings([run.resources.map((r) => r.inputs), run.outputs]);
  formats = Object.fromEntries(
    Object.entries({ tree: renderTree, json: renderJson, mermaid: renderMermaid, dot: renderDot }).map(
      ([k, render]) => [k, scrub(render(graph), secrets)],
    ),
  );
});

describe("plan of a small program", () => {
  it("runs without errors and captures the stack's resources", () => {
    expect(run.errors).toEqual([]);
    expect(graph.nodes.map((n) => n.type)).toEqual([
      "aksml:index:TestPlatform",
      "azure-native:resources:ResourceGroup",
      "azure-native:containerservice:ManagedCluster",
      "pulumi:providers:kubernetes",
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:Secret",
      "kubernetes:apps/v1:Deployment",
    ]);
  });

  it("tree: nests by parent and shows key inputs, provider, dependencies, outputs, verdicts and a summary", () => {
    const tree = formats.tree;
    expect(tree).toContain("Stack plan-fixture/staging");
    expect(tree).toMatch(/^└─ aksml:index:TestPlatform {2}demo$/m);
    expect(tree).toMatch(/^ {3}├─ azure-native:resources:ResourceGroup {2}demo-rg {2}location=swedencentral$/m);
    expect(tree).toContain("pools=system(System Standard_D4s_v5 x3)");
    expect(tree).toMatch(
      /└─ kubernetes:apps\/v1:Deployment {2}demo-model {2}name=models\/model {2}replicas=2 {2}image=mock\.azurecr\.io\/model:1/,
    );
    expect(tree).toContain("provider: demo-k8s");
    expect(tree).toContain("depends on: demo-aks, demo-rg");
    expect(tree).toMatch(/^ {2}clusterName {2}demo-aks[0-9a-f]{8}$/m);
    expect(tree).toMatch(/^ {2}kubeconfig {3}\[secret\]$/m);
    expect(tree.indexOf("mandatory prod-cluster-capacity")).toBeGreaterThan(0);
    expect(tree.indexOf("mandatory prod-cluster-capacity")).toBeLessThan(
      tree.indexOf("advisory  acr-admin-user-disabled"),
    );
    expect(tree).toContain("Summary: 7 resources (kubernetes 3, azure-native 2, aksml 1, pulumi 1)");
  });

  it("json: a stable document with resources, redacted inputs, outputs and policy", () => {
    const doc = JSON.parse(formats.json);
    expect(Object.keys(doc)).toEqual(["version", "project", "stack", "resources", "outputs", "policy", "summary"]);
    expect(doc.resources).toHaveLength(7);
    for (const r of doc.resources)
      expect(Object.keys(r)).toEqual(["urn", "type", "name", "parent", "provider", "dependencies", "inputs"]);
    const byName = Object.fromEntries(doc.resources.map((r: any) => [r.name, r]));
    expect(byName["demo-model"].provider).toBe(byName["demo-k8s"].urn);
    expect(byName["demo-aks"].dependencies).toEqual([byName["demo-rg"].urn]);
    expect(byName["demo-aks"].parent).toBe(byName.demo.urn);
    expect(byName["demo-k8s"].inputs.kubeconfig).toBe("[secret]");
    expect(byName["demo-keys"].inputs.stringData).toBe("[secret]");
    expect(doc.outputs).toEqual({
      clusterName: expect.stringMatching(/^demo-aks/),
      kubeconfig: "[secret]",
      keys: { primary: "[secret]", region: "swedencentral" },
    });
    expect(doc.policy).toMatchObject({ evaluated: true, mandatory: 1, advisory: 1 });
    expect(doc.summary).toEqual({ resources: 7, byPackage: { kubernetes: 3, "azure-native": 2, aksml: 1, pulumi: 1 } });
  });

  it("mermaid: a flowchart whose edges join declared nodes, parents solid and dependencies dashed", () => {
    const lines = formats.mermaid.trimEnd().split("\n");
    expect(lines[0]).toBe("flowchart LR");
    const nodes = lines.filter((l) => /^ {2}r\d+\[/.test(l));
    expect(nodes).toHaveLength(7);
    for (const n of nodes) expect(n).toMatch(/^ {2}r\d+\["[^"]+"\]$/);
    const ids = new Set(nodes.map((n) => n.trim().split("[")[0]));
    const edges = lines.filter((l) => /^ {2}r\d+ -/.test(l));
    const styles = lines.filter((l) => /^ {2}class(Def)? /.test(l));
    expect(edges.length + nodes.length + styles.length + 1).toBe(lines.length);
    // The resource with the mandatory violation is marked; nothing is marked advisory.
    const aksId = nodes
      .find((n) => n.includes('"demo-aks<br/>'))!
      .trim()
      .split("[")[0];
    expect(styles).toEqual([
      expect.stringMatching(/^ {2}classDef mandatory stroke:#\w+/),
      `  class ${aksId} mandatory`,
    ]);
    for (const e of edges) {
      const m = e.match(/^ {2}(r\d+) (-->|-\.->) (r\d+)$/);
      expect(m, e).not.toBeNull();
      expect(ids.has(m![1]) && ids.has(m![3])).toBe(true);
    }
    expect(edges.filter((e) => e.includes("-->"))).toHaveLength(6); // six children of the component
    expect(edges.some((e) => e.includes("-.->"))).toBe(true);
  });

  it("dot: a digraph with quoted labels, dashed dependency edges, and (when graphviz is installed) renders", () => {
    const dot = formats.dot;
    expect(dot).toMatch(/^digraph "plan-fixture\/staging" \{\n/);
    expect(dot.trimEnd().endsWith("}")).toBe(true);
    expect(dot.match(/\{/g)!.length).toBe(dot.match(/\}/g)!.length);
    const declared = new Set([...dot.matchAll(/^ {2}(r\d+) \[label=/gm)].map((m) => m[1]));
    expect(declared.size).toBe(7);
    expect(dot).toMatch(/^ {2}r\d+ \[label="demo-aks\\n[^\]]*, color=red, penwidth=2\];$/m);
    expect(dot.match(/color=/g)).toHaveLength(1);
    const edges = [...dot.matchAll(/^ {2}(r\d+) -> (r\d+)( \[style=dashed\])?;$/gm)];
    expect(edges.length).toBe(formats.mermaid.split("\n").filter((l) => /^ {2}r\d+ -/.test(l)).length);
    expect(edges.filter((e) => e[3]).length).toBe(formats.mermaid.split("-.->").length - 1);
    for (const e of edges) expect(declared.has(e[1]) && declared.has(e[2])).toBe(true);
    const graphviz = spawnSync("dot", ["-Tsvg"], { input: dot, encoding: "utf8" });
    if (graphviz.error) return; // graphviz is optional; CI does not install it
    expect(graphviz.status, graphviz.stderr).toBe(0);
    expect(graphviz.stdout).toContain("<svg");
  });

  it("never prints a secret, in any format", () => {
    const kubeToken = MOCK_KUBECONFIG.match(/token: ([\w-]+)/)![1];
    for (const [format, text] of Object.entries(formats)) {
      expect(text, format).not.toContain(FIXTURE_SECRET);
      expect(text, format).not.toContain(kubeToken);
      expect(text, format).not.toContain(Buffer.from(FIXTURE_SECRET).toString("base64"));
    }
    // The secret really was in the program's inputs and outputs, so the check can fail.
    expect(JSON.stringify(run.outputs)).toContain(FIXTURE_SECRET);
    expect(JSON.stringify(run.resources.map((r) => r.inputs))).toContain(FIXTURE_SECRET);
  });
});

describe("textual scrub", () => {
  it("removes a secret's plaintext even where a program copied it into a non-secret field", () => {
    const marked = {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "hunter2-password",
    };
    const secrets = secretStrings([{ password: marked }]);
    expect(scrub('label: "hunter2-password" and aHVudGVyMi1wYXNzd29yZA==', secrets)).toBe(
      'label: "[secret]" and [secret]',
    );
  });
});
