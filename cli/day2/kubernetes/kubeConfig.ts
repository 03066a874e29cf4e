/**
 * Which cluster the day-2 commands talk to, and as whom: `--kubeconfig FILE`, else
 * `KUBECONFIG` or `~/.kube/config` (the current context, or `--context`), or
 * `--stack-output FILE`: what `pulumi stack output --show-secrets kubeconfig` printed (the
 * kubeconfig itself), or `pulumi stack output --json --show-secrets` (every output; the
 * `kubeconfig` one is used, and `routerEndpoint` gives the scoring address).
 *
 * Credentials that are known to be expired (a bearer token whose JWT `exp` passed) are
 * reported before any request is made.
 */
import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { Day2Error } from "../target.js";

export interface KubeTargetOptions {
  kubeconfig?: string;
  context?: string;
  stackOutput?: string;
}

export interface LoadedKubeConfig {
  kc: KubeConfig;
  /** Where it came from, for messages. */
  source: string;
  /** The other stack outputs, when `--stack-output` held them all. */
  stackOutputs?: Record<string, unknown>;
}

const NO_CLUSTER =
  "no cluster to talk to: pass --kubeconfig FILE, set KUBECONFIG, run az aks get-credentials, pass --stack-output FILE (from pulumi stack output --show-secrets kubeconfig), or use --local for aksml local";

const REFRESH_HINT =
  "get fresh credentials (az aks get-credentials, kubelogin convert-kubeconfig) or re-export the stack's kubeconfig";

function fromStackOutput(file: string): { yaml: string; outputs?: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new Day2Error(
      `cannot read --stack-output ${file} (${(e as NodeJS.ErrnoException).code}); export it with: pulumi stack output --show-secrets kubeconfig > ${file}`,
    );
  }
  if (text === "[secret]" || text === '"[secret]"')
    throw new Day2Error(`${file} holds "[secret]": export the kubeconfig with --show-secrets`);
  if (text.startsWith("{") || text.startsWith('"')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Day2Error(`${file} is not valid JSON (${(e as Error).message})`);
    }
    if (typeof parsed === "string") return { yaml: parsed };
    const outputs = parsed as Record<string, unknown>;
    // A kubeconfig written as JSON, rather than the stack's outputs.
    if (Array.isArray(outputs.clusters) || outputs.kind === "Config") return { yaml: text };
    const kube = outputs.kubeconfig;
    if (kube === "[secret]")
      throw new Day2Error(`${file} holds the kubeconfig as "[secret]": export the outputs with --show-secrets`);
    if (typeof kube === "string") return { yaml: kube, outputs };
    if (kube && typeof kube === "object") return { yaml: JSON.stringify(kube), outputs };
    throw new Day2Error(
      `${file} has no kubeconfig output (outputs: ${Object.keys(outputs).join(", ") || "none"}); export the stack's kubeconfig output`,
    );
  }
  return { yaml: text };
}

/** The `exp` of a JWT bearer token, in ms, or undefined if the token is not a JWT. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export function loadKubeConfig(o: KubeTargetOptions): LoadedKubeConfig {
  if (o.kubeconfig && o.stackOutput) throw new Day2Error("give --kubeconfig or --stack-output, not both", 2);
  const kc = new KubeConfig();
  let source: string;
  let stackOutputs: Record<string, unknown> | undefined;
  try {
    if (o.stackOutput) {
      const { yaml, outputs } = fromStackOutput(o.stackOutput);
      kc.loadFromString(yaml);
      source = `the stack output in ${o.stackOutput}`;
      stackOutputs = outputs;
    } else if (o.kubeconfig) {
      kc.loadFromFile(o.kubeconfig);
      source = o.kubeconfig;
    } else {
      kc.loadFromDefault();
      source = process.env.KUBECONFIG ? `KUBECONFIG (${process.env.KUBECONFIG})` : "~/.kube/config";
    }
  } catch (e) {
    if (e instanceof Day2Error) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new Day2Error(`${NO_CLUSTER} (${(e as Error).message.replace(/^ENOENT: /, "")})`);
    throw new Day2Error(
      `cannot load the kubeconfig from ${o.kubeconfig ?? o.stackOutput ?? "the default places"}: ${(e as Error).message}`,
    );
  }
  if (o.context) {
    if (!kc.getContexts().some((c) => c.name === o.context))
      throw new Day2Error(
        `no context ${JSON.stringify(o.context)} in ${source}; contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(", ") || "none"
        }`,
        2,
      );
    kc.setCurrentContext(o.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server || (cluster.server === "http://localhost:8080" && !kc.getContexts().length))
    throw new Day2Error(NO_CLUSTER);
  const token = kc.getCurrentUser()?.token;
  const exp = token ? jwtExpiry(token) : undefined;
  if (exp !== undefined && exp < Date.now())
    throw new Day2Error(
      `the kubeconfig's credentials (${source}, context ${kc.getCurrentContext()}) expired at ${new Date(exp).toISOString()}; ${REFRESH_HINT}`,
    );
  return { kc, source, stackOutputs };
}

export { REFRESH_HINT };
