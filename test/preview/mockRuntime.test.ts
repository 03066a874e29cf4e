// The Pulumi engine cannot run here (no CLI, no credentials): these tests exercise
// Pulumi's own mock runtime through the harness that `aksml plan` and every
// component test use.
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, outputValue, isSecret, settle, type MockRuntime } from "../../preview/mockRuntime.js";
import { MOCK_KUBECONFIG } from "../../preview/computedOutputs.js";
import { SECRET_SIG, SECRET_VALUE_SIG, unwrapSecrets } from "../../preview/secretMarker.js";

let rt: MockRuntime;
beforeAll(async () => {
  rt = await startMockRuntime();
});

describe("mock runtime harness", () => {
  it("records parent, provider, dependencies and realistic computed outputs", async () => {
    const resources = await import("@pulumi/azure-native/resources/index.js");
    const cs = await import("@pulumi/azure-native/containerservice/index.js");
    const k8s = await import("@pulumi/kubernetes");
    class Box extends pulumi.ComponentResource {
      constructor(name: string) {
        super("test:index:Box", name, {}, {});
        const rg = new resources.ResourceGroup(`${name}-rg`, {}, { parent: this });
        const aks = new cs.ManagedCluster(
          `${name}-aks`,
          { resourceGroupName: rg.name, dnsPrefix: "box" },
          { parent: this },
        );
        const creds = cs.listManagedClusterUserCredentialsOutput({
          resourceGroupName: rg.name,
          resourceName: aks.name,
        });
        const kubeconfig = pulumi.secret(creds.kubeconfigs.apply((k) => Buffer.from(k[0].value, "base64").toString()));
        const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig }, { parent: this, dependsOn: [aks] });
        new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: "models" } }, { parent: this, provider });
        this.fqdn = aks.fqdn;
        this.kubeconfig = kubeconfig;
        this.registerOutputs({});
      }
      fqdn: pulumi.Output<string>;
      kubeconfig: pulumi.Output<string>;
    }
    const box = new Box("b");
    expect(await outputValue(box.fqdn)).toMatch(/^box-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io$/);
    expect(await outputValue(box.kubeconfig)).toBe(MOCK_KUBECONFIG);
    expect(await isSecret(box.kubeconfig)).toBe(true);
    await settle();
    const aks = rt.one("azure-native:containerservice:ManagedCluster");
    const comp = rt.one("test:index:Box");
    expect(aks.parent).toBe(comp.urn);
    expect(aks.dependencies).toContain(rt.one("azure-native:resources:ResourceGroup").urn);
    const ns = rt.one("kubernetes:core/v1:Namespace");
    expect(ns.provider.startsWith(rt.one("pulumi:providers:kubernetes").urn)).toBe(true);
    expect(rt.one("pulumi:providers:kubernetes").secretInputs).toContain("kubeconfig");
    expect(() => rt.one("azure-native:storage:StorageAccount")).toThrow(/expected exactly one/);
  });

  it("marks secrets exactly as the SDK serializes them (secretMarker.ts copies the SDK's constants to stay SDK-free)", () => {
    expect(SECRET_SIG).toBe(pulumi.runtime.specialSigKey);
    expect(SECRET_VALUE_SIG).toBe(pulumi.runtime.specialSecretSig);
    const wire = {
      a: [{ [SECRET_SIG]: SECRET_VALUE_SIG, value: { k: { [SECRET_SIG]: SECRET_VALUE_SIG, value: "s" } } }],
      b: 1,
    };
    expect(unwrapSecrets(wire)).toEqual({ a: [{ k: "s" }], b: 1 });
  });
});
