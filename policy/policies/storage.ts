/**
 * Rules for the platform's Azure data plane: the model storage account and the
 * container registry.
 */
import * as storage from "@pulumi/azure-native/storage/index.js";
import {
  validateResourceOfType,
  type EnforcementLevel,
  type PolicyResource,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { azureNameOf, ofType, REGISTRY_TYPE } from "./azureResources.js";

const DOCKER_BUILD_IMAGE_TYPE = "docker-build:index:Image";

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

/** A registry's login server: its output, else derived from its name. */
export function loginServerOf(registry: PolicyResource): string | undefined {
  const name = azureNameOf(registry, "registryName");
  const login = registry.props.loginServer ?? (name ? `${String(name)}.azurecr.io` : undefined);
  return typeof login === "string" ? login.toLowerCase() : undefined;
}

/**
 * The registry's shared admin credential stays off, unless an image build in this
 * stack pushes with it (the admin user's name is the registry's name; a scoped token
 * has its own name and does not need the admin user).
 */
export function acrAdminUserDisabled(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "acr-admin-user-disabled",
    description: "The container registry's admin user is disabled unless an image build in the stack needs it.",
    enforcementLevel,
    validateStack: ({ resources }, report) => {
      const builds = ofType(resources, DOCKER_BUILD_IMAGE_TYPE);
      for (const registry of ofType(resources, REGISTRY_TYPE)) {
        if (registry.props.adminUserEnabled !== true) continue;
        const name = String(azureNameOf(registry, "registryName") ?? "").toLowerCase();
        const login = loginServerOf(registry);
        const pushesAsAdmin = builds.some((b) =>
          (b.props.registries ?? []).some(
            (r: { address?: string; username?: string }) =>
              String(r.address ?? "").toLowerCase() === login && String(r.username ?? "").toLowerCase() === name,
          ),
        );
        if (pushesAsAdmin) continue;
        report(
          `Container registry '${name || registry.name}' has adminUserEnabled=true and no image build in this stack pushes with the admin credential; the admin user is a shared, non-auditable credential. ` +
            `Fix: set adminUserEnabled: false; pull with the kubelet identity and push with 'az acr login' or a scoped token.`,
          registry.urn,
        );
      }
    },
  };
}
