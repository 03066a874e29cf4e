/**
 * Checks more than one component makes. Each returns whether a value passes (or why
 * not); the component words the problem for its own argument.
 */
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from "./naming.js";

/** A whole number greater than 0 (counts, seconds, milliseconds). */
export const isPositiveInteger = (n: number): boolean => Number.isInteger(n) && n > 0;

/** A whole number inside `[min, max]` (inclusive; no upper bound when `max` is unset). */
export const isIntegerInRange = (n: number, min: number, max = Number.POSITIVE_INFINITY): boolean =>
  Number.isInteger(n) && n >= min && n <= max;

/** A number greater than 0 (cores, gigabytes); false for NaN. */
export const isPositiveNumber = (n: number): boolean => n > 0;

/** Whether `value` is one of an `as const` enumeration's values. */
export const isOneOf = (values: object, value: unknown): boolean =>
  (Object.values(values) as unknown[]).includes(value);

/** An `as const` enumeration's values, for messages: `"DevTest, FastProd, DenseProd"`. */
export const oneOf = (values: object): string => Object.values(values).join(", ");

export const isLabelKey = (key: string): boolean => LABEL_KEY_PATTERN.test(key);
export const isLabelValue = (value: string): boolean => LABEL_VALUE_PATTERN.test(value);

/**
 * What Azure rejects in a tag (only when the first resource is created): names empty,
 * over 512 characters or with any of `< > % & \ ? /`, values over 256 characters.
 */
export function azureTagProblem(name: string, value: string | undefined): string | undefined {
  if (name === "" || name.length > 512 || /[<>%&\\?/]/.test(name))
    return "is not a valid Azure tag name (1-512 characters, none of < > % & \\ ? /).";
  if (value !== undefined && value.length > 256)
    return `value is ${value.length} characters; Azure tag values are at most 256.`;
  return undefined;
}
