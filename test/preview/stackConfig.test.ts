// Stack settings are read the way the Pulumi CLI reads them: Pulumi.yaml (name, main,
// config defaults), then Pulumi.<stack>.yaml, then --config.
import { describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findProjectFile, loadStackSettings, PlanSetupError, resolveEntry } from "../../preview/stackConfig.js";
import { REPO_ROOT } from "../cli/runCli.js";

const SMALL = fileURLToPath(new URL("../cli/fixtures/small", import.meta.url));

describe("stack settings", () => {
  it("uses Pulumi.yaml's project name and config defaults, qualifying bare keys", () => {
    const s = loadStackSettings({ program: SMALL, stack: "dev", configPairs: [] });
    expect(s.project).toBe("plan-fixture");
    expect(s.entry).toBe(join(SMALL, "index.ts"));
    expect(s.config).toEqual({ "azure-native:location": "northeurope", "plan-fixture:replicas": "2" });
  });

  it("lets Pulumi.<stack>.yaml override the defaults and --config override both", () => {
    expect(
      loadStackSettings({ program: SMALL, stack: "staging", configPairs: [] }).config["azure-native:location"],
    ).toBe("swedencentral");
    const s = loadStackSettings({
      program: SMALL,
      stack: "staging",
      configPairs: ["azure-native:location=uksouth", "replicas=5"],
    });
    expect(s.config).toEqual({ "azure-native:location": "uksouth", "plan-fixture:replicas": "5" });
  });

  it("marks secure stack values and secret project config as secret, never exposing ciphertext", () => {
    const dir = mkdtempSync(join(tmpdir(), "aksml-plan-"));
    writeFileSync(join(dir, "index.ts"), "export {};\n");
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      "name: p\nruntime: nodejs\nconfig:\n  token:\n    secret: true\n    default: abc\n  tags:\n    default: {team: ml}\n",
    );
    writeFileSync(join(dir, "Pulumi.prod.yaml"), "config:\n  p:password:\n    secure: AAABAJ0ciphertext\n");
    const s = loadStackSettings({ program: dir, stack: "prod", configPairs: [] });
    expect(s.config).toEqual({ "p:token": "abc", "p:tags": '{"team":"ml"}', "p:password": "[secret]" });
    expect(s.secretConfigKeys.sort()).toEqual(["p:password", "p:token"]);
  });

  it("follows main from a Pulumi.yaml and skips a Pulumi.yaml that belongs to another program", () => {
    const dir = mkdtempSync(join(tmpdir(), "aksml-plan-"));
    mkdirSync(join(dir, "app"));
    mkdirSync(join(dir, "other"));
    writeFileSync(join(dir, "app", "index.ts"), "export {};\n");
    writeFileSync(join(dir, "other", "index.ts"), "export {};\n");
    writeFileSync(join(dir, "Pulumi.yaml"), "name: outer\nruntime: nodejs\nmain: app\n");
    expect(resolveEntry(dir)).toBe(join(dir, "app", "index.ts"));
    expect(findProjectFile(join(dir, "app", "index.ts"))).toBe(join(dir, "Pulumi.yaml"));
    expect(findProjectFile(join(dir, "other", "index.ts"))).toBeUndefined();
    expect(loadStackSettings({ program: join(dir, "other"), stack: "dev", configPairs: [] }).project).toBe("aksml");
  });

  it("the repository's Pulumi.yaml is the quickstart stack", () => {
    const s = loadStackSettings({ program: REPO_ROOT, stack: "dev", configPairs: [] });
    expect(s.project).toBe("aksml-quickstart");
    expect(s.entry).toBe(join(REPO_ROOT, "examples", "quickstart", "index.ts"));
    expect(s.config["azure-native:location"]).toBe("westeurope");
  });

  it("rejects a missing program and a malformed --config as setup errors", () => {
    expect(() => loadStackSettings({ program: "/nonexistent/prog", stack: "dev", configPairs: [] })).toThrow(
      PlanSetupError,
    );
    expect(() => loadStackSettings({ program: SMALL, stack: "dev", configPairs: ["novalue"] })).toThrow(
      /--config expects key=value/,
    );
  });
});
