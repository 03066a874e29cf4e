import * as containerregistry from "@pulumi/azure-native/containerregistry/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import { describe, expect, it } from "vitest";
import { acrAdminUserDisabled, storageMinTls12, storageNoPublicBlobAccess } from "../../policy/policies/storage.js";
import { assertHasResourceViolation, assertNoResourceViolations, createResourceValidationArgs, runResourcePolicy } from "./helpers.js";
import { find, productionGraph } from "./fixtures.js";

const account = (overrides: Record<string, unknown> = {}) =>
  createResourceValidationArgs(storage.StorageAccount as any, { ...find(productionGraph(), "platform-st").inputs, accountName: "modelsacct", ...overrides });
const registry = (overrides: Record<string, unknown> = {}) =>
  createResourceValidationArgs(containerregistry.Registry as any, { ...find(productionGraph(), "platform-acr").inputs, registryName: "platformacr", ...overrides });

describe("storage-no-public-blob-access", () => {
  const policy = storageNoPublicBlobAccess();
  it("passes allowBlobPublicAccess: false", async () => {
    await assertNoResourceViolations(policy, account());
  });
  it("fails public access on, and unset", async () => {
    await assertHasResourceViolation(policy, account({ allowBlobPublicAccess: true }), { message: "Storage account 'modelsacct' has allowBlobPublicAccess=true; public blob access must be off" });
    await assertHasResourceViolation(policy, account({ allowBlobPublicAccess: undefined }), { message: "allowBlobPublicAccess=undefined" });
  });
  it("ignores other resource types", async () => {
    expect(await runResourcePolicy(policy, createResourceValidationArgs("azure-native:storage:BlobContainer", { publicAccess: "Blob" }))).toEqual([]);
  });
});

describe("storage-min-tls-1-2", () => {
  const policy = storageMinTls12();
  it("passes TLS1_2 and TLS1_3", async () => {
    await assertNoResourceViolations(policy, account());
    await assertNoResourceViolations(policy, account({ minimumTlsVersion: "TLS1_3" }));
  });
  it("fails TLS1_0", async () => {
    await assertHasResourceViolation(policy, account({ minimumTlsVersion: "TLS1_0" }), { message: `Storage account 'modelsacct' has minimumTlsVersion="TLS1_0"; it must require TLS 1.2 or later` });
  });
});

describe("acr-admin-user-disabled", () => {
  const policy = acrAdminUserDisabled();
  it("passes admin user off (and unset: Azure's default is off)", async () => {
    await assertNoResourceViolations(policy, registry());
    await assertNoResourceViolations(policy, registry({ adminUserEnabled: undefined }));
  });
  it("advises against the admin user", async () => {
    await assertHasResourceViolation(policy, registry({ adminUserEnabled: true }), { message: "Container registry 'platformacr' has adminUserEnabled=true" });
    expect(policy.enforcementLevel).toBe("advisory");
  });
});
