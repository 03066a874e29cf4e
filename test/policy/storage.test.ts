import * as storage from "@pulumi/azure-native/storage/index.js";
import { describe, expect, it } from "vitest";
import { acrAdminUserDisabled, storageMinTls12, storageNoPublicBlobAccess } from "../../policy/policies/storage.js";
import {
  assertHasResourceViolation,
  assertHasStackViolation,
  assertNoResourceViolations,
  assertNoStackViolations,
  createResourceValidationArgs,
  runResourcePolicy,
} from "./helpers.js";
import { ACR_LOGIN, change, find, productionGraph, resource } from "./fixtures.js";

const account = (overrides: Record<string, unknown> = {}) =>
  createResourceValidationArgs(storage.StorageAccount as any, {
    ...find(productionGraph(), "platform-st").inputs,
    accountName: "modelsacct",
    ...overrides,
  });

describe("storage-no-public-blob-access", () => {
  const policy = storageNoPublicBlobAccess();
  it("passes allowBlobPublicAccess: false", async () => {
    await assertNoResourceViolations(policy, account());
  });
  it("fails public access on, and unset", async () => {
    await assertHasResourceViolation(policy, account({ allowBlobPublicAccess: true }), {
      message: "Storage account 'modelsacct' has allowBlobPublicAccess=true; public blob access must be off",
    });
    await assertHasResourceViolation(policy, account({ allowBlobPublicAccess: undefined }), {
      message: "allowBlobPublicAccess=undefined",
    });
  });
  it("ignores other resource types", async () => {
    expect(
      await runResourcePolicy(
        policy,
        createResourceValidationArgs("azure-native:storage:BlobContainer", { publicAccess: "Blob" }),
      ),
    ).toEqual([]);
  });
});

describe("storage-min-tls-1-2", () => {
  const policy = storageMinTls12();
  it("passes TLS1_2 and TLS1_3", async () => {
    await assertNoResourceViolations(policy, account());
    await assertNoResourceViolations(policy, account({ minimumTlsVersion: "TLS1_3" }));
  });
  it("fails TLS1_0", async () => {
    await assertHasResourceViolation(policy, account({ minimumTlsVersion: "TLS1_0" }), {
      message: `Storage account 'modelsacct' has minimumTlsVersion="TLS1_0"; it must require TLS 1.2 or later`,
    });
  });
});

describe("acr-admin-user-disabled", () => {
  const policy = acrAdminUserDisabled();
  const withAdmin = (enabled: boolean | undefined) =>
    change(productionGraph(), "platform-acr", (p) => (p.adminUserEnabled = enabled));
  const build = (username: string) =>
    resource("docker-build:index:Image", "churn-image", {
      push: true,
      tags: [`${ACR_LOGIN}/churn:1`],
      registries: [{ address: ACR_LOGIN, username, password: "pw" }],
    });

  it("passes admin user off (and unset: Azure's default is off)", async () => {
    await assertNoStackViolations(policy, withAdmin(false));
    await assertNoStackViolations(policy, withAdmin(undefined));
  });
  it("advises against the admin user when no build uses it", async () => {
    await assertHasStackViolation(policy, withAdmin(true), {
      message:
        "Container registry 'platformacr1a2b3c4d' has adminUserEnabled=true and no image build in this stack pushes with the admin credential",
      resourceName: "platform-acr",
    });
    expect(policy.enforcementLevel).toBe("advisory");
  });
  it("accepts the admin user when a build pushes with it, but not for a build using a scoped token", async () => {
    await assertNoStackViolations(policy, [...withAdmin(true), build("platformacr1a2b3c4d")]);
    await assertHasStackViolation(policy, [...withAdmin(true), build("ci-push-token")], {
      message: "adminUserEnabled=true",
    });
  });
});
