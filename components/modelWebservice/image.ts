import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { MODEL_CONTAINER_PORT } from "../../router/contract/serviceConfig.js";
import type { RegistryPushCredentialsArgs } from "./args.js";
import { hashParts, listFiles } from "./contentHash.js";
import { environmentContentHash, sharedEnvironmentImage } from "./environmentImage.js";
import { imageTag, registriesFor, registryCache } from "./imageRegistry.js";

/** Azure ML's app root inside inference images. */
export const APP_ROOT = "/var/azureml-app";
export { DEFAULT_CONDA_ENV } from "./environmentImage.js";

/** Plain inference config (validated before use). */
export interface PlainInferenceConfig {
  entryScript: string;
  sourceDirectory: string;
  baseImage: string;
  condaFile?: string;
  pipRequirements?: string;
  environmentVariables: Record<string, string>;
}

/**
 * The model image's Dockerfile, over the environment image (or the base image): the
 * inference server (`azmlinfsrv`) on port 5001 over the entry script, the source
 * directory and the environment variables.
 */
export function generateDockerfile(c: PlainInferenceConfig, from: string = c.baseImage): string {
  const lines = [`FROM ${from}`];
  const env: Record<string, string> = {
    AML_APP_ROOT: APP_ROOT,
    AZUREML_SOURCE_DIRECTORY: APP_ROOT,
    AZUREML_ENTRY_SCRIPT: c.entryScript,
    ...Object.fromEntries(Object.entries(c.environmentVariables).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  // Docker substitutes `$name` inside ENV values: escape `$` so values are baked in verbatim.
  for (const [k, v] of Object.entries(env)) lines.push(`ENV ${k}=${JSON.stringify(v).replace(/\$/g, "\\$")}`);
  lines.push(
    `WORKDIR ${APP_ROOT}`,
    `COPY . ${APP_ROOT}/`,
    `EXPOSE ${MODEL_CONTAINER_PORT}`,
    `CMD ${JSON.stringify(["azmlinfsrv", "--entry_script", `${APP_ROOT}/${c.entryScript}`, "--port", String(MODEL_CONTAINER_PORT)])}`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Content hash of everything that goes into the model image: the environment (its
 * content hash, or the base image), the generated Dockerfile (entry script, environment
 * variables) and every file of the source directory. Used as the image tag: identical
 * inputs, identical tag, no rebuild.
 */
export function imageContentHash(c: PlainInferenceConfig): string {
  const base = environmentContentHash(c) ?? c.baseImage;
  const parts: { name: string; data: Buffer | string }[] = [
    { name: "from", data: base },
    { name: "Dockerfile", data: generateDockerfile(c, "-") },
  ];
  for (const f of listFiles(c.sourceDirectory)) parts.push({ name: `src/${f.rel}`, data: readFileSync(f.abs) });
  return hashParts(parts);
}

export const MODEL_IMAGE_REPOSITORY_PREFIX = "aksml/models";
export { imageTag } from "./imageRegistry.js";

/**
 * Builds and pushes the model image, tagged by content; deploy its `ref` (tag@digest).
 * With a conda or pip environment, it starts from the environment image all services of
 * the program with that environment share (built once).
 */
export function buildModelImage(
  name: string,
  c: PlainInferenceConfig,
  acrLoginServer: pulumi.Input<string>,
  credentials: RegistryPushCredentialsArgs | undefined,
  opts: pulumi.CustomResourceOptions,
): dockerBuild.Image {
  const environment = sharedEnvironmentImage(name, c, acrLoginServer, credentials);
  const tag = pulumi.interpolate`${acrLoginServer}/${MODEL_IMAGE_REPOSITORY_PREFIX}/${name}:${imageTag(imageContentHash(c))}`;
  return new dockerBuild.Image(
    `${name}-image`,
    {
      context: { location: resolve(c.sourceDirectory) },
      dockerfile: { inline: environment?.apply((ref) => generateDockerfile(c, ref)) ?? generateDockerfile(c) },
      platforms: ["linux/amd64"],
      push: true,
      buildOnPreview: false,
      tags: [tag],
      ...registryCache(tag),
      registries: registriesFor(acrLoginServer, credentials),
    },
    opts,
  );
}
