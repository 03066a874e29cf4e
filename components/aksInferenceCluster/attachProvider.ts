/**
 * The azure-native provider an attached cluster is read through: the subscription is
 * the one in `existingClusterId` (Azure ML attaches a cluster of another subscription),
 * everything else is the default provider's configuration. An explicit provider does not
 * read the stack's `azure-native:*` settings the way the default one does, so the
 * credentials settings are copied from them; anything unset falls back, as for the
 * default provider, to the ARM_* environment and the Azure CLI login.
 */
import * as pulumi from "@pulumi/pulumi";
import { Provider, type ProviderArgs } from "@pulumi/azure-native/provider.js";

/** The `azure-native:` settings an attach provider takes over (all but subscription and location). */
export const INHERITED_STRING_SETTINGS = [
  "tenantId",
  "clientId",
  "clientCertificatePath",
  "environment",
  "metadataHost",
  "msiEndpoint",
  "oidcRequestUrl",
  "oidcTokenFilePath",
  "partnerId",
] as const;
export const INHERITED_SECRET_SETTINGS = [
  "clientSecret",
  "clientCertificatePassword",
  "oidcRequestToken",
  "oidcToken",
] as const;
export const INHERITED_BOOLEAN_SETTINGS = [
  "useMsi",
  "useOidc",
  "useDefaultAzureCredential",
  "disableInstanceDiscovery",
  "disablePulumiPartnerId",
] as const;

/** The default provider's settings from stack config, for an explicit provider. Reads config only. */
export function inheritedProviderSettings(): ProviderArgs {
  const config = new pulumi.Config("azure-native");
  const settings: Record<string, unknown> = {};
  for (const key of INHERITED_STRING_SETTINGS) {
    const v = config.get(key);
    if (v !== undefined) settings[key] = v;
  }
  for (const key of INHERITED_SECRET_SETTINGS) {
    const v = config.getSecret(key);
    if (v !== undefined) settings[key] = v;
  }
  for (const key of INHERITED_BOOLEAN_SETTINGS) {
    const v = config.getBoolean(key);
    if (v !== undefined) settings[key] = v;
  }
  const aux = config.getObject<string[]>("auxiliaryTenantIds");
  if (aux !== undefined) settings.auxiliaryTenantIds = aux;
  return settings as ProviderArgs;
}

/** A provider for the attached cluster's subscription, child of the component. */
export function createAttachProvider(
  name: string,
  subscriptionId: pulumi.Input<string>,
  parent: pulumi.Resource,
): Provider {
  return new Provider(`${name}-attach-provider`, { ...inheritedProviderSettings(), subscriptionId }, { parent });
}
