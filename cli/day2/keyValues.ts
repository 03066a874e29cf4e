/**
 * Scoring keys as `regen-key` makes or accepts them. A generated key is 32 characters
 * from [A-Za-z0-9] (what the stack's `random.RandomPassword` generates, about 190 bits);
 * a given one (`--value`, Azure ML's `set_key`) follows the contract's rule for keys (a
 * Bearer credential a client can present), with at least 16 characters, as `aksml local`
 * requires of configured keys.
 */
import { randomInt } from "node:crypto";
import { serviceKeyProblem } from "../../router/contract/serviceConfig.js";
import type { KeySlot, ServiceKeysReport } from "./model.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const GENERATED_KEY_LENGTH = 32;
export const MIN_KEY_LENGTH = 16;

export function generateKey(): string {
  let key = "";
  for (let i = 0; i < GENERATED_KEY_LENGTH; i++) key += ALPHABET[randomInt(ALPHABET.length)];
  return key;
}

/** Why `value` cannot be a key, or undefined. Never quotes the value. */
export function keyValueProblem(value: string): string | undefined {
  const problem = serviceKeyProblem(value, MIN_KEY_LENGTH);
  return problem && `the key ${problem}`;
}

export const slotField = (slot: KeySlot): keyof ServiceKeysReport =>
  slot === "primary" ? "primaryKey" : "secondaryKey";

/**
 * The pair after a new key in `slot`: generated, or `value`. The other slot is unchanged,
 * and the new key never equals it (both must stay distinct for rotation to mean anything).
 */
export function rotatedKeys(current: ServiceKeysReport, slot: KeySlot, value?: string): ServiceKeysReport {
  const other = current[slotField(slot === "primary" ? "secondary" : "primary")];
  let key = value ?? generateKey();
  if (value !== undefined) {
    const problem = keyValueProblem(value);
    if (problem) throw new Error(problem);
    if (value === other)
      throw new Error(`the new ${slot} key must differ from the ${slot === "primary" ? "secondary" : "primary"} key`);
  } else while (key === other) key = generateKey();
  return { ...current, [slotField(slot)]: key };
}
