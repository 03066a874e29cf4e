// `aksml plan` end to end, as a child process: exit codes, error reporting, policy wiring.
import { describe, expect, it } from "vitest";
import { runCli } from "./runCli.js";

const fixture = (name: string) => `test/cli/fixtures/${name}`;

// Each case spawns node processes; on a busy 2-core CI runner one plan can take ~15 s.
describe("aksml plan exit codes and messages", { timeout: 120_000 }, () => {
  it("a component's InputPropertiesError exits 1 listing every property path and reason", async () => {
    const r = await runCli(["plan", fixture("invalid")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("invalid arguments for Strict bad");
    expect(r.stderr).toContain("- nodeCount: FastProd needs at least 3 nodes, got 1; set nodeCount >= 3");
    expect(r.stderr).toContain("- agentPools[0].vmSize: unknown VM size tiny; set vcpusPerNode");
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe("");
  });

  it("a component's own rejection prints its summary once and each reason once, one per line", async () => {
    const r = await runCli(["plan", fixture("invalidCluster")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AksInferenceCluster "ml" has 2 invalid arguments (agentCount)\n');
    const reason =
      "agentCount: FastProd needs at least 3 nodes (got 1); raise agentCount or use clusterPurpose DevTest.";
    expect(r.stderr.split(reason).length - 1).toBe(1);
    expect(r.stderr).toContain(`    - ${reason}`);
  });

  it("a plain JavaScript program's unknown keys and wrongly typed values are rejected with the nearest names", async () => {
    const r = await runCli(["plan", fixture("untypedJs"), "--json"]);
    expect(r.code).toBe(1);
    const errors = JSON.parse(r.stdout).errors as {
      message: string;
      properties: { propertyPath: string; reason: string }[];
    }[];
    const reasons = Object.fromEntries(errors.flatMap((e) => e.properties.map((p) => [p.propertyPath, p.reason])));
    // Each component throws at its own validation point; the first one stops the program.
    expect(errors[0].message).toContain('ContainerInsights "js-insights"');
    expect(reasons.retentionInDays).toBe('must be a number, not the string "30" (write 30, without quotes).');
    expect(r.stderr).toContain("retentionInDays: must be a number");
  });

  it("rejects every unknown key and wrong kind of one component at once, nested ones too", async () => {
    const r = await runCli(["plan", fixture("untypedJs"), "--json"], {
      AKSML_FIXTURE_FIX_RETENTION: "1",
    });
    expect(r.code).toBe(1);
    const errors = JSON.parse(r.stdout).errors as {
      message: string;
      properties: { propertyPath: string; reason: string }[];
    }[];
    const reasons = Object.fromEntries(errors.flatMap((e) => e.properties.map((p) => [p.propertyPath, p.reason])));
    expect(errors[0].message).toContain('ModelWebservice "js-model" has 3 invalid arguments');
    expect(reasons.cpu_cores).toMatch(/^is not an argument here; did you mean "cpuCores"\?/);
    expect(reasons.authEnabled).toBe('must be true or false, not the string "true" (write true, without quotes).');
    expect(reasons["autoscale.max_replicas"]).toMatch(/did you mean "maxReplicas"\?/);
  });

  it("a validation error raised inside an apply is reported too, and --json yields an error document", async () => {
    const r = await runCli(["plan", fixture("asyncInvalid"), "--json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("- resourceGroup.name: late-rg");
    expect(JSON.parse(r.stdout).errors[0].properties[0].propertyPath).toBe("resourceGroup.name");
  });

  it("an unhandled rejection in the program is reported with its origin, not a stack dump", async () => {
    const r = await runCli(["plan", fixture("rejects")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot derive a DNS label from rj-rg[0-9a-f]{8} \(at .*fixtures\/rejects\/index\.ts(:\d+:\d+)?\)/,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it("a rejection that arrives after the plan was printed still fails the plan", async () => {
    const r = await runCli(["plan", fixture("rejectsLate"), "--no-policy"]);
    expect(r.stdout).toContain("Outputs:");
    expect(r.stderr).toContain("error: after the plan was printed, the program failed under the plan (1 problem)");
    expect(r.stderr).toContain("late failure in the program");
    expect(r.code).toBe(1);
  });

  it("a program that never finishes fails after the plan timeout instead of hanging or exiting 0", async () => {
    const r = await runCli(["plan", fixture("hangs")], { AKSML_PLAN_TIMEOUT_MS: "1500" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the program did not finish within 1.5 s");
  });

  it.each([
    [["plan"], /missing the program to plan/],
    [["plan", fixture("small"), "--bogus"], /Unknown option '--bogus'/],
    [["plan", fixture("small"), "--format", "pdf"], /unknown format "pdf"/],
    [["plan", fixture("small"), "--json", "--format", "dot"], /--json conflicts with --format dot/],
    [["plan", fixture("small"), "--enforce", "x=loud"], /--enforce expects NAME=/],
    // A typo'd policy name used to surface only after the whole plan, as exit 1 "policy pack failed".
    [
      ["plan", fixture("small"), "--enforce", "storage-no-public-blobs=disabled"],
      /--enforce names unknown policy "storage-no-public-blobs"; the pack has: prod-cluster-capacity, /,
    ],
    [["plan", "test/cli/fixtures/none"], /program not found/],
    [["nosuchcommand"], /unknown command "nosuchcommand"/],
    [[], /commands:/],
  ])("usage error %j exits 2 with usage", async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("usage: aksml");
  });

  it("--help prints the options and exits 0", async () => {
    const r = await runCli(["plan", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--no-policy/);
  });

  it("a mandatory policy violation exits 1, printed before advisory ones; --enforce and --no-policy change that", async () => {
    const r = await runCli(["plan", fixture("policyViolation")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Policy: 1 mandatory violation(s), 1 advisory");
    expect(r.stdout.indexOf("mandatory storage-no-public-blob-access pvmodels")).toBeGreaterThan(0);
    expect(r.stdout.indexOf("mandatory storage-no-public-blob-access")).toBeLessThan(
      r.stdout.indexOf("advisory  acr-admin-user-disabled"),
    );

    const relaxed = await runCli([
      "plan",
      fixture("policyViolation"),
      "--json",
      "--enforce",
      "storage-no-public-blob-access=advisory",
    ]);
    expect(relaxed.code).toBe(0);
    expect(JSON.parse(relaxed.stdout).policy).toMatchObject({ evaluated: true, mandatory: 0, advisory: 2 });

    const skipped = await runCli(["plan", fixture("policyViolation"), "--no-policy"]);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain("Policy: policy checks skipped (--no-policy)");
  });

  // Every format is rendered in-process by plan.test.ts; this checks the command's own path.
  it("plans the small fixture as a real process, applying --config, without leaking its secret", async () => {
    const { FIXTURE_SECRET } = await import("./fixtures/small/secret.js");
    const r = await runCli(["plan", fixture("small"), "--json", "--config", "azure-native:location=uksouth"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(FIXTURE_SECRET);
    const doc = JSON.parse(r.stdout);
    expect(doc.outputs).toMatchObject({ kubeconfig: "[secret]", keys: { primary: "[secret]", region: "uksouth" } });
  });
});
