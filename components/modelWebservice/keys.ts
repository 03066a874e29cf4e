/**
 * The key model: after `pulumi up` creates the `<name>-keys` Secret, the cluster Secret
 * owns the keys.
 *
 * - Creation writes the initial keys (generated, or `primaryKey`/`secondaryKey`); the
 *   Secret ignores later changes to its data, so no `pulumi up` ever puts an old key back
 *   after `aksml regen-key` rotated one.
 * - Declarative rotation, the stack's `regen_key`: changing `keyRotation.primary` (or
 *   `.secondary`) writes a new key (random, or the explicit arg) into that slot once, with
 *   a server-side-apply patch named after the counter (a new counter is a new patch, so it
 *   is applied exactly once and never re-applied over a later imperative rotation).
 * - The `primaryKey`/`secondaryKey` outputs are read back from the live Secret at every
 *   `pulumi up` (and `pulumi refresh`), after creation and after any rotation patch, so they
 *   report what the router serves, including a rotation made with `aksml regen-key`.
 * - An explicit key arg that differs from the served key is reported (it is not silently
 *   ignored): bump the counter to apply it, or drop the arg.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { KEYS_SECRET_SUFFIX } from "../../router/contract/serviceConfig.js";
import type { KeyRotationArgs } from "./args.js";
import { webserviceLabels } from "./kubernetes.js";

export type KeySlot = "primary" | "secondary";
const FIELD = { primary: "primaryKey", secondary: "secondaryKey" } as const;
/** Annotation a rotation patch sets on the Secret: the counter that wrote the slot's key. */
export const KEY_ROTATION_ANNOTATION = (slot: KeySlot) => `aksml/${slot}-key-rotation`;
/** pulumi-kubernetes: a Patch resource takes over fields another manager (e.g. `aksml regen-key`) last wrote. */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

export interface ServiceKeys {
  /** The Secret the router reads. */
  secret: k8s.core.v1.Secret;
  /** Read back from the cluster: what the router serves. */
  primaryKey: pulumi.Output<string>;
  secondaryKey: pulumi.Output<string>;
}

export interface ServiceKeysInputs {
  primaryKey?: pulumi.Input<string>;
  secondaryKey?: pulumi.Input<string>;
  keyRotation?: KeyRotationArgs;
}

const base64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const decoded = (b64: string | undefined) => (b64 ? Buffer.from(b64, "base64").toString("utf8") : "");

/** The counter of a slot: validated to be a plain integer >= 0 before this runs. */
export function rotationOf(rotation: KeyRotationArgs | undefined, slot: KeySlot): number {
  return (rotation?.[slot] as number | undefined) ?? 0;
}

export function createServiceKeys(
  name: string,
  namespace: pulumi.Input<string>,
  a: ServiceKeysInputs,
  opts: pulumi.CustomResourceOptions,
): ServiceKeys {
  const value = (slot: KeySlot, suffix: string) => {
    const given = a[FIELD[slot]];
    return given !== undefined
      ? pulumi.secret(given)
      : new random.RandomPassword(`${name}-${slot}-key${suffix}`, { length: 32, special: false }, opts).result;
  };
  const secret = new k8s.core.v1.Secret(
    `${name}-keys`,
    {
      metadata: { name: `${name}${KEYS_SECRET_SUFFIX}`, namespace, labels: webserviceLabels(name) },
      type: "Opaque",
      stringData: { primaryKey: value("primary", ""), secondaryKey: value("secondary", "") },
    },
    // Written once: later keys come from rotations (aksml regen-key, or a keyRotation patch).
    { ...opts, ignoreChanges: ["data", "stringData"] },
  );
  const patches: k8s.core.v1.SecretPatch[] = [];
  for (const slot of ["primary", "secondary"] as const) {
    const n = rotationOf(a.keyRotation, slot);
    if (n === 0) continue;
    const key = value(slot, `-r${n}`);
    patches.push(
      new k8s.core.v1.SecretPatch(
        `${name}-${slot}-key-r${n}`,
        {
          metadata: {
            name: `${name}${KEYS_SECRET_SUFFIX}`,
            namespace,
            annotations: { [PATCH_FORCE_ANNOTATION]: "true", [KEY_ROTATION_ANNOTATION(slot)]: String(n) },
          },
          data: { [FIELD[slot]]: pulumi.secret(pulumi.output(key).apply(base64)) },
        },
        // One write per counter value: the patch never re-applies over a later `aksml regen-key`.
        { ...opts, dependsOn: [secret], ignoreChanges: ["data", "stringData"] },
      ),
    );
  }
  const live = k8s.core.v1.Secret.get(`${name}-keys-live`, secret.id, { ...opts, dependsOn: [secret, ...patches] });
  // A given key's check (its Output rejects when the key is bad) travels with the output too.
  const served = (slot: KeySlot) =>
    pulumi.secret(pulumi.all([live.data, a[FIELD[slot]]]).apply(([d]) => decoded(d?.[FIELD[slot]])));
  const keys = { secret, primaryKey: served("primary"), secondaryKey: served("secondary") };
  for (const slot of ["primary", "secondary"] as const) {
    const given = a[FIELD[slot]];
    if (given === undefined) continue;
    pulumi.all([given, keys[FIELD[slot]]]).apply(([want, have]) => {
      if (have && want !== have)
        void pulumi.log.warn(
          `${name}: the ${FIELD[slot]} arg differs from the key the cluster serves (the Secret owns the keys after creation; aksml regen-key may have rotated it). To serve the arg, change keyRotation.${slot}; to keep the served key, remove ${FIELD[slot]}.`,
        );
    });
  }
  return keys;
}
