/**
 * Is a captured body one JSON text (RFC 8259, UTF-8), and does it hold raw line breaks?
 * Capture embeds a JSON body in its record as the client sent it, so it needs to know
 * that the bytes are valid JSON (else a client could break or forge record lines; such a
 * body is kept as base64) and whether they hold raw CR or LF (only possible as whitespace
 * between tokens, which the record turns into spaces to stay one line).
 *
 * V8's JSON.parse is the fastest validator at hand (native, iterative, so no nesting
 * depth overflows the stack; a hand-written byte scanner in JavaScript measured about
 * twice its cost), but it takes a string. Decoding as Latin-1 (a byte per character, no
 * UTF-8 decoding) gives a text JSON.parse accepts exactly when it accepts the UTF-8 one,
 * provided the bytes are valid UTF-8, which `isUtf8` (native) checks: outside strings
 * JSON is ASCII either way, and inside strings every byte of a multi-byte sequence is
 * >= 0x80, which JSON allows as it is.
 */
import { isUtf8 } from "node:buffer";

export const NOT_JSON = -1;
export const JSON_ONE_LINE = 0;
export const JSON_WITH_LINE_BREAKS = 1;
export type JsonScan = typeof NOT_JSON | typeof JSON_ONE_LINE | typeof JSON_WITH_LINE_BREAKS;

export function scanJson(b: Buffer): JsonScan {
  if (!isUtf8(b)) return NOT_JSON;
  try {
    JSON.parse(b.toString("latin1"));
  } catch {
    return NOT_JSON;
  }
  // In valid JSON a raw CR or LF can only be whitespace between tokens.
  return b.indexOf(0x0a) >= 0 || b.indexOf(0x0d) >= 0 ? JSON_WITH_LINE_BREAKS : JSON_ONE_LINE;
}
