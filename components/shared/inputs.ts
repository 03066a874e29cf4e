/**
 * Reading `pulumi.Input`s while the program runs. Validation and defaults act on what
 * is known now (plain values) and defer Outputs and Promises until they resolve; every
 * component asks the same question, so it is answered here once.
 */
import * as pulumi from "@pulumi/pulumi";

/** Whether an Input is a plain value (possibly undefined), not an Output or a Promise. */
export function isPlainValue<T>(value: pulumi.Input<T> | undefined): value is T | undefined {
  return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/** Whether an Input is a plain value that is set. */
export function isKnown<T>(value: pulumi.Input<T> | undefined): value is T {
  return value !== undefined && isPlainValue(value);
}

/** The value if it is set and known now, otherwise undefined. */
export function known<T>(value: pulumi.Input<T> | undefined): T | undefined {
  return isKnown(value) ? value : undefined;
}
