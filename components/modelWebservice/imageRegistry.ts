/** Image tags and the registry settings every model and environment image build shares. */
import type * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryPushCredentialsArgs } from "./args.js";

/** Tag length: 32 hex digits (128 bits) of the content hash. */
export const imageTag = (hash: string) => hash.slice(0, 32);

/**
 * The registry as the build cache: the image's inline cache metadata is pushed with it,
 * and a build first looks its own tag up. A tag already in the registry (this content
 * built by another stack, or before the resource was replaced) is then all cache hits:
 * nothing is built again and no layer pushed twice.
 */
export function registryCache(tag: pulumi.Input<string>): Pick<dockerBuild.ImageArgs, "cacheFrom" | "cacheTo"> {
  return { cacheFrom: [{ registry: { ref: tag } }], cacheTo: [{ inline: {} }] };
}

/** Push (and pull) credentials for the registry, when given; else the Docker credential store. */
export function registriesFor(
  acrLoginServer: pulumi.Input<string>,
  credentials: RegistryPushCredentialsArgs | undefined,
): dockerBuild.ImageArgs["registries"] {
  return credentials
    ? [{ address: acrLoginServer, username: credentials.username, password: pulumi.secret(credentials.password) }]
    : undefined;
}
