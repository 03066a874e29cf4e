/**
 * One kind of question the worker pool asks a data-path worker (its metrics, its endpoint
 * versions' counts), answered by id. A worker that has gone, or does not answer in time,
 * counts with its last answer, so the pod's sums never go down.
 */
export class WorkerAnswers<T> {
  private readonly pending = new Map<number, (answer: T) => void>();
  private last: T | undefined;

  constructor(private readonly none: T) {}

  /** Asks (through `send`) unless the worker is gone; resolves with its answer or, after `timeoutMs`, its last one. */
  ask(live: boolean, id: number, send: () => void, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve) => {
      if (!live) return resolve(this.last ?? this.none);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(this.last ?? this.none);
      }, timeoutMs);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      send();
    });
  }

  /** The worker's answer to question `id` (also its last answer from now on). */
  answer(id: number, answer: T): void {
    const done = this.pending.get(id);
    this.pending.delete(id);
    this.last = answer;
    done?.(answer);
  }

  /** The worker exited: every open question gets its last answer, which is handed back and forgotten. */
  settle(): T | undefined {
    const last = this.last;
    for (const done of this.pending.values()) done(last ?? this.none);
    this.pending.clear();
    this.last = undefined;
    return last;
  }
}
