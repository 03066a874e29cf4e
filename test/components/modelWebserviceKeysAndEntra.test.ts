/**
 * ModelWebservice's key model and Entra ID registration under Pulumi's mock runtime (the
 * engine cannot run here). The mock cluster (preview/mockRuntime.ts) answers reads with
 * what the program created, or with `liveObjects`: keys rotated outside the stack, as
 * `aksml regen-key` leaves them.
 *
 * Key model: the `<name>-keys` Secret owns the keys after creation (its data is ignored by
 * later updates, so `pulumi up` never puts an old key back); `keyRotation` writes one slot
 * once through a patch named after the counter; the outputs are read back from the Secret.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, outputValue, isSecret, type MockRuntime } from "../../preview/mockRuntime.js";
import { MOCK_TENANT_ID } from "../../preview/computedOutputs.js";
import { ModelWebservice } from "../../components/modelWebservice/index.js";
import { AZURE_CLI_CLIENT_ID } from "../../components/modelWebservice/entra.js";
import { CONFIG_ANNOTATION, parseServiceConfig } from "../../router/contract/serviceConfig.js";
import { clusterConnection, reveal, routerConnection } from "./modelWebserviceFixtures.js";

const router = routerConnection();
const b64 = (s: string) => Buffer.from(s).toString("base64");
const ROTATED_BY_CLI = "rotated-by-aksml-regen-key-0123";

let rt: MockRuntime;
const svc: Record<string, ModelWebservice> = {};
const warn = vi.spyOn(pulumi.log, "warn");

const inputs = (type: string, name: string) => reveal(rt.one(type, name).inputs) as any;
const keysSecret = (n: string) => rt.one("kubernetes:core/v1:Secret", `${n}-keys`);
const randomKey = (n: string) =>
  reveal(rt.one("random:index/randomPassword:RandomPassword", n).state) as { result: string };
const annotationOf = (n: string) => {
  const parsed = parseServiceConfig(
    n,
    inputs("kubernetes:core/v1:Service", `${n}-service`).metadata.annotations[CONFIG_ANNOTATION],
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
};

beforeAll(async () => {
  rt = await startMockRuntime({
    liveObjects: {
      // What the cluster holds after `aksml regen-key cli-rotated --key primary`.
      "kubernetes:core/v1:Secret::default/cli-rotated-keys": {
        metadata: { name: "cli-rotated-keys", namespace: "default" },
        data: { primaryKey: b64(ROTATED_BY_CLI), secondaryKey: b64("secondary-as-created-0123456789") },
      },
      "kubernetes:core/v1:Secret::default/stale-arg-keys": {
        metadata: { name: "stale-arg-keys", namespace: "default" },
        data: { primaryKey: b64(ROTATED_BY_CLI), secondaryKey: b64("stale-arg-secondary-0123456789") },
      },
    },
  });
  const provider = new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
  const base = { cluster: clusterConnection(), router, image: "example.azurecr.io/m:1" };
  const make = (name: string, extra: object) =>
    (svc[name] = new ModelWebservice(name, { ...base, ...extra }, { provider }));
  make("generated", {});
  make("rotated", { keyRotation: { primary: 2 } });
  make("explicit", { primaryKey: "explicit-new-primary-0123456789", keyRotation: { primary: 1 } });
  make("cli-rotated", { secondaryKey: "secondary-as-created-0123456789" });
  make("stale-arg", { primaryKey: "stack-primary-key-0123456789", secondaryKey: "stale-arg-secondary-0123456789" });
  make("scoring", { authEnabled: false, tokenAuthEnabled: true, tokenRequiredRole: "Score.Invoke" });
  make("named-uri", { authEnabled: false, tokenAuthEnabled: true, tokenAudience: "api://contoso.example/scoring" });
  make("external", { authEnabled: false, tokenAuthEnabled: true, tokenIssuer: "https://issuer.example.com" });
  await settle();
});

afterAll(() => warn.mockRestore());

describe("keys: the cluster Secret owns them after creation", () => {
  it("the Secret is written once: later changes to its data are ignored", () => {
    for (const n of ["generated", "rotated", "explicit", "cli-rotated"]) {
      expect(keysSecret(n).ignoreChanges.sort()).toEqual(["data", "stringData"]);
      expect(Object.keys(reveal(keysSecret(n).inputs.stringData) as object).sort()).toEqual([
        "primaryKey",
        "secondaryKey",
      ]);
    }
    expect(
      rt
        .ofType("kubernetes:core/v1:SecretPatch")
        .map((p) => p.name)
        .sort(),
    ).toEqual(["explicit-primary-key-r1", "rotated-primary-key-r2"]);
  });

  it("the outputs are the keys read back from the cluster, and secret", async () => {
    const created = reveal(keysSecret("generated").inputs.stringData) as { primaryKey: string; secondaryKey: string };
    expect(await outputValue(svc.generated!.primaryKey)).toBe(created.primaryKey);
    expect(await outputValue(svc.generated!.secondaryKey)).toBe(created.secondaryKey);
    expect(created.primaryKey).toBe(randomKey("generated-primary-key").result);
    expect(await isSecret(svc.generated!.primaryKey)).toBe(true);
    expect(await isSecret(svc.generated!.secondaryKey)).toBe(true);
  });

  it("after aksml regen-key, the next pulumi up reports the rotated key and does not write the old one back", async () => {
    expect(await outputValue(svc["cli-rotated"]!.primaryKey)).toBe(ROTATED_BY_CLI);
    expect(await outputValue(svc["cli-rotated"]!.secondaryKey)).toBe("secondary-as-created-0123456789");
    // The program still declares its first keys, but the Secret ignores data changes, and no patch exists.
    expect(keysSecret("cli-rotated").ignoreChanges).toContain("stringData");
    expect(rt.ofType("kubernetes:core/v1:SecretPatch").some((p) => p.name.startsWith("cli-rotated"))).toBe(false);
  });

  it("keyRotation writes a new random key into one slot once, through a patch named after the counter", async () => {
    const patch = rt.one("kubernetes:core/v1:SecretPatch", "rotated-primary-key-r2");
    const p = reveal(patch.inputs) as any;
    const fresh = randomKey("rotated-primary-key-r2").result;
    expect(p.metadata).toEqual({
      name: "rotated-keys",
      namespace: "default",
      annotations: { "pulumi.com/patchForce": "true", "aksml/primary-key-rotation": "2" },
    });
    expect(p.data).toEqual({ primaryKey: b64(fresh) });
    expect(patch.secretInputs).toContain("data");
    expect(patch.ignoreChanges.sort()).toEqual(["data", "stringData"]);
    expect(patch.dependencies).toContain(keysSecret("rotated").urn);
    const initial = reveal(keysSecret("rotated").inputs.stringData) as { primaryKey: string; secondaryKey: string };
    expect(fresh).not.toBe(initial.primaryKey);
    expect(await outputValue(svc.rotated!.primaryKey)).toBe(fresh);
    expect(await outputValue(svc.rotated!.secondaryKey)).toBe(initial.secondaryKey);
  });

  it("an explicit key with a bumped counter is written; an explicit key that differs from the served one is reported, not silently ignored", async () => {
    const p = reveal(rt.one("kubernetes:core/v1:SecretPatch", "explicit-primary-key-r1").inputs) as any;
    expect(p.data).toEqual({ primaryKey: b64("explicit-new-primary-0123456789") });
    expect(await outputValue(svc.explicit!.primaryKey)).toBe("explicit-new-primary-0123456789");
    expect(await outputValue(svc["stale-arg"]!.primaryKey)).toBe(ROTATED_BY_CLI);
    await settle();
    const messages = warn.mock.calls.map((c) => String(c[0]));
    const stale = messages.filter((m) => m.startsWith("stale-arg:"));
    expect(stale).toHaveLength(1);
    expect(stale[0]).toContain("the primaryKey arg differs from the key the cluster serves");
    expect(stale[0]).toContain("change keyRotation.primary");
    expect(stale[0]).not.toContain(ROTATED_BY_CLI);
    expect(stale[0]).not.toContain("stack-primary-key-0123456789");
    expect(messages.some((m) => m.startsWith("explicit:") || m.startsWith("cli-rotated:"))).toBe(false);
  });
});

describe("token auth with Entra ID: one application per service", () => {
  const app = (n: string) => rt.one("azuread:index/application:Application", `${n}-entra-app`);

  it("registers an application asking for v2.0 tokens, with an app role and a user scope", () => {
    const a = reveal(app("scoring").inputs) as any;
    expect(a.api.requestedAccessTokenVersion).toBe(2);
    expect(a.signInAudience).toBe("AzureADMyOrg");
    expect(a.appRoles).toEqual([
      expect.objectContaining({ value: "Score.Invoke", allowedMemberTypes: ["User", "Application"], enabled: true }),
    ]);
    expect(a.api.oauth2PermissionScopes).toEqual([
      expect.objectContaining({ value: "user_impersonation", type: "User" }),
    ]);
    expect(app("scoring").ignoreChanges).toEqual(["identifierUris"]);
    const clientId = (app("scoring").state as { clientId: string }).clientId;
    expect(
      inputs("azuread:index/applicationIdentifierUri:ApplicationIdentifierUri", "scoring-entra-uri"),
    ).toMatchObject({
      identifierUri: `api://${clientId}`,
    });
    expect(inputs("azuread:index/servicePrincipal:ServicePrincipal", "scoring-entra-sp")).toMatchObject({
      clientId,
      appRoleAssignmentRequired: true,
    });
    const scopeId = (reveal(rt.one("random:index/randomUuid:RandomUuid", "scoring-entra-scope-id").state) as any)
      .result;
    expect(
      inputs("azuread:index/applicationPreAuthorized:ApplicationPreAuthorized", "scoring-entra-azure-cli"),
    ).toMatchObject({
      authorizedClientId: AZURE_CLI_CLIENT_ID,
      permissionIds: [scopeId],
    });
  });

  it("tells the router what Entra ID puts in v2.0 tokens: aud = client id (identifier URI too), the v2.0 issuer, the role", async () => {
    const clientId = (app("scoring").state as { clientId: string }).clientId;
    expect(annotationOf("scoring").auth).toEqual({
      mode: "token",
      issuer: `https://login.microsoftonline.com/${MOCK_TENANT_ID}/v2.0`,
      audience: clientId,
      additionalAudiences: [`api://${clientId}`],
      requiredRole: "Score.Invoke",
      algorithms: ["RS256"],
    });
    expect(await outputValue(svc.scoring!.tokenAudience)).toBe(clientId);
    expect(await outputValue(svc.scoring!.tokenScope)).toBe(`api://${clientId}/.default`);
    const roleId = (reveal(rt.one("random:index/randomUuid:RandomUuid", "scoring-entra-role-id").state) as any).result;
    expect(await outputValue(svc.scoring!.tokenAppRoleId)).toBe(roleId);
    const sp = rt.one("azuread:index/servicePrincipal:ServicePrincipal", "scoring-entra-sp").state as {
      objectId: string;
    };
    expect(await outputValue(svc.scoring!.tokenServicePrincipalId)).toBe(sp.objectId);
    expect(await outputValue(svc.external!.tokenAppRoleId)).toBeUndefined();
  });

  it("a given tokenAudience is the identifier URI; without a required role any tenant caller may get a token", () => {
    const clientId = (app("named-uri").state as { clientId: string }).clientId;
    expect(annotationOf("named-uri").auth).toMatchObject({
      audience: clientId,
      additionalAudiences: ["api://contoso.example/scoring"],
    });
    expect(annotationOf("named-uri").auth.requiredRole).toBeUndefined();
    expect(
      inputs("azuread:index/servicePrincipal:ServicePrincipal", "named-uri-entra-sp").appRoleAssignmentRequired,
    ).toBe(false);
  });

  it("an external tokenIssuer registers nothing in Entra ID", () => {
    expect(
      rt
        .ofType("azuread:index/application:Application")
        .map((a) => a.name)
        .sort(),
    ).toEqual(["named-uri-entra-app", "scoring-entra-app"]);
    expect(annotationOf("external").auth).toMatchObject({
      issuer: "https://issuer.example.com",
      audience: "api://aksml/external",
    });
  });
});
