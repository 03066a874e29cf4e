/**
 * The node's model cache: a folder shared by the model pods of one node (a hostPath),
 * holding each model file fetched on the node once, named by the SHA-256 of its content.
 *
 * - A hit is never trusted: the entry is hashed while it is copied into the pod's own
 *   model folder, and a corrupted entry is removed (and the file downloaded again).
 * - Entries appear whole or not at all: written to a temporary file, renamed once
 *   verified. Two pods writing the same entry write the same bytes, so the lock below only
 *   saves a second download, it is not needed for correctness.
 * - One download per file per node: the downloader holds `<sha256>.lock` (created with
 *   O_EXCL) and refreshes its mtime; others wait for it to go, or break it once it has
 *   not been refreshed for `staleLockMs` (its pod died).
 * - Bounded: before an entry is added, the least recently used entries (by mtime,
 *   refreshed on every hit; atime is unreliable under relatime/noatime) are evicted
 *   until it fits. A file larger than the bound is not cached. Pods copy out of the
 *   cache, so evicting an entry never breaks a running pod (an open file outlives its
 *   unlink). The bound is soft by the downloads in flight on the node.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants, createWriteStream, type Stats } from "node:fs";
import { chmod, lstat, mkdir, open, readdir, rename, stat, unlink, utimes, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";

/** Entries live in this subfolder of the mounted cache folder (made writable by `prepareCache`). */
export const ENTRIES_FOLDER = "sha256";
const ENTRY = /^[0-9a-f]{64}$/;

export interface NodeCacheOptions {
  /** The mounted cache folder. */
  dir: string;
  /** Bound of the entries' total size in bytes. */
  maxBytes: number;
  /** A lock not refreshed for this long belongs to a dead downloader. @default 30000 */
  staleLockMs?: number;
  /** How often a downloader refreshes its lock. @default 5000 */
  heartbeatMs?: number;
  /** How often a waiting pod looks at the lock again. @default 250 */
  pollMs?: number;
  /** A temporary file not written for this long belongs to a dead downloader. @default 600000 */
  staleTempMs?: number;
}

export type CopyOutcome = { kind: "hit"; bytes: number } | { kind: "miss" } | { kind: "corrupt"; actual: string };

/** A held lock; `release` removes it unless someone broke it meanwhile. */
export interface CacheLock {
  release(): Promise<void>;
}

/** Where a download's bytes also go, when the cache admits the file. */
export interface CacheWriter {
  /** Writes a chunk (in order); never fails (a failed write drops the entry). */
  write(chunk: Buffer): Promise<void>;
  /** Makes the entry visible; only after the content was verified. */
  commit(): Promise<void>;
  /** Drops the temporary file. */
  abort(): Promise<void>;
}

export class NodeCache {
  readonly entries: string;
  private readonly maxBytes: number;
  private readonly staleLockMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly staleTempMs: number;
  /** Entries this run used or added: evicting them would only make the next replica download again. */
  private readonly used = new Set<string>();
  /** The entries' total as this run last counted it, plus what it added since. */
  private estimatedTotal: number | undefined;

  constructor(o: NodeCacheOptions) {
    this.entries = join(o.dir, ENTRIES_FOLDER);
    this.maxBytes = o.maxBytes;
    this.staleLockMs = o.staleLockMs ?? 30_000;
    this.heartbeatMs = o.heartbeatMs ?? 5_000;
    this.pollMs = o.pollMs ?? 250;
    this.staleTempMs = o.staleTempMs ?? 600_000;
  }

  /**
   * Why the cache cannot be used (the entries folder is missing: prepare-cache did not
   * run), or undefined when it can.
   */
  async unusable(): Promise<string | undefined> {
    const s = await lstat(this.entries).catch(() => undefined);
    return s?.isDirectory()
      ? undefined
      : `cache folder ${this.entries} is missing (or not a folder); run fetch-model --prepare-cache first`;
  }

  private entry(sha256: string): string {
    return join(this.entries, sha256);
  }

  /**
   * Keeps the entries of these hashes from eviction for this run: the pod needs them all,
   * and whichever it reaches first must not evict one it reaches later.
   */
  protect(hashes: Iterable<string>): void {
    for (const h of hashes) this.used.add(h);
  }

  /** True if an entry for the content exists (it may still turn out corrupted). */
  async has(sha256: string): Promise<boolean> {
    const s = await lstat(this.entry(sha256)).catch(() => undefined);
    return s?.isFile() === true;
  }

  /**
   * Copies the entry to `to`, hashing it on the way. A hit refreshes the entry's mtime (its
   * place in the LRU order); a corrupted entry is removed.
   */
  async copyOut(sha256: string, to: string): Promise<CopyOutcome> {
    const path = this.entry(sha256);
    let fh: FileHandle;
    try {
      // O_NOFOLLOW: the entry must be the file itself, never a link to elsewhere on the node.
      fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return { kind: "miss" };
    }
    let st: Stats;
    const hash = createHash("sha256");
    let bytes = 0;
    try {
      st = await fh.stat();
      if (!st.isFile()) return { kind: "miss" };
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(fh.createReadStream({ autoClose: false }), hashing, createWriteStream(to));
    } finally {
      await fh.close();
    }
    const actual = hash.digest("hex");
    if (actual !== sha256) {
      // Only the corrupted file: a good entry another pod renamed in meanwhile stays.
      const now = await lstat(path).catch(() => undefined);
      if (now && now.ino === st.ino && now.dev === st.dev) await unlink(path).catch(() => {});
      await unlink(to).catch(() => {});
      return { kind: "corrupt", actual };
    }
    this.used.add(sha256);
    const t = new Date();
    await utimes(path, t, t).catch(() => {});
    return { kind: "hit", bytes };
  }

  /** Takes the content's download lock, or returns undefined when another live downloader holds it. */
  async tryLock(sha256: string): Promise<CacheLock | undefined> {
    const path = `${this.entry(sha256)}.lock`;
    let fh: FileHandle;
    try {
      fh = await open(path, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const s = await stat(path).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs > this.staleLockMs) await this.breakLock(path);
      return undefined;
    }
    const mine = await fh.stat();
    await fh.write(`${process.pid}\n`);
    await fh.close();
    const heartbeat = setInterval(() => {
      const t = new Date();
      utimes(path, t, t).catch(() => {});
    }, this.heartbeatMs);
    heartbeat.unref();
    return {
      release: async () => {
        clearInterval(heartbeat);
        const now = await lstat(path).catch(() => undefined);
        if (now && now.ino === mine.ino && now.dev === mine.dev) await unlink(path).catch(() => {});
      },
    };
  }

  /** Waits while a live downloader holds the content's lock. */
  async waitForUnlock(sha256: string): Promise<void> {
    const path = `${this.entry(sha256)}.lock`;
    for (;;) {
      const s = await stat(path).catch(() => undefined);
      if (!s) return;
      if (Date.now() - s.mtimeMs > this.staleLockMs) {
        await this.breakLock(path);
        return;
      }
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /** Renaming first means only one waiter removes a stale lock. */
  private async breakLock(path: string): Promise<void> {
    const aside = `${path}.stale-${randomBytes(6).toString("hex")}`;
    try {
      await rename(path, aside);
      await unlink(aside);
    } catch {
      // Someone else broke it first.
    }
  }

  /**
   * Makes room for `bytes` and opens a temporary file for the content, or returns
   * undefined when the file cannot be cached (larger than the bound, or the room is
   * taken by entries this run needs).
   */
  async writer(sha256: string, bytes: number): Promise<CacheWriter | undefined> {
    if (bytes > this.maxBytes || !(await this.makeRoom(bytes))) return undefined;
    const temp = `${this.entry(sha256)}.${randomBytes(6).toString("hex")}.tmp`;
    const fh = await open(temp, "wx", 0o644);
    // A failing cache write (a full disk) drops the entry, never the download.
    let failed = false;
    let closed = false;
    const close = async () => {
      if (!closed) {
        closed = true;
        await fh.close().catch(() => {});
      }
    };
    return {
      write: async (chunk) => {
        if (failed) return;
        try {
          await fh.write(chunk);
        } catch {
          failed = true;
          await close();
          await unlink(temp).catch(() => {});
        }
      },
      commit: async () => {
        await close();
        if (failed) return;
        // A temp file removed by another pod's clean-up (a download stalled for
        // staleTempMs) fails the rename: the file is then just not cached.
        await rename(temp, this.entry(sha256)).then(
          () => this.used.add(sha256),
          () => {},
        );
      },
      abort: async () => {
        await close();
        await unlink(temp).catch(() => {});
      },
    };
  }

  /**
   * Evicts least recently used entries until `incoming` more bytes fit; false if they
   * cannot. The folder is scanned when this run's running total says it may be full, not
   * for every file.
   */
  async makeRoom(incoming: number): Promise<boolean> {
    if (this.estimatedTotal !== undefined && this.estimatedTotal + incoming <= this.maxBytes) {
      this.estimatedTotal += incoming;
      return true;
    }
    const names = await readdir(this.entries);
    const now = Date.now();
    const entries: { name: string; size: number; mtimeMs: number }[] = [];
    for (const name of names) {
      const s = await lstat(join(this.entries, name)).catch(() => undefined);
      if (!s) continue;
      if (ENTRY.test(name) && s.isFile()) entries.push({ name, size: s.size, mtimeMs: s.mtimeMs });
      // Leftovers of dead downloaders.
      else if (name.endsWith(".tmp") && now - s.mtimeMs > this.staleTempMs)
        await unlink(join(this.entries, name)).catch(() => {});
      else if (name.includes(".lock.stale-") && now - s.mtimeMs > this.staleLockMs)
        await unlink(join(this.entries, name)).catch(() => {});
    }
    let total = entries.reduce((n, e) => n + e.size, 0);
    entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const e of entries) {
      if (total + incoming <= this.maxBytes) break;
      if (this.used.has(e.name)) continue;
      await unlink(join(this.entries, e.name)).catch(() => {});
      total -= e.size;
    }
    const fits = total + incoming <= this.maxBytes;
    this.estimatedTotal = fits ? total + incoming : total;
    return fits;
  }
}

/**
 * `--prepare-cache`: creates the entries folder in the mounted cache folder and makes it
 * writable for the fetch-model user. Runs as root with no capabilities: root owns the
 * folder the kubelet created for the hostPath, so it may chmod what it creates there.
 * Sticky and world-writable like /tmp; only fetch-model containers mount it.
 */
export async function prepareCache(dir: string): Promise<string> {
  const entries = join(dir, ENTRIES_FOLDER);
  await mkdir(entries, { recursive: true });
  const s = await lstat(entries);
  if (!s.isDirectory()) throw new Error(`${entries} exists and is not a folder`);
  if ((s.mode & 0o7777) !== 0o1777) await chmod(entries, 0o1777);
  return entries;
}
