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
    expectUpgradeSettings(doc);
    expectEndpoint(doc);
  },
  "attach-existing": (doc) => {
    expect(ofType(doc, CLUSTER)).toHaveLength(0);
    expect(ofType(doc, "pulumi:providers:kubernetes").length).toBeGreaterThan(0);
  },
};

/** The production example's endpoint: two versions behind one Service, with a rollout plan. */
function expectEndpoint(doc: PlanDoc): void {
  expect(ofType(doc, "aksml:index:ModelEndpoint").map((r) => r.name)).toEqual(["price"]);
  const services = ofType(doc, "aksml:index:ModelWebservice").map((r) => r.name);
  expect(services).toEqual(expect.arrayContaining(["price-v1", "price-v2"]));
  const endpoint = ofType(doc, "kubernetes:core/v1:Service").find((r) => r.name === "price-service")!;
  const config = JSON.parse(endpoint.inputs.metadata.annotations["aksml/endpoint-config"]);
  expect(config.versions.map((v: { version: string; service: string }) => [v.version, v.service])).toEqual([
    ["v1", "price-v1"],
    ["v2", "price-v2"],
  ]);
  expect(config.rollout).toMatchObject({ version: "v2", steps: [10, 50, 100] });
}

/** The production example's upgrade settings: channels, the weekly window, surge per pool, pools on the cluster's version. */
function expectUpgradeSettings(doc: PlanDoc): void {
  const cluster = ofType(doc, CLUSTER)[0].inputs;
  expect(cluster.autoUpgradeProfile).toEqual({ upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" });
  expect(cluster.agentPoolProfiles[0].upgradeSettings).toEqual({ maxSurge: "33%" });
  const windows = ofType(doc, "azure-native:containerservice:MaintenanceConfiguration");
  expect(windows.map((w) => w.inputs.configName).sort()).toEqual([
    "aksManagedAutoUpgradeSchedule",
    "aksManagedNodeOSUpgradeSchedule",
  ]);
  for (const w of windows) expect(w.inputs.maintenanceWindow.schedule.weekly.dayOfWeek).toBe("Saturday");
  const gpu = ofType(doc, "azure-native:containerservice:AgentPool").find((p) => p.inputs.agentPoolName === "gpu")!;
  expect(gpu.inputs.upgradeSettings).toEqual({ maxSurge: "1" });
}

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

  it("the production example's leaf domain variant plans with no mandatory policy violation", async () => {
    const r = await runCli([
      "plan",
      "examples/production",
      "--json",
      "--config",
      "leafDomainLabel=contosoml",
      "--config",
      "acmeEmail=ops@contoso.com",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as PlanDoc;
    expect(doc.policy.evaluated).toBe(true);
    expect(doc.policy.verdicts.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    // The variant is what it claims: a public router on the generated name, with the certificate path.
    expect(ofType(doc, "azure-native:network:AzureFirewall")).toHaveLength(0);
    expect(ofType(doc, "kubernetes:helm.sh/v3:Release")[0].inputs.chart).toBe("cert-manager");
    expect(ofType(doc, "kubernetes:cert-manager.io/v1:ClusterIssuer")[0].inputs.spec.acme.email).toBe(
      "ops@contoso.com",
    );
    const host = String(doc.outputs.routerEndpoint);
    expect(host).toMatch(/^https:\/\/contosoml[a-z0-9]{6}\.westeurope\.cloudapp\.azure\.com$/);
    expect(ofType(doc, "kubernetes:cert-manager.io/v1:Certificate")[0].inputs.spec.dnsNames).toEqual([
      host.slice("https://".length),
    ]);
    const lb = ofType(doc, "kubernetes:core/v1:Service").find((s) => s.inputs.spec?.type === "LoadBalancer")!;
    expect(lb.inputs.metadata.annotations["service.beta.kubernetes.io/azure-load-balancer-internal"]).toBeUndefined();
    expect(lb.inputs.spec.ports.map((p: { port: number }) => p.port)).toEqual([443, 80]);
    expect(String(doc.outputs.gpuScoringUri)).toBe(`${host}/api/v1/service/linear-gpu/score`);
    expectUpgradeSettings(doc);
  });
});
