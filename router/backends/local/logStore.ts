/**
 * Recent output lines of local processes (one ring per replica, or the router's own),
 * for `aksml logs --local`: the last lines on request and every new line to followers.
 * Everything is bounded: lines per ring, bytes per ring, bytes per line, rings of exited
 * replicas kept (like a pod's previous container), and followers per store.
 */

/** One line of output. */
export interface LogLine {
  /** Order of arrival across every ring of the store. */
  readonly seq: number;
  /** Replica id (`local-3`) or `router`. */
  readonly source: string;
  /** Milliseconds since epoch. */
  readonly at: number;
  readonly text: string;
}

export interface LogStoreLimits {
  /** @default 5000 (Azure ML's get_logs default) */
  maxLinesPerSource?: number;
  /** @default 1 MiB */
  maxBytesPerSource?: number;
  /** Longer lines are cut and marked. @default 8 KiB */
  maxLineBytes?: number;
  /** Rings of exited sources kept, oldest dropped first. @default 4 */
  retainedExited?: number;
  /** @default 16 */
  maxFollowers?: number;
}

const TRUNCATED = " …[line truncated]";

class Ring {
  readonly lines: LogLine[] = [];
  bytes = 0;
  exited = false;
}

export class TooManyFollowersError extends Error {}

export class LogStore {
  private readonly rings = new Map<string, Ring>();
  private readonly followers = new Set<(line: LogLine) => void>();
  private seq = 0;
  private readonly limits: Required<LogStoreLimits>;

  constructor(limits: LogStoreLimits = {}) {
    this.limits = {
      maxLinesPerSource: limits.maxLinesPerSource ?? 5000,
      maxBytesPerSource: limits.maxBytesPerSource ?? 1024 * 1024,
      maxLineBytes: limits.maxLineBytes ?? 8 * 1024,
      retainedExited: limits.retainedExited ?? 4,
      maxFollowers: limits.maxFollowers ?? 16,
    };
  }

  append(source: string, text: string): void {
    let ring = this.rings.get(source);
    if (!ring) {
      ring = new Ring();
      this.rings.set(source, ring);
    }
    const cut =
      Buffer.byteLength(text) > this.limits.maxLineBytes
        ? `${Buffer.from(text).subarray(0, this.limits.maxLineBytes).toString("utf8")}${TRUNCATED}`
        : text;
    const line: LogLine = { seq: ++this.seq, source, at: Date.now(), text: cut };
    ring.lines.push(line);
    ring.bytes += Buffer.byteLength(cut);
    while (
      ring.lines.length > this.limits.maxLinesPerSource ||
      (ring.bytes > this.limits.maxBytesPerSource && ring.lines.length > 1)
    )
      ring.bytes -= Buffer.byteLength(ring.lines.shift()!.text);
    for (const f of this.followers) f(line);
  }

  /** The source has exited: its lines stay readable until newer exited sources push them out. */
  retire(source: string): void {
    const ring = this.rings.get(source);
    if (!ring || ring.exited) return;
    ring.exited = true;
    const exited = [...this.rings.entries()].filter(([, r]) => r.exited);
    for (const [name] of exited.slice(0, Math.max(0, exited.length - this.limits.retainedExited)))
      this.rings.delete(name);
  }

  /** Sources with lines, running ones first. */
  sources(): { source: string; exited: boolean }[] {
    return [...this.rings.entries()]
      .map(([source, r]) => ({ source, exited: r.exited }))
      .sort((a, b) => Number(a.exited) - Number(b.exited));
  }

  /** The last `tail` lines of each source (all kept lines when undefined), merged in arrival order. */
  tail(tail: number | undefined, source?: string): LogLine[] {
    const out: LogLine[] = [];
    for (const [name, ring] of this.rings) {
      if (source !== undefined && name !== source) continue;
      out.push(...(tail === undefined ? ring.lines : tail === 0 ? [] : ring.lines.slice(-tail)));
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** Calls `listener` with every new line until the returned function is called. */
  follow(listener: (line: LogLine) => void): () => void {
    if (this.followers.size >= this.limits.maxFollowers)
      throw new TooManyFollowersError(`at most ${this.limits.maxFollowers} followers at a time`);
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }
}
