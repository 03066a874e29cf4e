/**
 * List+watch informers (client-node's ListWatch) that keep running: client-node
 * stops an informer on a non-410 error, so each one restarts itself after a delay.
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

export function startInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  onChange: (obj: T) => void,
  opts: { labelSelector?: string; restartDelayMs?: number; log?: Log },
): { informer: RestartingInformer<T>; started: Promise<void>; stop: () => Promise<void> } {
  const informer = makeInformer<T>(kc, path, list, opts.labelSelector);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  for (const verb of ["add", "update", "delete"] as const) informer.on(verb, (obj: T) => onChange(obj));
  informer.on("error", (err: unknown) => {
    if (stopped) return;
    opts.log?.warn({ path, err: err instanceof Error ? err.message : String(err) }, "watch failed; restarting");
    timer = setTimeout(() => void informer.start().catch(() => undefined), opts.restartDelayMs ?? 1000);
    timer.unref();
  });
  const started = informer.start();
  return {
    informer,
    started,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}
