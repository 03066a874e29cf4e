/**
 * Secret redaction for every plan format. Two layers: structural (any value the SDK
 * marked secret becomes "[secret]") and textual (the final text is scrubbed of every
 * secret's plaintext, so a secret copied into a non-secret field by mistake still
 * never reaches the terminal, a CI log or a JSON artifact).
 *
 * Part of the preview, not of rendering: what is secret is known only here (the SDK's
 * markers, the stack's secret config keys). The captured graph leaves already redacted,
 * and `planProgram` hands the caller the strings to `scrub` from whatever it prints.
 */
import { isSecretMarker } from "./secretMarker.js";

export const REDACTED = "[secret]";

/** Shorter strings (e.g. "true", "1") are too common to scrub from text safely. */
const MIN_SCRUBBED_LENGTH = 6;

/** A deep copy with every secret value replaced by "[secret]". */
export function redact(value: unknown): unknown {
  if (isSecretMarker(value)) return REDACTED;
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}

/**
 * Every plaintext string found inside secret-marked values under `roots`, plus `plain`
 * (e.g. secret config values), with the JSON-escaped and base64 forms they may take.
 */
export function secretStrings(roots: unknown[], plain: string[] = []): string[] {
  const found = new Set<string>(plain.filter((s) => s.length >= MIN_SCRUBBED_LENGTH));
  const leaves = (value: unknown): void => {
    if (typeof value === "string" || typeof value === "number") {
      const s = String(value);
      if (s.length >= MIN_SCRUBBED_LENGTH) found.add(s);
    } else if (value !== null && typeof value === "object") {
      if (isSecretMarker(value)) leaves(value.value);
      else for (const v of Object.values(value)) leaves(v);
    }
  };
  const walk = (value: unknown): void => {
    if (isSecretMarker(value)) leaves(value.value);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
  };
  roots.forEach(walk);
  const forms = new Set<string>();
  for (const s of found) {
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(Buffer.from(s).toString("base64"));
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...forms].filter((f) => f.length >= MIN_SCRUBBED_LENGTH).sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret string in rendered text. */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}
