/**
 * A Kubernetes Secret volume as the kubelet maintains it (its AtomicWriter,
 * pkg/volume/util/atomic_writer.go): the files live in a timestamped directory
 * `..<timestamp>`, the symlink `..data` points at it, and each key is a symlink
 * `<key> -> ..data/<key>`. An update writes a new timestamped directory, points a new
 * symlink `..data_tmp` at it, renames that over `..data` (one atomic step: a reader
 * sees the old set or the new set, never a mix), then deletes the old directory.
 * Real files and real symlinks on disk: only the kubelet itself is missing.
 */
import { lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Whether a path exists as itself (a dangling symlink counts). */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export class SecretVolume {
  private generation = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** The path a container sees for a key. */
  path(key: string): string {
    return join(this.dir, key);
  }

  /** Publishes a new set of keys the way the kubelet does. */
  write(files: Record<string, string>): void {
    const data = join(this.dir, "..data");
    const old = present(data) ? readlinkSync(data) : undefined;
    const stamp = `..2026_01_01_00_00_${String(this.generation++).padStart(2, "0")}.${process.pid}`;
    mkdirSync(join(this.dir, stamp));
    for (const [key, content] of Object.entries(files)) writeFileSync(join(this.dir, stamp, key), content);
    const tmp = join(this.dir, "..data_tmp");
    symlinkSync(stamp, tmp);
    renameSync(tmp, data);
    for (const key of Object.keys(files)) {
      const link = join(this.dir, key);
      if (!present(link)) symlinkSync(join("..data", key), link);
    }
    if (old) rmSync(join(this.dir, old), { recursive: true, force: true });
  }
}
