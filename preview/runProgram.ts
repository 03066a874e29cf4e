/**
 * Runs one stack program under the mock runtime, as the Pulumi CLI's nodejs host would:
 * mocks first, then the program imported inside the root Stack resource, its exports
 * (or its default export's result) taken as stack outputs. Every failure, including
 * rejections raised later from an `apply`, is collected rather than crashing the process.
 *
 * One program per process: Pulumi's runtime state is process-global.
 */
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, settle, type CapturedResource } from "./mockRuntime.js";
import { SECRET_SIG, SECRET_VALUE_SIG } from "./secretMarker.js";
import type { StackSettings } from "./stackConfig.js";

export interface ProgramRun {
  resources: CapturedResource[];
  /** Stack outputs, secrets still marked as `{ [SECRET_SIG]: SECRET_VALUE_SIG, value }`. */
  outputs: Record<string, unknown>;
  /** Everything the program threw or rejected with, in the order seen (deduplicated). */
  errors: unknown[];
}

/** Generous: the 50-service benchmark plans in ~10 s on a busy 2-core machine. */
const DEFAULT_TIMEOUT_MS = 120_000;

export async function runProgram(settings: StackSettings): Promise<ProgramRun> {
  const errors: unknown[] = [];
  const record = (err: unknown) => {
    if (!errors.includes(err)) errors.push(err);
  };
  process.on("unhandledRejection", record);
  process.on("uncaughtException", record);

  // Mocks BEFORE the program is imported: a stack module evaluated earlier would see
  // no monitor and silently resolve every output to undefined.
  const rt = await startMockRuntime({
    project: settings.project,
    stack: settings.stack,
    config: settings.config,
    secretConfigKeys: settings.secretConfigKeys,
  });

  let outputs: Record<string, unknown> = {};
  const run = async () => {
    try {
      await pulumi.runtime.runInPulumiStack(async () => {
        const exported = await importProgram(settings.entry);
        outputs = (await snapshot(exported, [])) as Record<string, unknown>;
        return exported;
      });
    } catch (err) {
      record(err);
    }
    try {
      await settle();
    } catch (err) {
      record(err);
    }
  };
  // A program awaiting something that never resolves would otherwise hang CI, or, with
  // nothing left on the event loop, let node exit mid-plan. The (ref'd) timer prevents both.
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = Number(process.env.AKSML_PLAN_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS);
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      record(
        new Error(
          `the program did not finish within ${timeoutMs / 1000} s (an await on something that never resolves?)`,
        ),
      );
      resolve();
    }, timeoutMs);
  });
  await Promise.race([run(), timedOut]);
  clearTimeout(timer);
  // Rejections nobody awaited are reported on a later turn of the event loop.
  await new Promise((r) => setTimeout(r, 0));
  return { resources: rt.resources, outputs: outputs ?? {}, errors };
}

/** Mirrors the nodejs language host: a default export (alone) is the program; a function is called. */
async function importProgram(entry: string): Promise<Record<string, unknown>> {
  let exported: unknown = await import(pathToFileURL(entry).href);
  const names = Object.keys(exported as object);
  if (names.includes("default")) {
    if (names.length !== 1) throw new Error(`${entry}: expected either a default export or named exports, not both`);
    exported = (exported as { default: unknown }).default;
  }
  const result = typeof exported === "function" ? await (exported as () => unknown)() : exported;
  return result && typeof result === "object" ? { ...(result as Record<string, unknown>) } : {};
}

/**
 * Resolves Outputs, Promises and Resources (to their URN) into plain values, wrapping
 * every secret Output's value in the SDK's secret marker so the renderers can redact it:
 * the Stack's own outputs arrive unwrapped and would lose that mark.
 */
async function snapshot(value: unknown, seen: object[]): Promise<unknown> {
  if (value === null || value === undefined || typeof value !== "object") {
    return typeof value === "function" ? undefined : value;
  }
  if (pulumi.Output.isInstance(value)) {
    // `promise()` is the SDK's internal accessor for an Output's value (not in its typings).
    const output = value as pulumi.Output<unknown> & { promise(): Promise<unknown> };
    const [inner, secret] = await Promise.all([output.promise(), pulumi.isSecret(output)]);
    const resolved = await snapshot(inner, seen);
    return secret ? { [SECRET_SIG]: SECRET_VALUE_SIG, value: resolved } : resolved;
  }
  if (value instanceof Promise) return snapshot(await value, seen);
  if (pulumi.Resource.isInstance(value)) return snapshot((value as pulumi.Resource).urn, seen);
  if (seen.includes(value)) return undefined;
  seen.push(value);
  try {
    // Sequential, not Promise.all: `seen` is the path from the root and must stay one path.
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      for (const v of value) items.push(await snapshot(v, seen));
      return items;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = await snapshot(v, seen);
      if (resolved !== undefined) out[k] = resolved;
    }
    return out;
  } finally {
    seen.pop();
  }
}
