/**
 * List+watch informers (client-node's ListWatch) that keep running and say when they
 * hold a complete picture. client-node stops an informer on a non-410 error, so each one
 * restarts itself, backing off exponentially (with jitter, up to a bound) while the API
 * keeps failing. client-node's `start()` also resolves when its first list FAILED (it
 * only emits an error), so `synced` resolves only once a list has actually succeeded:
 * an empty cache is never mistaken for an empty cluster.
 */
import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from "@kubernetes/client-node";
import type { Log } from "../../log.js";

export type RestartingInformer<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface InformerOptions {
  labelSelector?: string;
  /** Delay before the first restart after a failure; it doubles with every further failure in a row. @default 1000 */
  restartDelayMs?: number;
  /** The longest delay between restarts. @default 30000 */
  maxRestartDelayMs?: number;
  log?: Log;
}

export const DEFAULT_RESTART_DELAY_MS = 1_000;
export const MAX_RESTART_DELAY_MS = 30_000;

/**
 * The wait before restart number `failures` (1 = the first failure in a row):
 * `base * 2^(failures-1)` capped at `max`, then "equal jitter" (a uniform draw in the
 * upper half), so a fleet of routers that lost the API together does not retry in step.
 */
export function restartDelayMs(failures: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function startInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  onChange: (obj: T) => void,
  opts: InformerOptions,
): { informer: RestartingInformer<T>; synced: Promise<void>; stop: () => Promise<void> } {
  const base = opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS;
  const max = Math.max(base, opts.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS);
  let listed = false;
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));

  // ListWatch fills its cache right after this promise resolves, before its start() resolves.
  const listAndNote = async () => {
    const result = await list();
    listed = true;
    failures = 0;
    return result;
  };
  const informer = makeInformer<T>(kc, path, listAndNote, opts.labelSelector);
  const run = () =>
    informer.start().then(
      () => {
        if (listed && !stopped) markSynced();
      },
      () => undefined,
    );
  for (const verb of ["add", "update", "delete"] as const)
    informer.on(verb, (obj: T) => {
      failures = 0;
      onChange(obj);
    });
  informer.on("error", (err: unknown) => {
    if (stopped) return;
    failures++;
    const delay = restartDelayMs(failures, base, max);
    opts.log?.warn(
      { path, err: err instanceof Error ? err.message : String(err), failures, retryInMs: delay },
      listed ? "watch failed; restarting" : "list failed; the router stays not-ready until it succeeds",
    );
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (!stopped) void run();
    }, delay);
    timer.unref();
  });
  void run();
  return {
    informer,
    synced,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}
