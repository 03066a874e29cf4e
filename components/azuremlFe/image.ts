import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentialsArgs } from "./args.js";

/** Repository root: the router's Docker build context. */
export const REPOSITORY_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ROUTER_DOCKERFILE = "router/Dockerfile";
export const ROUTER_REPOSITORY = "aksml/azureml-fe";

function routerVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../router/package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Builds the router image from this repository and pushes it to the cluster's ACR.
 * The tag names the router version for people; the Deployment uses `ref` (tag@digest),
 * so a changed image rolls out and an unchanged one does not.
 *
 * Push credentials: ACR's admin user is off by policy, so by default no `registries`
 * entry is given and the build uses the Docker credential store of the machine running
 * Pulumi (`az acr login --name <acr>` first; in CI, the same after `azure/login`).
 * `registryCredentials` (e.g. an ACR repository-scoped token) is the alternative.
 */
export function buildRouterImage(
  name: string,
  acrLoginServer: pulumi.Input<string>,
  credentials: RegistryCredentialsArgs | undefined,
  opts: pulumi.CustomResourceOptions,
): dockerBuild.Image {
  return new dockerBuild.Image(
    `${name}-image`,
    {
      context: { location: REPOSITORY_ROOT },
      dockerfile: { location: `${REPOSITORY_ROOT}${ROUTER_DOCKERFILE}` },
      platforms: ["linux/amd64"],
      push: true,
      buildOnPreview: false,
      tags: [pulumi.interpolate`${acrLoginServer}/${ROUTER_REPOSITORY}:${routerVersion()}`],
      registries: credentials
        ? [{ address: acrLoginServer, username: credentials.username, password: pulumi.secret(credentials.password) }]
        : undefined,
    },
    opts,
  );
}
