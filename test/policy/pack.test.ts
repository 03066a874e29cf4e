// `new PolicyPack` always starts a gRPC server, so the pack entry point cannot be
// imported in-process. Instead this starts it the way `pulumi preview --policy-pack`
// does: node with the node args of PulumiPolicy.yaml running Pulumi's own
// run-policy-pack script on the pack directory. It reads the port the pack prints and
// asks it over the analyzer protocol.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluatePolicies } from "../../preview/policyEvaluation.js";
import { unwrapSecrets } from "../../preview/secretMarker.js";
import { POLICY_FACTORIES } from "../../policy/policies/all.js";
import { change, productionGraph } from "./fixtures.js";

const require = createRequire(import.meta.url);
const grpc = require("@grpc/grpc-js");
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzer = require("@pulumi/pulumi/proto/analyzer_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

const policyDir = fileURLToPath(new URL("../../policy", import.meta.url));
const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");

/**
 * Every policy and its default level, written out here (not read from the factories):
 * turning a mandatory policy advisory must fail a test. The README table is the source.
 */
const DOCUMENTED_LEVELS: [string, "mandatory" | "advisory"][] = [
  ["prod-cluster-capacity", "mandatory"],
  ["devtest-cluster-capacity", "advisory"],
  ["no-hpa-on-model-deployments", "mandatory"],
  ["webservice-config-valid", "mandatory"],
  ["webservice-auth-required", "mandatory"],
  ["webservice-single-auth-mode", "mandatory"],
  ["webservice-autoscale-bounds", "mandatory"],
  ["webservice-max-models", "mandatory"],
  ["webservice-unique-names", "mandatory"],
  ["endpoint-config-valid", "mandatory"],
  ["endpoint-auth-required", "mandatory"],
  ["endpoint-unique-names", "mandatory"],
  ["endpoint-versions-declared", "advisory"],
  ["model-rolling-update-safe", "advisory"],
  ["token-issuer-region", "advisory"],
  ["router-high-availability", "mandatory"],
  ["router-tls-on-public-lb", "mandatory"],
  ["router-max-request-bytes", "mandatory"],
  ["resource-limits-cover-requests", "mandatory"],
  ["images-from-cluster-acr", "advisory"],
  ["storage-no-public-blob-access", "mandatory"],
  ["storage-min-tls-1-2", "mandatory"],
  ["acr-admin-user-disabled", "advisory"],
  ["firewall-covers-egress-fqdns", "mandatory"],
];

let child: ChildProcess;
let client: any;
let stderr = "";

function startPack(): Promise<number> {
  return new Promise((resolve, reject) => {
    // The engine address argument is only shifted off by run-policy-pack; the pack serves on its own port.
    const project = parse(readFileSync(`${policyDir}/PulumiPolicy.yaml`, "utf8"));
    const nodeArgs = String(project.runtime.options.nodeargs).split(/\s+/);
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    child = spawn(process.execPath, [...nodeArgs, runPolicyPack, "127.0.0.1:1", "."], {
      cwd: policyDir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(
      () => reject(new Error(`policy pack printed no port within 45 s; stderr: ${stderr}`)),
      45_000,
    );
    let stdout = "";
    child.stdout!.on("data", (d) => {
      stdout += d;
      const m = /^(\d+)\s*$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited with ${code} before serving; stderr: ${stderr}`));
    });
  });
}

function call<T>(method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

beforeAll(async () => {
  const port = await startPack();
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(() => {
  client?.close();
  child?.kill();
});

describe("policy pack entry point (policy/index.ts)", () => {
  it("serves exactly the documented policies at their documented enforcement levels", async () => {
    const info = await call<any>("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe("aksml");
    const policies = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
    const level = { mandatory: analyzer.EnforcementLevel.MANDATORY, advisory: analyzer.EnforcementLevel.ADVISORY };
    expect(policies).toEqual(DOCUMENTED_LEVELS.map(([name, l]) => [name, level[l]]));
    // The pack serves what allPolicies() builds, in its order.
    expect(DOCUMENTED_LEVELS.map(([name]) => name)).toEqual(Object.keys(POLICY_FACTORIES));
  });

  it("the policy README's table states the same levels", () => {
    const readme = readFileSync(`${policyDir}/README.md`, "utf8");
    const rows = [...readme.matchAll(/^\| `([a-z0-9-]+)` \| (mandatory|advisory) \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(DOCUMENTED_LEVELS);
  });

  it("reports a mandatory violation for a public storage account through the analyzer protocol", async () => {
    const req = new analyzer.AnalyzeRequest();
    req.setType("azure-native:storage:StorageAccount");
    req.setName("models");
    req.setUrn("urn:pulumi:dev::aksml::azure-native:storage:StorageAccount::models");
    req.setProperties(
      Struct.fromJavaScript({ accountName: "models", allowBlobPublicAccess: true, minimumTlsVersion: "TLS1_2" }),
    );
    req.setOptions(new analyzer.AnalyzerResourceOptions());
    const res = await call<any>("analyze", req);
    const diagnostics = res
      .getDiagnosticsList()
      .map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
    expect(diagnostics).toEqual([
      {
        policy: "storage-no-public-blob-access",
        level: analyzer.EnforcementLevel.MANDATORY,
        message: expect.stringContaining("allowBlobPublicAccess=true"),
      },
    ]);
  });

  it("runs the stack policies over a whole graph and agrees with evaluatePolicies", async () => {
    // Broken on purpose: 2 small nodes on FastProd, one router replica.
    const graph = productionGraph().filter((r) => r.name !== "platform-pool-cpu");
    change(
      graph,
      "platform-aks",
      (p) => (p.agentPoolProfiles = [{ name: "system", count: 2, vmSize: "Standard_D2s_v5" }]),
    );
    change(graph, "platform-fe", (p) => (p.spec.replicas = 1));
    const req = new analyzer.AnalyzeStackRequest();
    req.setResourcesList(
      graph.map((r) => {
        const resource = new analyzer.AnalyzerResource();
        resource.setType(r.type);
        resource.setName(r.name);
        resource.setUrn(r.urn);
        resource.setParent(r.parent);
        resource.setDependenciesList(r.dependencies);
        resource.setProperties(Struct.fromJavaScript(unwrapSecrets(r.state) as Record<string, any>));
        resource.setOptions(new analyzer.AnalyzerResourceOptions());
        return resource;
      }),
    );
    const res = await call<any>("analyzeStack", req);
    // The server prefixes each message with the policy's description and a newline.
    const description = (name: string) => POLICY_FACTORIES[name as keyof typeof POLICY_FACTORIES]().description;
    const served = res.getDiagnosticsList().map((d: any) => {
      const prefix = `${description(d.getPolicyname())}\n`;
      expect(d.getMessage().startsWith(prefix)).toBe(true);
      return [d.getPolicyname(), d.getUrn(), d.getMessage().slice(prefix.length)];
    });
    const inProcess = evaluatePolicies(graph).map((v) => [v.policy, v.urn, v.message]);
    expect(served.map((d: string[]) => d[0]).sort()).toEqual(["prod-cluster-capacity", "router-high-availability"]);
    expect(served).toEqual(expect.arrayContaining(inProcess));
    expect(inProcess).toHaveLength(served.length);
  });
});
