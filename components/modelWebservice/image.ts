import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { MODEL_CONTAINER_PORT } from "../../router/contract/serviceConfig.js";
import type { RegistryPushCredentialsArgs } from "./args.js";
import { hashParts, listFiles } from "./contentHash.js";

/** Azure ML's app root inside inference images. */
export const APP_ROOT = "/var/azureml-app";
/** The conda environment of Azure ML's inference images when the image does not name it. */
export const DEFAULT_CONDA_ENV = "/opt/miniconda/envs/amlenv";
/** Named build context holding the conda or pip file (it may live outside sourceDirectory). */
export const ENV_CONTEXT = "aksml-env";

/** Plain inference config (validated before use). */
export interface PlainInferenceConfig {
  entryScript: string;
  sourceDirectory: string;
  baseImage: string;
  condaFile?: string;
  pipRequirements?: string;
  environmentVariables: Record<string, string>;
}

/** The Dockerfile of a model image: the inference server (`azmlinfsrv`) on port 5001 over the entry script. */
export function generateDockerfile(c: PlainInferenceConfig): string {
  const lines = [`FROM ${c.baseImage}`];
  if (c.condaFile) {
    lines.push(
      `COPY --from=${ENV_CONTEXT} ${basename(c.condaFile)} /tmp/aksml-conda.yml`,
      // Update the image's own environment (Azure ML images name it in
      // AZUREML_CONDA_ENVIRONMENT_PATH), so the inference server stays installed and the
      // non-root image user can write it.
      `RUN conda env update -p "\${AZUREML_CONDA_ENVIRONMENT_PATH:-${DEFAULT_CONDA_ENV}}" -f /tmp/aksml-conda.yml && conda clean -afy`,
    );
  } else if (c.pipRequirements) {
    lines.push(
      `COPY --from=${ENV_CONTEXT} ${basename(c.pipRequirements)} /tmp/aksml-requirements.txt`,
      "RUN python -m pip install --no-cache-dir -r /tmp/aksml-requirements.txt",
    );
  }
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
 * Content hash of everything that goes into the image: the generated Dockerfile (base
 * image, entry script, environment variables), every file of the source directory
 * and the conda/pip file. Used as the image tag: identical inputs, identical tag, no rebuild.
 */
export function imageContentHash(c: PlainInferenceConfig): string {
  const parts: { name: string; data: Buffer | string }[] = [{ name: "Dockerfile", data: generateDockerfile(c) }];
  for (const f of listFiles(c.sourceDirectory)) parts.push({ name: `src/${f.rel}`, data: readFileSync(f.abs) });
  const envFile = c.condaFile ?? c.pipRequirements;
  if (envFile) parts.push({ name: `env/${basename(envFile)}`, data: readFileSync(envFile) });
  return hashParts(parts);
}

export const MODEL_IMAGE_REPOSITORY_PREFIX = "aksml/models";
/** Tag length: 32 hex digits (128 bits) of the content hash. */
export const imageTag = (hash: string) => hash.slice(0, 32);

/** Builds and pushes the model image, tagged by content; deploy its `ref` (tag@digest). */
export function buildModelImage(
  name: string,
  c: PlainInferenceConfig,
  acrLoginServer: pulumi.Input<string>,
  credentials: RegistryPushCredentialsArgs | undefined,
  opts: pulumi.CustomResourceOptions,
): dockerBuild.Image {
  const envFile = c.condaFile ?? c.pipRequirements;
  return new dockerBuild.Image(
    `${name}-image`,
    {
      context: {
        location: resolve(c.sourceDirectory),
        named: envFile ? { [ENV_CONTEXT]: { location: dirname(resolve(envFile)) } } : undefined,
      },
      dockerfile: { inline: generateDockerfile(c) },
      platforms: ["linux/amd64"],
      push: true,
      buildOnPreview: false,
      tags: [
        pulumi.interpolate`${acrLoginServer}/${MODEL_IMAGE_REPOSITORY_PREFIX}/${name}:${imageTag(imageContentHash(c))}`,
      ],
      registries: credentials
        ? [{ address: acrLoginServer, username: credentials.username, password: pulumi.secret(credentials.password) }]
        : undefined,
    },
    opts,
  );
}
