/**
 * Values given as Outputs are validated once they resolve, and in a Pulumi program the
 * failure is the program's error: an unhandled rejection. A test of that behaviour
 * expects those rejections; this collects exactly them (the InputPropertiesError of the
 * named components) and hands every other rejection on to the runner's own handlers,
 * so a rejection nobody expected still fails the run.
 */
import * as pulumi from "@pulumi/pulumi";

export interface ExpectedRejections {
  /** The expected rejections seen so far. */
  readonly seen: unknown[];
  /** The expected ones that are InputPropertiesErrors. */
  propertyErrors(): pulumi.InputPropertiesError[];
  /** Puts the runner's handlers back. */
  restore(): void;
}

/**
 * @param subjects the components whose validation errors are expected, as their messages
 *   start: `ModelWebservice "late"` (see componentSubject in components/shared/problems.ts)
 */
export function expectRejectionsFrom(subjects: readonly string[]): ExpectedRejections {
  const seen: unknown[] = [];
  const saved = process.listeners("unhandledRejection");
  const expected = (reason: unknown) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    // Pulumi may prefix it with where it surfaced: `error serializing property "metadata": AzuremlFe "x" has ...`.
    return subjects.some((s) => message.includes(`${s} has `));
  };
  const filter = (reason: unknown, promise: Promise<unknown>) => {
    if (expected(reason)) seen.push(reason);
    else for (const l of saved) l(reason, promise);
  };
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", filter);
  return {
    seen,
    propertyErrors: () =>
      seen.filter((r) => pulumi.InputPropertiesError.isInstance(r)) as pulumi.InputPropertiesError[],
    restore: () => {
      process.off("unhandledRejection", filter);
      for (const l of saved) process.on("unhandledRejection", l);
    },
  };
}
