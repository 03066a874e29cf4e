import { createHash } from "node:crypto";
import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** SHA-256 (hex) of a file's bytes. */
export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * Every regular file under `path` (or `path` itself), relative paths with "/" separators, sorted.
 * Symbolic links are followed (model folders such as Hugging Face snapshots are made of
 * them; skipping them would silently drop model files); a directory reached twice through
 * links is walked once.
 */
export function listFiles(path: string): { abs: string; rel: string }[] {
  if (!statSync(path).isDirectory()) return [{ abs: path, rel: "" }];
  const out: { abs: string; rel: string }[] = [];
  const seen = new Set<string>();
  const walk = (dir: string) => {
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, entry.name);
      const stat = entry.isSymbolicLink() ? statSync(abs, { throwIfNoEntry: false }) : entry;
      if (stat?.isDirectory()) walk(abs);
      else if (stat?.isFile()) out.push({ abs, rel: relative(path, abs).split(sep).join("/") });
    }
  };
  walk(path);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** A stable hash over named parts: each part's name and bytes are length-prefixed, so no two different inputs collide by concatenation. */
export function hashParts(parts: readonly { name: string; data: Buffer | string }[]): string {
  const h = createHash("sha256");
  for (const p of parts) {
    const data = typeof p.data === "string" ? Buffer.from(p.data) : p.data;
    h.update(`${Buffer.byteLength(p.name)}:${p.name}:${data.length}:`).update(data);
  }
  return h.digest("hex");
}
