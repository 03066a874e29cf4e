/**
 * Rules for the platform's Azure data plane: the model storage account and the
 * container registry.
 */
import * as containerregistry from "@pulumi/azure-native/containerregistry/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import { validateResourceOfType, type EnforcementLevel, type ResourceValidationPolicy } from "@pulumi/policy";

const TLS_1_2_OR_LATER = ["TLS1_2", "TLS1_3"];

/** Model blobs are never publicly readable. */
export function storageNoPublicBlobAccess(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "storage-no-public-blob-access",
    description: "Storage accounts disallow public blob access (models are private).",
    enforcementLevel,
    validateResource: validateResourceOfType(storage.StorageAccount, (account, args, report) => {
      if (account.allowBlobPublicAccess === false) return;
      report(
        `Storage account '${account.accountName ?? args.name}' has allowBlobPublicAccess=${JSON.stringify(account.allowBlobPublicAccess)}; public blob access must be off so model files are never anonymously readable. ` +
          `Fix: set allowBlobPublicAccess: false.`,
      );
    }),
  };
}

/** Clients of the model storage use TLS 1.2 or later. */
export function storageMinTls12(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "storage-min-tls-1-2",
    description: "Storage accounts require TLS 1.2 or later.",
    enforcementLevel,
    validateResource: validateResourceOfType(storage.StorageAccount, (account, args, report) => {
      if (TLS_1_2_OR_LATER.includes(String(account.minimumTlsVersion))) return;
      report(
        `Storage account '${account.accountName ?? args.name}' has minimumTlsVersion=${JSON.stringify(account.minimumTlsVersion)}; it must require TLS 1.2 or later. ` +
          `Fix: set minimumTlsVersion: "TLS1_2".`,
      );
    }),
  };
}

/** The registry's shared admin credential stays off unless a build truly needs it. */
export function acrAdminUserDisabled(enforcementLevel: EnforcementLevel = "advisory"): ResourceValidationPolicy {
  return {
    name: "acr-admin-user-disabled",
    description: "The container registry's admin user is disabled (pull with the kubelet identity; push with Entra credentials).",
    enforcementLevel,
    validateResource: validateResourceOfType(containerregistry.Registry, (registry, args, report) => {
      if (registry.adminUserEnabled !== true) return;
      report(
        `Container registry '${registry.registryName ?? args.name}' has adminUserEnabled=true; the admin user is a shared, non-auditable credential. ` +
          `Fix: set adminUserEnabled: false and push with 'az acr login' or a scoped token, unless an image build in this stack needs the admin credential.`,
      );
    }),
  };
}
