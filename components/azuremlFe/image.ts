import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryCredentialsArgs } from "./args.js";

/** Where the router image is built from, and with which Dockerfile. */
export interface RouterImageSource {
  /** The Docker build context. */
  context: string;
  dockerfile: string;
  /** The router's package.json (its version names the image tag). */
  packageJson: string;
}

/**
 * In the repository (this file is components/azuremlFe/image.ts) the image is built from
 * source with router/Dockerfile and the repository's lockfile. In the installed package
 * (dist/components/azuremlFe/image.js) that context does not exist; `npm run build` laid
 * out router-image/ (compiled router, its package.json and lockfile) at the package root.
 */
export function routerImageSource(moduleUrl: string = import.meta.url): RouterImageSource {
  const repositoryRoot = fileURLToPath(new URL("../../", moduleUrl));
  if (existsSync(`${repositoryRoot}${ROUTER_DOCKERFILE}`))
    return {
      context: repositoryRoot,
      dockerfile: `${repositoryRoot}${ROUTER_DOCKERFILE}`,
      packageJson: `${repositoryRoot}router/package.json`,
    };
  const imageContext = fileURLToPath(new URL("../../../router-image/", moduleUrl));
  return { context: imageContext, dockerfile: `${imageContext}Dockerfile`, packageJson: `${imageContext}package.json` };
}

export const ROUTER_DOCKERFILE = "router/Dockerfile";
export const ROUTER_REPOSITORY = "aksml/azureml-fe";

function routerVersion(source: RouterImageSource): string {
  return (JSON.parse(readFileSync(source.packageJson, "utf8")) as { version: string }).version;
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
  const source = routerImageSource();
  return new dockerBuild.Image(
    `${name}-image`,
    {
      context: { location: source.context },
      dockerfile: { location: source.dockerfile },
      platforms: ["linux/amd64"],
      push: true,
      buildOnPreview: false,
      tags: [pulumi.interpolate`${acrLoginServer}/${ROUTER_REPOSITORY}:${routerVersion(source)}`],
      registries: credentials
        ? [{ address: acrLoginServer, username: credentials.username, password: pulumi.secret(credentials.password) }]
        : undefined,
    },
    opts,
  );
}
