/**
 * Is a captured body one JSON text (RFC 8259, UTF-8), without decoding or parsing it?
 * Capture embeds a JSON body in its record as the client sent it, so it only needs to
 * know that the bytes are valid JSON and whether they hold raw line breaks (only
 * possible as whitespace between tokens, which the record turns into spaces to stay one
 * line). Scanning the bytes costs a fraction of `JSON.parse(buf.toString())` and makes
 * no garbage (a CPU profile of the writer had decoding and parsing as its largest cost). Iterative with a bounded depth, so a hostile body cannot exhaust the
 * stack: deeper than MAX_JSON_DEPTH counts as not JSON (the body is then kept as base64,
 * nothing is lost). Accepts what JSON.parse accepts of valid UTF-8, except that depth.
 */

export const NOT_JSON = -1;
export const JSON_ONE_LINE = 0;
export const JSON_WITH_LINE_BREAKS = 1;
export type JsonScan = typeof NOT_JSON | typeof JSON_ONE_LINE | typeof JSON_WITH_LINE_BREAKS;

export const MAX_JSON_DEPTH = 1000;

const ARRAY = 1;
const OBJECT = 2;

/** Scans all of `b` (reads past its end see undefined, never a neighbour's bytes). */
export function scanJson(b: Buffer): JsonScan {
  if (!isJson(b, b.length)) return NOT_JSON;
  // In valid JSON a raw CR or LF can only be whitespace between tokens.
  return b.indexOf(0x0a) >= 0 || b.indexOf(0x0d) >= 0 ? JSON_WITH_LINE_BREAKS : JSON_ONE_LINE;
}

/** The open containers: one per thread is enough, a scan runs to its end synchronously. */
const stack = new Uint8Array(MAX_JSON_DEPTH);

function isJson(b: Uint8Array, end: number): boolean {
  let depth = 0;
  let i = 0;
  for (;;) {
    // A value.
    i = skipSpace(b, i, end);
    if (i >= end) return false;
    const c = b[i]!;
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth === MAX_JSON_DEPTH) return false;
      stack[depth++] = c === 0x7b ? OBJECT : ARRAY;
      i = skipSpace(b, i + 1, end);
      if (i < end && b[i] === (c === 0x7b ? 0x7d : 0x5d)) {
        depth--;
        i++;
      } else if (c === 0x7b) {
        i = member(b, i, end);
        if (i < 0) return false;
        continue;
      } else continue;
    } else if (c === 0x22 /* " */) i = string(b, i, end);
    else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) i = number(b, i, end);
    else if (c === 0x74 /* t */) i = literal(b, i, end, TRUE);
    else if (c === 0x66 /* f */) i = literal(b, i, end, FALSE);
    else if (c === 0x6e /* n */) i = literal(b, i, end, NULL);
    else return false;
    if (i < 0) return false;
    // After a value: close containers, or a comma before the next one.
    for (;;) {
      i = skipSpace(b, i, end);
      if (depth === 0) return i === end;
      if (i >= end) return false;
      const top = stack[depth - 1];
      const d = b[i]!;
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
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  return i;
}

/** An object member's key and colon, from its opening quote; returns the index of its value, or -1. */
function member(b: Uint8Array, i: number, end: number): number {
  if (i >= end || b[i] !== 0x22) return -1;
  i = string(b, i, end);
  if (i < 0) return -1;
  i = skipSpace(b, i, end);
  if (i >= end || b[i] !== 0x3a /* : */) return -1;
  return i + 1;
}

/** Bytes a string may hold as they are: printable ASCII but the quote and the backslash. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;

/** A string from its opening quote; returns the index after its closing quote, or -1. */
function string(b: Uint8Array, i: number, end: number): number {
  i++;
  for (;;) {
    while (i < end && PLAIN[b[i]!]) i++;
    if (i >= end) return -1;
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c === 0x5c /* \ */) {
      const e = b[i + 1];
      if (e === 0x75 /* u */) {
        if (i + 6 > end) return -1;
        for (let k = i + 2; k < i + 6; k++) if (!isHex(b[k]!)) return -1;
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
    } else if (c < 0x20) return -1;
    else {
      i = utf8(b, i, end);
      if (i < 0) return -1;
    }
  }
}

/** One multi-byte UTF-8 sequence from its lead byte (no overlongs, surrogates or code points past U+10FFFF). */
function utf8(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  let n: number;
  let min: number;
  let cp: number;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 1;
    min = 0x80;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 2;
    min = 0x800;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 3;
    min = 0x10000;
    cp = c & 0x07;
  } else return -1;
  if (i + n >= end) return -1;
  for (let k = 1; k <= n; k++) {
    const d = b[i + k]!;
    if ((d & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (d & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  return i + n + 1;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function digits(b: Uint8Array, i: number, end: number): number {
  const from = i;
  while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  return i > from ? i : -1;
}

/** A number (RFC 8259 grammar: no leading zeros, no bare dot, no plus sign); the index after it, or -1. */
function number(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return -1;
  if (b[i] === 0x30) i++;
  else {
    i = digits(b, i, end);
    if (i < 0) return -1;
  }
  if (i < end && b[i] === 0x2e) {
    i = digits(b, i + 1, end);
    if (i < 0) return -1;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    i = digits(b, i, end);
  }
  return i;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

function literal(b: Uint8Array, i: number, end: number, word: readonly number[]): number {
  if (i + word.length > end) return -1;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return -1;
  return i + word.length;
}
