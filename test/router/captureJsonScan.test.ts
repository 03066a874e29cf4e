/**
 * Capture's JSON check (router/capture/jsonScan.ts: `isUtf8` plus a byte scanner, without
 * decoding UTF-8 or parsing): it must accept exactly what JSON.parse accepts
 * of the body decoded as strict UTF-8 (a body it wrongly accepts would be embedded raw
 * and break the record line; one it wrongly rejects is only kept as base64), whatever
 * the input.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JSON_ONE_LINE, JSON_WITH_LINE_BREAKS, NOT_JSON, scanJson } from "../../router/capture/jsonScan.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
/** The reference: valid UTF-8 that JSON.parse takes. */
function reference(b: Buffer): boolean {
  try {
    JSON.parse(strictUtf8.decode(b));
    return true;
  } catch {
    return false;
  }
}

/** JSON's pieces, broken ones and bytes near its edges ("|"-separated). */
const TOKENS =
  '{|}|[|]|,|:|"|\\|\\u00e9|\\x|0|-|01|1.|.5|1e|1e+5|-0|true|tru|null|false| |\n|\u0001|é|\ud83d\ude00|a'.split("|");

const whitespace = fc.constantFrom(" ", "\t", "\n", "\r", "", "  ");
/** JSON text with random whitespace between tokens (JSON.stringify's indent puts line breaks in). */
const jsonText = fc
  .tuple(fc.jsonValue(), fc.constantFrom(undefined, 0, 2, "\t"), whitespace, whitespace)
  .map(([v, indent, before, after]) => `${before}${JSON.stringify(v, null, indent)}${after}`);

describe("scanJson", () => {
  it("accepts every JSON text, and says whether it holds raw line breaks", () => {
    fc.assert(
      fc.property(jsonText, (text) => {
        const b = Buffer.from(text);
        const expected = /[\r\n]/.test(text) ? JSON_WITH_LINE_BREAKS : JSON_ONE_LINE;
        expect(scanJson(b)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees with JSON.parse on mutated JSON and on arbitrary bytes", () => {
    const mutated = fc
      .tuple(jsonText, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), { maxLength: 3 }))
      .map(([text, edits]) => {
        const bytes = [...Buffer.from(text)];
        for (const [at, byte, insert] of edits) {
          const i = bytes.length ? at % bytes.length : 0;
          if (insert) bytes.splice(i, 0, byte);
          else if (bytes.length) bytes[i] = byte;
        }
        return Buffer.from(bytes);
      });
    const tokens = fc.array(fc.constantFrom(...TOKENS), { maxLength: 12 }).map((parts) => Buffer.from(parts.join("")));
    const raw = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.oneof(mutated, tokens, raw), (b) => {
        expect(scanJson(b) !== NOT_JSON).toBe(reference(b));
      }),
      { numRuns: 20000 },
    );
  });

  it("agrees with JSON.parse on every single byte inside a string, after an escape, and alone", () => {
    for (let byte = 0; byte < 256; byte++) {
      for (const b of [
        Buffer.from([0x22, byte, 0x22]),
        Buffer.from([0x22, 0x5c, byte, 0x22]),
        Buffer.from([byte]),
        Buffer.from([0x5b, byte, 0x5d]),
      ])
        expect(scanJson(b) !== NOT_JSON, `bytes ${[...b]}`).toBe(reference(b));
    }
  });

  it("rejects invalid UTF-8 inside strings: overlongs, surrogates, truncated sequences, bytes past U+10FFFF", () => {
    for (const bad of [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0xff],
    ]) {
      const b = Buffer.concat([Buffer.from('"'), Buffer.from(bad), Buffer.from('"')]);
      expect(scanJson(b), JSON.stringify(bad)).toBe(NOT_JSON);
    }
    expect(scanJson(Buffer.from('"€😀é"'))).toBe(JSON_ONE_LINE);
  });

  it("takes any nesting depth without overflowing the stack, and refuses unclosed brackets", () => {
    const deep = (n: number) => Buffer.from("[".repeat(n) + "]".repeat(n));
    expect(scanJson(deep(100_000))).toBe(JSON_ONE_LINE);
    expect(scanJson(Buffer.from("[".repeat(1_000_000)))).toBe(NOT_JSON);
    expect(scanJson(Buffer.from(`${'{"a":'.repeat(500)}1${"}".repeat(500)}`))).toBe(JSON_ONE_LINE);
  });

  it("agrees with JSON.parse on long strings with any byte at any place, at any alignment (the word-at-a-time run)", () => {
    // Long runs are read four bytes at a time from an aligned word: every byte the run must stop at
    // (controls, quote, backslash) and some it must not, at every position and word alignment.
    const bytes = [0x00, 0x09, 0x0a, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, 0x7f, 0xc3];
    const arena = Buffer.alloc(200);
    for (const length of [17, 31, 32, 33, 47, 64, 70]) {
      for (let offset = 0; offset < 4; offset++) {
        for (let at = 0; at < length; at++) {
          for (const byte of bytes) {
            const body = arena.subarray(offset, offset + length + 2);
            body.fill(0x61);
            body[0] = body[length + 1] = 0x22;
            body[at + 1] = byte;
            // A lone lead byte is invalid UTF-8; give it its continuation where there is room.
            if (byte === 0xc3 && at + 1 < length) body[at + 2] = 0xa9;
            expect(scanJson(body) !== NOT_JSON, `${length}/${offset}/${at}/${byte}`).toBe(reference(body));
          }
        }
      }
    }
  });

  it("never reads past the view it is given (a body is a view into a larger arena)", () => {
    const arena = Buffer.from('{"a":"x\\"}');
    // The view ends inside an escape: the bytes after it must not complete the string.
    expect(scanJson(arena.subarray(0, 8))).toBe(NOT_JSON);
    expect(scanJson(Buffer.from("[1,2]").subarray(0, 4))).toBe(NOT_JSON);
    expect(scanJson(Buffer.from('"\\u00e9"').subarray(0, 6))).toBe(NOT_JSON);
  });
});
