import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, type MockRuntime } from "../../preview/mockRuntime.js";
import { ModelWebservice } from "../../components/modelWebservice/index.js";
import { loadAzureMlConfig } from "../../components/modelWebservice/fromAzureMlConfig.js";
import { parseServiceConfig } from "../../router/contract/serviceConfig.js";
import { clusterConnection, reveal, routerConnection } from "./modelWebserviceFixtures.js";

const QUICKSTART = fileURLToPath(new URL("../../examples/quickstart/model/", import.meta.url));
const common = { cluster: clusterConnection(), router: routerConnection() };
const dir = mkdtempSync(join(tmpdir(), "aksml-azml-config-"));
let n = 0;
function file(content: unknown): string {
  const p = join(dir, `config-${n++}.json`);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}
const inference = join(QUICKSTART, "inferenceconfig.json");
function problems(ic: string, dc: string): { propertyPath: string; reason: string }[] {
  try {
    loadAzureMlConfig({ ...common, inferenceConfigPath: ic, deploymentConfigPath: dc });
  } catch (e) {
    if (pulumi.InputPropertiesError.isInstance(e)) return e.errors;
    throw e;
  }
  return [];
}

let rt: MockRuntime;
beforeAll(async () => {
  rt = await startMockRuntime();
});

describe("ModelWebservice.fromAzureMlConfig", () => {
  it("deploys the quickstart from the files az ml model deploy takes", async () => {
    ModelWebservice.fromAzureMlConfig("from-config", {
      ...common,
      inferenceConfigPath: inference,
      deploymentConfigPath: join(QUICKSTART, "deploymentconfig.json"),
      models: [{ name: "linear", version: 1, path: join(QUICKSTART, "linear-model.json") }],
    });
    await settle();
    const img = reveal(rt.one("docker-build:index:Image", "from-config-image").inputs) as any;
    expect(img.context.location).toBe(join(QUICKSTART, "src"));
    expect(img.dockerfile.inline).toContain('ENV WORKER_COUNT="1"');
    const svc = reveal(rt.one("kubernetes:core/v1:Service", "from-config-service").inputs) as any;
    const parsed = parseServiceConfig("from-config", svc.metadata.annotations["aksml/config"]);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.config.autoscale).toMatchObject({ enabled: true, minReplicas: 1, maxReplicas: 3 });
    expect(parsed.config.auth.mode).toBe("key");
  });

  it("maps the docs' names", () => {
    const args = loadAzureMlConfig({
      ...common,
      inferenceConfigPath: inference,
      deploymentConfigPath: file({
        computeType: "AKS",
        tokenAuthEnabled: true,
        authEnabled: false,
        gpuCores: 1,
        numReplicas: 2,
        autoScaler: { autoscaleEnabled: false },
        containerResourceRequirements: { cpu: 1, memoryInGB: 2, cpuLimit: 2, memoryInGBLimit: 4 },
        appInsightsEnabled: true,
        dataCollection: { storageEnabled: true },
        scoringTimeoutMs: 5000,
        maxConcurrentRequestsPerContainer: 2,
        maxQueueWaitMs: 800,
        keys: { primaryKey: "p", secondaryKey: "s" },
        livenessProbeRequirements: { periodSeconds: 20 },
        namespace: "models",
        description: "d",
        tags: { a: "b" },
      }),
    });
    expect(args).toMatchObject({
      tokenAuthEnabled: true,
      authEnabled: false,
      gpuCores: 1,
      numReplicas: 2,
      autoscale: { enabled: false },
      cpuCores: 1,
      memoryGb: 2,
      cpuCoresLimit: 2,
      memoryGbLimit: 4,
      enableAppInsights: true,
      collectModelData: true,
      scoringTimeoutMs: 5000,
      replicaMaxConcurrentRequests: 2,
      maxRequestWaitTimeMs: 800,
      primaryKey: "p",
      secondaryKey: "s",
      livenessProbe: { periodSeconds: 20 },
      namespace: "models",
      description: "d",
      tags: { a: "b" },
    });
    expect(args.inferenceConfig).toMatchObject({
      entryScript: "score.py",
      sourceDirectory: join(QUICKSTART, "src"),
      environment: {
        baseImage: "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
        environmentVariables: { WORKER_COUNT: "1" },
      },
    });
  });

  it("token auth and App Insights from the files can be deployed: issuer and key come with the options", async () => {
    const dc = file({ computeType: "AKS", aadAuthEnabled: true, authEnabled: false, appInsightsEnabled: true });
    ModelWebservice.fromAzureMlConfig("from-config-token", {
      ...common,
      inferenceConfigPath: inference,
      deploymentConfigPath: dc,
      tokenIssuer: "https://login.microsoftonline.com/tenant/v2.0",
      tokenAudience: "api://scoring",
      appInsightsConnectionString:
        "InstrumentationKey=abc;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
    });
    await settle();
    const svc = reveal(rt.one("kubernetes:core/v1:Service", "from-config-token-service").inputs) as any;
    const parsed = parseServiceConfig("from-config-token", svc.metadata.annotations["aksml/config"]);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    expect(parsed.config.auth).toMatchObject({
      mode: "token",
      issuer: "https://login.microsoftonline.com/tenant/v2.0",
      audience: "api://scoring",
    });
    const insights = rt.one("kubernetes:core/v1:Secret", "from-config-token-appinsights").inputs as any;
    expect(rt.one("kubernetes:core/v1:Secret", "from-config-token-appinsights").secretInputs).toContain("stringData");
    // The inference server builds `InstrumentationKey=<AML_APP_INSIGHTS_KEY>`: it gets the rest of the string after the key.
    expect((reveal(insights) as any).stringData).toEqual({
      AML_APP_INSIGHTS_KEY: "abc;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
      APPLICATIONINSIGHTS_CONNECTION_STRING:
        "InstrumentationKey=abc;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
    });
  });

  it("maps the REST names (aadAuthEnabled, containerResourceRequirements.gpu, kvTags) and the older inference config keys", () => {
    const args = loadAzureMlConfig({
      ...common,
      inferenceConfigPath: file({
        entryScript: "score.py",
        sourceDirectory: join(QUICKSTART, "src"),
        runtime: "python",
        condaFile: "env.yml",
        baseImage: "img:1",
      }),
      deploymentConfigPath: file({
        aadAuthEnabled: true,
        containerResourceRequirements: { gpu: 2 },
        kvTags: { k: "v" },
      }),
    });
    expect(args).toMatchObject({ tokenAuthEnabled: true, gpuCores: 2, tags: { k: "v" } });
    expect(args.inferenceConfig?.environment).toMatchObject({ baseImage: "img:1", condaFile: join(dir, "env.yml") });
  });

  it("both names with one value are fine; with different values they are an error", () => {
    const ok = problems(
      inference,
      file({ tokenAuthEnabled: true, aadAuthEnabled: true, gpuCores: 1, containerResourceRequirements: { gpu: 1 } }),
    );
    expect(ok).toEqual([]);
    const bad = problems(
      inference,
      file({ tokenAuthEnabled: true, aadAuthEnabled: false, gpuCores: 1, containerResourceRequirements: { gpu: 2 } }),
    );
    expect(bad.map((p) => p.propertyPath)).toEqual(["deploymentconfig#gpuCores", "deploymentconfig#tokenAuthEnabled"]);
  });

  it("unknown keys are errors naming the file and the key, in both files, all at once", () => {
    const ic = file({
      entryScript: "score.py",
      sourceDirectory: ".",
      enviroment: {},
      environment: { docker: { baseImag: "x" } },
    });
    const dc = file({ autoScaler: { autoscaleEnabled: true, maxReplica: 3 }, numReplica: 2 });
    const found = problems(ic, dc);
    expect(found.map((p) => p.propertyPath)).toEqual([
      "inferenceconfig#enviroment",
      "inferenceconfig#environment.docker.baseImag",
      "deploymentconfig#numReplica",
      "deploymentconfig#autoScaler.maxReplica",
    ]);
    expect(found[0].reason).toContain(`unknown key; expected one of entryScript, sourceDirectory`);
    expect(found[0].reason).toContain(ic);
    expect(found[2].reason).toContain(dc);
  });

  it("wrong types, a non-AKS compute type, a missing entry script and unreadable JSON are errors", () => {
    expect(
      problems(inference, file({ numReplicas: "2", computeType: "ACI", authEnabled: "yes" })).map(
        (p) => p.propertyPath,
      ),
    ).toEqual(["deploymentconfig#numReplicas", "deploymentconfig#authEnabled", "deploymentconfig#computeType"]);
    expect(problems(file({ sourceDirectory: "." }), file({})).map((p) => p.propertyPath)).toEqual([
      "inferenceconfig#entryScript",
    ]);
    expect(problems(inference, file("{ not json")).map((p) => p.propertyPath)).toEqual(["deploymentconfig#$"]);
    expect(problems(file({ entryScript: "s.py", runtime: "spark-py" }), file({})).map((p) => p.propertyPath)).toEqual([
      "inferenceconfig#runtime",
    ]);
  });

  it("never quotes a key in an error: a mistyped key and a malformed file name the place, not the value", () => {
    const mistyped = problems(
      inference,
      file({ keys: { primaryKey: 98765432123, secondaryKey: ["sk-live-0123456789abcdef"] } }),
    );
    expect(mistyped.map((p) => p.propertyPath)).toEqual([
      "deploymentconfig#keys.primaryKey",
      "deploymentconfig#keys.secondaryKey",
    ]);
    expect(mistyped[0]!.reason).toMatch(/must be a string, got a number/);
    const malformed = problems(inference, file('{"keys": {"primaryKey": "sk-live-0123456789abcdef" oops}}'));
    expect(malformed.map((p) => p.propertyPath)).toEqual(["deploymentconfig#$"]);
    const text = JSON.stringify([mistyped, malformed]);
    expect(text).not.toContain("98765432123");
    expect(text).not.toContain("0123456789abcdef");
  });
});
