/**
 * Is a captured body one JSON text (RFC 8259, UTF-8), and does it hold raw line breaks?
 * Capture embeds a JSON body in its record as the client sent it, so it needs to know
 * that the bytes are valid JSON (else a client could break or forge record lines; such a
 * body is kept as base64) and whether they hold raw CR or LF (only possible as whitespace
 * between tokens, which the record turns into spaces to stay one line).
 *
 * Native `isUtf8` checks the encoding; then a byte scanner checks the grammar without
 * decoding anything or making garbage. JSON.parse (of the Latin-1 text, which it accepts
 * exactly when it accepts the UTF-8 one) was tried: as fast on a body that is mostly one
 * long string, but 3-4 times slower on model inputs (arrays of numbers, small objects:
 * it builds every number and object) and 2-4 KB of garbage per body for the writer
 * thread's GC. Iterative, so no nesting depth overflows the stack; accepts exactly what
 * JSON.parse accepts of valid UTF-8 (property-tested against it).
 */
import { isUtf8 } from "node:buffer";

export const NOT_JSON = -1;
export const JSON_ONE_LINE = 0;
export const JSON_WITH_LINE_BREAKS = 1;
export type JsonScan = typeof NOT_JSON | typeof JSON_ONE_LINE | typeof JSON_WITH_LINE_BREAKS;

/** Scans all of `b` and nothing past it (a body is a view into a larger arena). */
export function scanJson(b: Buffer): JsonScan {
  if (!isUtf8(b)) return NOT_JSON;
  const ok = isJson(b, b.length);
  // A hostile body may have grown the stack to its own depth: do not keep that.
  if (stack.length > 4096) stack = new Uint8Array(64);
  if (!ok) return NOT_JSON;
  // In valid JSON a raw CR or LF can only be whitespace between tokens.
  return b.indexOf(0x0a) >= 0 || b.indexOf(0x0d) >= 0 ? JSON_WITH_LINE_BREAKS : JSON_ONE_LINE;
}

const ARRAY = 1;
const OBJECT = 2;
/** The open containers (a scan runs to its end synchronously: one per thread is enough). */
let stack = new Uint8Array(64);

function isJson(b: Uint8Array, end: number): boolean {
  let depth = 0;
  let i = 0;
  for (;;) {
    // A value.
    i = skipSpace(b, i, end);
    if (i >= end) return false;
    const c = b[i]!;
    if (c === 0x22 /* " */) i = string(b, i + 1, end);
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth === stack.length) {
        const grown = new Uint8Array(stack.length * 2);
        grown.set(stack);
        stack = grown;
      }
      stack[depth++] = c === 0x7b ? OBJECT : ARRAY;
      i = skipSpace(b, i + 1, end);
      // `}` and `]` are their openers + 2.
      if (i < end && b[i] === c + 2) {
        depth--;
        i++;
      } else if (c === 0x7b) {
        i = member(b, i, end);
        if (i < 0) return false;
        continue;
      } else continue;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) i = number(b, i, end);
    else if (c === 0x74)
      i = literal(b, i, end, 0x72, 0x75, 0x65, 0); // true
    else if (c === 0x66)
      i = literal(b, i, end, 0x61, 0x6c, 0x73, 0x65); // false
    else if (c === 0x6e)
      i = literal(b, i, end, 0x75, 0x6c, 0x6c, 0); // null
    else return false;
    if (i < 0) return false;
    // After a value: close containers, or a comma before the next value (or member).
    for (;;) {
      i = skipSpace(b, i, end);
      if (depth === 0) return i === end;
      if (i >= end) return false;
      const d = b[i]!;
      const top = stack[depth - 1];
      if (d === 0x2c /* , */) {
        i++;
        if (top === OBJECT) {
          i = member(b, skipSpace(b, i, end), end);
          if (i < 0) return false;
        }
        break;
      }
      if ((top === OBJECT && d === 0x7d) || (top === ARRAY && d === 0x5d)) {
        depth--;
        i++;
        continue;
      }
      return false;
    }
  }
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c > 0x20 || (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09)) break;
    i++;
  }
  return i;
}

/** An object member's key and colon, from its opening quote; the index of its value, or -1. */
function member(b: Uint8Array, i: number, end: number): number {
  if (i >= end || b[i] !== 0x22) return -1;
  i = string(b, i + 1, end);
  if (i < 0) return -1;
  i = skipSpace(b, i, end);
  if (i >= end || b[i] !== 0x3a /* : */) return -1;
  return i + 1;
}

/** A string from just after its opening quote; the index after its closing quote, or -1. */
function string(b: Uint8Array, i: number, end: number): number {
  for (;;) {
    i = plainRun(b, i, end);
    if (i >= end) return -1;
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c !== 0x5c /* \ */) return -1; // a control character
    const e = b[i + 1];
    if (e === 0x75 /* u */) {
      if (i + 6 > end || !isHex(b[i + 2]!) || !isHex(b[i + 3]!) || !isHex(b[i + 4]!) || !isHex(b[i + 5]!)) return -1;
      i += 6;
    } else if (
      e === 0x22 ||
      e === 0x5c ||
      e === 0x2f ||
      e === 0x62 ||
      e === 0x66 ||
      e === 0x6e ||
      e === 0x72 ||
      e === 0x74
    )
      i += 2;
    else return -1;
  }
}

/**
 * The index of the first byte from `i` that cannot stand in a string as it is (a quote, a
 * backslash or a control character), or `end`. Bytes of 0x80 and above are fine here
 * (isUtf8 checked their sequences). Past its first 16 bytes, a run is read four bytes at a
 * time (the usual "has a byte less than n" bit tricks): a model input is often one long
 * string, and this is the scanner's innermost loop; short strings (keys) never pay for the
 * word view.
 */
function plainRun(b: Uint8Array, i: number, end: number): number {
  const bytewise = Math.min(end, i + 16);
  while (i < bytewise) {
    if (stops(b[i]!)) return i;
    i++;
  }
  if (end - i >= 32) {
    while (((b.byteOffset + i) & 3) !== 0) {
      if (stops(b[i]!)) return i;
      i++;
    }
    const words = new Int32Array(b.buffer, b.byteOffset + i, (end - i) >> 2);
    let k = 0;
    for (; k < words.length; k++) {
      const x = words[k]!;
      const quote = x ^ 0x22222222;
      const backslash = x ^ 0x5c5c5c5c;
      // Non-zero when a byte of x is < 0x20, or of quote or backslash is 0.
      if (
        (((x - 0x20202020) & ~x) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) &
        0x80808080
      )
        break;
    }
    i += k * 4;
  }
  while (i < end && !stops(b[i]!)) i++;
  return i;
}

function stops(c: number): boolean {
  return c >= 0x23 ? c === 0x5c : c < 0x20 || c === 0x22;
}

function isHex(c: number): boolean {
  const lower = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66);
}

/** `true`, `false` or `null` from its first byte (c4 = 0 for the four-letter ones). */
function literal(b: Uint8Array, i: number, end: number, c1: number, c2: number, c3: number, c4: number): number {
  const n = c4 === 0 ? 4 : 5;
  if (i + n > end || b[i + 1] !== c1 || b[i + 2] !== c2 || b[i + 3] !== c3 || (c4 !== 0 && b[i + 4] !== c4)) return -1;
  return i + n;
}

function digits(b: Uint8Array, i: number, end: number): number {
  const from = i;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i > from ? i : -1;
}

/** A number (no leading zeros, no bare dot, no plus sign); the index after it, or -1. */
function number(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return -1;
  if (b[i] === 0x30) i++;
  else {
    i = digits(b, i, end);
    if (i < 0) return -1;
  }
  if (i < end && b[i] === 0x2e /* . */) {
    i = digits(b, i + 1, end);
    if (i < 0) return -1;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45) /* e E */) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    i = digits(b, i, end);
  }
  return i;
}
