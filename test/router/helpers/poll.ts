/** Waiting for a condition instead of sleeping a fixed time before an assertion. */

/**
 * Resolves once `cond` holds (checked every 10 ms); rejects naming `what` after `timeoutMs`.
 * The timeout is a generous upper bound for a loaded machine, not a performance claim.
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
