/**
 * Runs Pulumi programs in-process under Pulumi's own mock runtime (no engine, no CLI,
 * no cloud credentials) and records every resource registration with its parent,
 * provider and dependencies. `aksml plan` (through `runProgram.ts`) and the component
 * and policy tests share it.
 *
 * The Pulumi engine is the one part that cannot run here; this is Pulumi's own
 * documented test double for it (`pulumi.runtime.setMocks`). What it cannot show:
 * provider-side defaults, Check/Diff, and real Azure naming suffixes.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest, RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb.js";
import { computedOutputs, mockCall } from "./computedOutputs.js";
import { isSecretMarker, unwrapSecrets } from "./secretMarker.js";

/** One resource as the engine would have been asked to register it. */
export interface CapturedResource {
  urn: string;
  type: string;
  name: string;
  /** false for ComponentResources. */
  custom: boolean;
  /** Inputs as serialized by the SDK; secrets appear as `{ [SECRET_SIG]: ..., value }`. */
  inputs: Record<string, unknown>;
  /** Inputs merged with mocked computed outputs (what the resource would report after `up`). */
  state: Record<string, unknown>;
  /** URN of the parent ("" for the stack root). */
  parent: string;
  /** `<provider URN>::<provider id>` when an explicit provider was given, else "". */
  provider: string;
  /** URNs this resource depends on (explicit dependsOn plus implicit input dependencies). */
  dependencies: string[];
  /** Input property names whose values are secret. */
  secretInputs: string[];
  protect: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
}

/** One invoke (a provider function call such as listManagedClusterUserCredentials) as the engine saw it. */
export interface CapturedInvoke {
  token: string;
  inputs: Record<string, unknown>;
  /** `<provider URN>::<provider id>` when an explicit provider was given, else "". */
  provider: string;
}

export interface MockRuntimeOptions {
  project?: string;
  stack?: string;
  /** Stack configuration, e.g. `{ "aksml:location": "westeurope" }`. */
  config?: Record<string, string>;
  /** Keys of `config` that are secret. */
  secretConfigKeys?: string[];
  /**
   * Kubernetes objects as the cluster holds them, by `<type>::<id>` (e.g.
   * `kubernetes:core/v1:Secret::default/svc-keys`): what a read (`Resource.get`) returns
   * instead of what the program created, e.g. keys rotated outside the stack.
   */
  liveObjects?: Record<string, Record<string, unknown>>;
}

export interface MockRuntime {
  /** Every registration so far, in registration order. */
  readonly resources: CapturedResource[];
  /** Every invoke so far, in call order. */
  readonly invokes: CapturedInvoke[];
  /** Registrations of one type token, e.g. `azure-native:containerservice:ManagedCluster`. */
  ofType(type: string): CapturedResource[];
  /** The single registration with this logical name and type; throws if absent or ambiguous. */
  one(type: string, name?: string): CapturedResource;
}

/** The part of the SDK's mock monitor the capture wraps (the SDK declares its request as `any`). */
interface RegisterResourceMonitor {
  registerResource(
    req: RegisterResourceRequest,
    callback: (err: unknown, resp: RegisterResourceResponse | undefined) => void,
  ): unknown;
}

/**
 * Installs the mocks and the capture. Call once per process (each vitest file runs in
 * its own worker) BEFORE importing any module that creates resources at import time:
 * a stack module imported earlier silently resolves every output to undefined.
 */
export async function startMockRuntime(options: MockRuntimeOptions = {}): Promise<MockRuntime> {
  const project = options.project ?? "aksml";
  const stack = options.stack ?? "plan";
  if (options.config) pulumi.runtime.setAllConfig(options.config, options.secretConfigKeys);
  const stateByUrnName = new Map<string, Record<string, unknown>>();
  const cluster = new ClusterModel(options.liveObjects ?? {});
  const invokes: CapturedInvoke[] = [];

  // preview=false: outputs the mocks do not compute resolve to undefined rather than
  // unknown, so a forgotten computed output surfaces as a clear error, not a hang.
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        // A read (`Resource.get`) of a Kubernetes object: what the cluster holds.
        const live = args.id ? cluster.read(args.type, args.id) : undefined;
        if (live) return { id: args.id, state: live };
        const { id, outputs } = computedOutputs(args.type, args.name, args.inputs, project, stack);
        const state = { ...args.inputs, ...outputs };
        stateByUrnName.set(`${args.type}::${args.name}`, state);
        cluster.write(args.type, id, state);
        return { id, state };
      },
      call: (args) => {
        invokes.push({ token: args.token, inputs: args.inputs, provider: args.provider ?? "" });
        return mockCall(args.token, args.inputs);
      },
    },
    project,
    stack,
    false,
  );

  const resources: CapturedResource[] = [];
  // MockResourceArgs carries no parent, provider or dependencies, so wrap the mock
  // monitor's registerResource to see the whole request.
  const monitor = pulumi.runtime.getMonitor() as unknown as RegisterResourceMonitor;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const inputs = pulumi.runtime.deserializeProperties(req.getObject()!) as Record<string, unknown>;
    const record: CapturedResource = {
      urn: "",
      type: req.getType(),
      name: req.getName(),
      custom: req.getCustom(),
      inputs,
      state: inputs,
      parent: req.getParent(),
      provider: req.getProvider(),
      dependencies: req.getDependenciesList(),
      secretInputs: Object.keys(inputs).filter((k) => containsSecret(inputs[k])),
      protect: req.getProtect?.() ?? false,
      deleteBeforeReplace: req.getDeletebeforereplace?.() ?? false,
      ignoreChanges: req.getIgnorechangesList?.() ?? [],
    };
    resources.push(record);
    return original(req, (err, resp) => {
      if (resp) {
        record.urn = resp.getUrn();
        record.state = stateByUrnName.get(`${record.type}::${record.name}`) ?? inputs;
      }
      callback(err, resp);
    });
  };

  return {
    resources,
    invokes,
    ofType: (type) => resources.filter((r) => r.type === type),
    one: (type, name) => {
      const hits = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
      if (hits.length !== 1) {
        const names = resources.filter((r) => r.type === type).map((r) => r.name);
        throw new Error(
          `expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${hits.length} (${type} registered: ${names.join(", ") || "none"})`,
        );
      }
      return hits[0];
    },
  };
}

/**
 * The Kubernetes objects the program created, as a cluster would hold them: a Secret's
 * `stringData` folded into base64 `data`, and a SecretPatch's data merged into its Secret.
 * Reads return them (after `liveObjects`, which stand for changes made outside the stack).
 */
class ClusterModel {
  private readonly objects = new Map<string, Record<string, unknown>>();

  constructor(private readonly live: Record<string, Record<string, unknown>>) {}

  write(type: string, id: string, serialized: Record<string, unknown>): void {
    // What the provider would have sent the cluster: plain values, not the SDK's secret markers.
    const state = unwrapSecrets(serialized) as Record<string, unknown>;
    if (type === "kubernetes:core/v1:Secret") {
      this.objects.set(`${type}::${id}`, { ...state, data: { ...recordOf(state.data), ...encoded(state.stringData) } });
    } else if (type === "kubernetes:core/v1:SecretPatch") {
      const meta = recordOf(state.metadata);
      const key = `kubernetes:core/v1:Secret::${meta.namespace ?? "default"}/${meta.name}`;
      const target = this.objects.get(key);
      if (target)
        this.objects.set(key, {
          ...target,
          data: { ...recordOf(target.data), ...recordOf(state.data), ...encoded(state.stringData) },
        });
    }
  }

  read(type: string, id: string): Record<string, unknown> | undefined {
    return this.live[`${type}::${id}`] ?? this.objects.get(`${type}::${id}`);
  }
}

function recordOf(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
}

function encoded(stringData: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(recordOf(stringData)).map(([k, v]) => [k, Buffer.from(String(v)).toString("base64")]),
  );
}

/** True if a serialized input value is, or contains, a secret. */
export function containsSecret(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  if (isSecretMarker(value)) return true;
  return Object.values(value as Record<string, unknown>).some(containsSecret);
}

/** Resolves an Output's value under mocks. Rejects instead of hanging if it never resolves. */
export function outputValue<T>(output: pulumi.Output<T> | pulumi.Input<T>, timeoutMs = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("output did not resolve (unknown under preview, or a missing mock output)")),
      timeoutMs,
    );
    pulumi.output(output).apply((v) => {
      clearTimeout(timer);
      resolve(v as T);
      return v;
    });
  });
}

/** Whether an Output is secret. */
export async function isSecret(output: pulumi.Output<unknown>): Promise<boolean> {
  return (await pulumi.isSecret(output)) === true;
}

/** Waits until every registration started so far has been answered. */
export async function settle(): Promise<void> {
  // The SDK tracks every outstanding RPC (registrations wait on their parents' and
  // providers' URNs); waitForRPCs resolves when that queue has drained. It is marked
  // internal in the SDK but is what `pulumi.runtime.disconnect` itself awaits.
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
}
