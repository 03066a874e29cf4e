/**
 * Reading the Kubernetes objects aksml emits: which Deployment is a model or the
 * router (by the platform-wide labels), their containers, and resource quantities.
 * Props are plain objects here (resource inputs or outputs), never Outputs.
 */
import type { PolicyResource } from "@pulumi/policy";
import { WEBSERVICE_LABEL } from "../../router/contract/serviceConfig.js";

import {
  APP_NAME_LABEL as ROUTER_NAME_LABEL,
  ROUTER_APP_NAME as ROUTER_NAME,
  CLUSTER_PURPOSE_ANNOTATION as PURPOSE_ANNOTATION,
  MODEL_COUNT_ANNOTATION,
  AZURE_LB_INTERNAL_ANNOTATION as INTERNAL_LB_ANNOTATION,
} from "../../components/shared/conventions.js";

export { ROUTER_NAME_LABEL, ROUTER_NAME, PURPOSE_ANNOTATION, MODEL_COUNT_ANNOTATION, INTERNAL_LB_ANNOTATION };

export const DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment";
export const SERVICE_TYPE = "kubernetes:core/v1:Service";
export const PDB_TYPES = ["kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:policy/v1beta1:PodDisruptionBudget"];
export const HPA_TYPES = [
  "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  "kubernetes:autoscaling/v2beta1:HorizontalPodAutoscaler",
  "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler",
];

/**
 * Resource properties, or an object inside them, as the policy SDK hands them to a
 * policy (its `PolicyResource["props"]`): plain JSON of any shape, read with `?.`.
 */
export type Props = PolicyResource["props"];

export function labelsOf(obj: Props): Record<string, string> {
  return obj?.metadata?.labels ?? {};
}

export function annotationsOf(obj: Props): Record<string, string> {
  return obj?.metadata?.annotations ?? {};
}

export function namespaceOf(obj: Props): string {
  return obj?.metadata?.namespace ?? "default";
}

/** The Kubernetes object name (metadata.name), falling back to the logical name. */
export function objectName(obj: Props, fallback: string): string {
  return obj?.metadata?.name ?? fallback;
}

/** The web service a model object belongs to, from its `aksml/webservice` label. */
export function webserviceOf(obj: Props): string | undefined {
  return labelsOf(obj)[WEBSERVICE_LABEL];
}

export function isModelDeployment(type: string, props: Props): boolean {
  return type === DEPLOYMENT_TYPE && webserviceOf(props) !== undefined;
}

export function isRouterDeployment(type: string, props: Props): boolean {
  return type === DEPLOYMENT_TYPE && labelsOf(props)[ROUTER_NAME_LABEL] === ROUTER_NAME;
}

export interface ContainerView {
  name: string;
  image?: string;
  env: { name: string; value?: string }[];
  resources: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}

/**
 * Containers and init containers of a Deployment's pod template. Each field is read
 * only when a policy reads it: during `pulumi preview` the image (an ACR login server
 * and a build digest) is usually unknown, and merely touching an unknown value makes
 * the engine skip the whole policy, including the TLS, limits and request-size rules
 * that never look at images.
 */
export function containersOf(deployment: Props): ContainerView[] {
  const spec = deployment?.spec?.template?.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: Props) => ({
    get name() {
      return c.name ?? "(unnamed)";
    },
    get image() {
      return c.image;
    },
    get env() {
      return c.env ?? [];
    },
    get resources() {
      return c.resources ?? {};
    },
  }));
}

/** Pod template labels of a Deployment. */
export function podLabelsOf(deployment: Props): Record<string, string> {
  return deployment?.spec?.template?.metadata?.labels ?? {};
}

/** Whether every `matchLabels` pair (and `matchExpressions` In/Exists) selects these labels. */
export function selectorMatches(selector: Props | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const matchLabels: Record<string, string> = selector.matchLabels ?? {};
  const expressions: Props[] = selector.matchExpressions ?? [];
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
  for (const e of expressions) {
    const has = e.key in labels;
    const values: string[] = e.values ?? [];
    if (e.operator === "In" && !(has && values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

const BINARY_SUFFIX: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Parses a Kubernetes resource quantity ("500m", "1.5Gi", "2", "1e3"); undefined if malformed. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? "";
  return base * (BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix]);
}
