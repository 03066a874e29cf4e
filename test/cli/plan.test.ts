// Renders one small program in every plan format, in-process (this file's worker owns
// the Pulumi runtime): tree contents, JSON shape, picture syntax, and that a known
// secret never appears in any of them.
import { beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { loadStackSettings } from "../../preview/stackConfig.js";
import { runProgram, type ProgramRun } from "../../preview/runProgram.js";
import { buildGraph, type PlanGraph, type PolicyReport } from "../../preview/capturedGraph.js";
import { renderTree } from "../../cli/plan/render/tree.js";
import { renderJson } from "../../cli/plan/render/json.js";
import { renderMermaid } from "../../cli/plan/render/mermaid.js";
import { renderDot } from "../../cli/plan/render/dot.js";
import { picture } from "../../cli/plan/render/picture.js";
import { renderSvg } from "../../cli/plan/render/svg.js";
import { renderPng } from "../../cli/plan/render/png.js";
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

  it("mermaid: one subgraph per component with its resources classed by provider, a legend, the violation marked", () => {
    const lines = formats.mermaid.trimEnd().split("\n");
    expect(lines[0]).toBe("flowchart LR");
    expect(lines.filter((l) => /^ {2}subgraph /.test(l))).toEqual([
      expect.stringMatching(/^ {2}subgraph g0\["demo<br\/>aksml:index:TestPlatform"\]$/),
      '  subgraph legend["Legend"]',
    ]);
    expect(lines.filter((l) => l === "  end")).toHaveLength(2);
    const members = lines.filter((l) => /^ {4}r\d+\[/.test(l));
    expect(members).toHaveLength(6);
    for (const n of members) expect(n).toMatch(/^ {4}r\d+\["[^"]+<br\/>[^"]+"\]:::(azure|kubernetes)$/);
    // Every dependency is inside the one component: no edges between groups.
    expect(lines.filter((l) => l.includes("-->"))).toEqual([]);
    expect(lines).toContain('    legend_azure["Azure"]:::azure');
    expect(lines).toContain('    legend_kubernetes["Kubernetes"]:::kubernetes');
    const aksId = members
      .find((n) => n.includes('"demo-aks<br/>'))!
      .trim()
      .split("[")[0];
    expect(lines).toContain(`  style ${aksId} stroke:#D32F2F,stroke-width:3px`);
    expect(lines.filter((l) => l.startsWith("  style "))).toHaveLength(1);
  });

  it("dot: a cluster per component, provider fills, a legend; it renders to SVG and PNG in WebAssembly", async () => {
    const dot = formats.dot;
    expect(dot).toMatch(/^digraph "plan-fixture\/staging" \{\n/);
    expect(dot.trimEnd().endsWith("}")).toBe(true);
    expect(dot.match(/\{/g)!.length).toBe(dot.match(/\}/g)!.length);
    expect(dot.match(/^ {2}subgraph cluster_/gm)).toHaveLength(2); // the component and the legend
    const declared = [...dot.matchAll(/^ {4}(r\d+) \[label="[^"]+", fillcolor="(#\w+)"/gm)];
    expect(declared).toHaveLength(6);
    expect(new Set(declared.map((m) => m[2]))).toEqual(new Set(["#E5F1FB", "#E8EEFC"]));
    expect(dot).toMatch(/^ {4}r\d+ \[label="demo-aks\\n[^\]]*, color="#D32F2F", penwidth=2\];$/m);
    expect(dot).toContain('legend_mandatory [label="mandatory policy violation"');
    const visible = [...dot.matchAll(/^ {2}(\w+) -> (\w+)(?! \[style=invis\])/gm)];
    expect(visible).toEqual([]);
    const svg = await renderSvg(graph);
    expect(svg).toContain("<svg");
    expect(svg).toContain("demo&#45;aks");
    const png = await renderPng(svg);
    expect(Buffer.from(png.subarray(0, 8))).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  });

  it("groups resources by their nearest component and counts the dependencies between groups", () => {
    const node = (urn: string, parent: string, deps: string[] = [], custom = true) => ({
      urn,
      type: custom ? "azure-native:storage:StorageAccount" : "aksml:index:Thing",
      name: urn,
      parent,
      provider: "",
      dependencies: deps,
      custom,
      inputs: {},
    });
    const p = picture({
      project: "p",
      stack: "s",
      stackUrn: "stack",
      outputs: {},
      policy: { evaluated: false, verdicts: [] },
      nodes: [
        node("rg", "stack"),
        node("A", "stack", [], false),
        node("a1", "A", ["rg"]),
        node("a2", "A"),
        node("B", "stack", [], false),
        node("b1", "B", ["a1", "a2"]),
        node("b2", "b1", ["a1"]),
      ],
    });
    expect(p.groups.map((g) => [g.title, g.nodes.map((n) => n.title)])).toEqual([
      ["A", ["a1", "a2"]],
      ["B", ["b1", "b2"]],
    ]);
    expect(p.loose.map((n) => n.title)).toEqual(["rg"]);
    expect(p.edges).toEqual([
      { from: "r0", to: "g0", count: 1 },
      { from: "g0", to: "g1", count: 3 },
    ]);
    expect(p.providers).toEqual(["azure"]);
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
