/**
 * The `aksml local` config file as the owner of a service's keys: a `regen-key` writes
 * the new key into the file (so the next start serves it too), and an edit of the keys
 * in the file is served at once, without a restart (watchConfigKeys).
 *
 * The write changes only the key's text (the rest of the file, comments aside, keeps its
 * formatting) and only when the old key appears exactly once; it is atomic (a temporary
 * file renamed over the original, mode kept).
 */
import { readFileSync, renameSync, statSync, unwatchFile, watchFile, writeFileSync } from "node:fs";
import type { ServiceKeys } from "../../router/contract/backend.js";
import { LocalConfigError, loadLocalConfig, type LocalConfig, type LocalService } from "./config.js";

export type PersistOutcome = { persisted: true } | { persisted: false; why: string };

/** Replaces `oldKey` by `newKey` in the file, if it is there exactly once as that service's key. */
export function persistKey(file: string, service: string, oldKey: string, newKey: string): PersistOutcome {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { persisted: false, why: `cannot read ${file} (${(e as NodeJS.ErrnoException).code})` };
  }
  const needle = JSON.stringify(oldKey);
  const count = text.split(needle).length - 1;
  if (count !== 1)
    return {
      persisted: false,
      why: `the old key appears ${count} times in ${file}; replace it there by hand`,
    };
  const updated = text.replace(needle, JSON.stringify(newKey));
  try {
    const raw = JSON.parse(updated) as { services?: { name?: unknown; keys?: Record<string, unknown> }[] };
    const entry = raw.services?.find((s) => s.name === service);
    if (!entry?.keys || !Object.values(entry.keys).includes(newKey))
      return { persisted: false, why: `the old key in ${file} is not the key of service ${service}` };
  } catch {
    return { persisted: false, why: `${file} is not valid JSON any more; fix it first` };
  }
  const tmp = `${file}.aksml-${process.pid}.tmp`;
  writeFileSync(tmp, updated, { mode: statSync(file).mode & 0o777 });
  renameSync(tmp, file);
  return { persisted: true };
}

/** What a service's config says besides its keys: a change there needs a restart. */
function settingsOf(s: LocalService): string {
  return JSON.stringify({ command: s.command, cwd: s.cwd, env: s.env, config: s.config, builtIn: s.builtInIssuer });
}

export interface ConfigKeysWatch {
  stop(): void;
}

/**
 * Polls the file (by path, so an editor's save-by-rename is seen) and hands every
 * service's new keys to `apply`. An invalid file is reported and nothing changes.
 */
export function watchConfigKeys(
  initial: LocalConfig,
  current: (service: string) => ServiceKeys | undefined,
  apply: (service: string, keys: ServiceKeys) => void,
  report: (message: string) => void,
  intervalMs = 500,
): ConfigKeysWatch {
  const baseline = new Map(initial.services.map((s) => [s.name, settingsOf(s)]));
  let warnedRestart = false;
  const onChange = (now: { mtimeMs: number; size: number }, before: { mtimeMs: number; size: number }) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
    let next: LocalConfig;
    try {
      next = loadLocalConfig(initial.file);
    } catch (e) {
      report(
        `config ${e instanceof LocalConfigError ? e.message : (e as Error).message}\n  (not applied; the running keys are unchanged)`,
      );
      return;
    }
    let needsRestart = next.services.length !== baseline.size;
    for (const s of next.services) {
      if (!baseline.has(s.name)) {
        needsRestart = true;
        continue;
      }
      if (baseline.get(s.name) !== settingsOf(s)) needsRestart = true;
      const running = current(s.name);
      if (!s.keys || s.generatedKeys || !running) continue;
      if (s.keys.primaryKey === running.primaryKey && s.keys.secondaryKey === running.secondaryKey) continue;
      apply(s.name, s.keys);
      report(`${s.name}: keys reloaded from ${initial.file}`);
    }
    if (needsRestart && !warnedRestart) {
      warnedRestart = true;
      report(`${initial.file} changed beyond keys; only keys are applied live, restart aksml local for the rest`);
    }
  };
  watchFile(initial.file, { interval: intervalMs, persistent: false }, onChange);
  return { stop: () => unwatchFile(initial.file, onChange) };
}
