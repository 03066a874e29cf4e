/**
 * Reading `pulumi.Input`s while the program runs. Validation and defaults act on what
 * is known now (plain values) and defer Outputs and Promises until they resolve; every
 * component asks the same question, so it is answered here once.
 *
 * Every component validates at the same two points: its arguments' plain values as the
 * constructor's first statement (before anything registers), and the values that were
 * Outputs once they resolve, by the same rules ({@link checkedWhenKnown}).
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

/** Whether an Input is set but not known yet (an Output or a Promise): its rules wait until it resolves. */
export function isUnknown<T>(value: pulumi.Input<T> | undefined): boolean {
  return value !== undefined && !isPlainValue(value);
}

/** The value if it is set and known now, otherwise undefined. */
export function known<T>(value: pulumi.Input<T> | undefined): T | undefined {
  return isKnown(value) ? value : undefined;
}

/**
 * The inputs once they have all resolved and `check` (the component's validation, which
 * throws its InputPropertiesError) accepted them. Children built from the result fail to
 * register with that error rather than being declared from a rejected value.
 */
export function checkedWhenKnown<T extends object>(
  inputs: T,
  check: (resolved: pulumi.Unwrap<T>) => void,
): pulumi.Output<pulumi.Unwrap<T>> {
  return pulumi.output(inputs).apply((resolved) => {
    check(resolved);
    return resolved;
  });
}
