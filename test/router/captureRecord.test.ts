/**
 * The record lines capture writes (router/capture/captureRecord.ts), built from bytes:
 * every line is one JSON object on one line, whatever the body; a JSON body is embedded
 * equal to what was sent, anything else as base64, an oversize one by its size; and the
 * time is exactly `toISOString()` (formatted once per second).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LineBuffer,
  oversizeLine,
  recordHead,
  recordLine,
  writerProfile,
  type CapturedExchange,
  type Designation,
} from "../../router/capture/captureRecord.js";

const profile = writerProfile("svc", [{ name: "m", version: 2 }], []);
const redacting = writerProfile("svc", [], ["secret"]);

function exchange(
  input: Buffer | undefined,
  contentType: string | undefined,
  time = 1_733_000_000_000,
): CapturedExchange {
  return {
    time,
    requestId: 'id-"quoted"',
    profile,
    status: 200,
    latencyMs: 1.23456,
    input: { contentType, bytes: input?.length ?? 5000, chunks: input && [input] },
    output: { contentType: "application/json", bytes: 2, chunks: [Buffer.from("{}")] },
    reserved: 0,
  };
}

/** One record line as text, written alone into a buffer that has to grow for it. */
function line(x: CapturedExchange, d: Designation, write = recordLine): string {
  const out = new LineBuffer(8);
  write(x, d, out);
  return out.bytes.toString("utf8", 0, out.length);
}

describe("capture record lines", () => {
  it("are one JSON object on one line for any body; JSON bodies equal what was sent, others base64", () => {
    const body = fc.oneof(
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v, null, 2))),
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      fc.string().map((s) => Buffer.from(s)),
    );
    const type = fc.constantFrom(undefined, "application/json", "text/csv", "application/problem+json; charset=utf-8");
    fc.assert(
      fc.property(body, type, (b, t) => {
        const text = line(exchange(b, t), "inputs");
        expect(text.endsWith("\n")).toBe(true);
        expect(text.slice(0, -1)).not.toMatch(/[\r\n]/);
        const record = JSON.parse(text);
        expect(record.input.bytes).toBe(b.length);
        if (b.length === 0) return;
        if (record.input.json !== undefined) expect(record.input.json).toEqual(JSON.parse(b.toString("utf8")));
        else expect(Buffer.from(record.input.base64, "base64").equals(b)).toBe(true);
        if (t !== undefined && !/json/i.test(t)) expect(record.input.base64).toBeDefined();
      }),
      { numRuns: 2000 },
    );
  });

  it("cannot be forged by a body: JSON-looking text that is not one JSON value is base64", () => {
    const forged = Buffer.from('1}\n{"requestId":"forged","service":"svc"');
    const record = JSON.parse(line(exchange(forged, "application/json"), "inputs"));
    expect(record.input.json).toBeUndefined();
    expect(Buffer.from(record.input.base64, "base64").equals(forged)).toBe(true);
  });

  it("carry the shared fields, a truncated body by its size, and redacted fields blanked", () => {
    const truncated = JSON.parse(line(exchange(undefined, "application/json"), "inputs"));
    expect(truncated).toMatchObject({
      requestId: 'id-"quoted"',
      service: "svc",
      models: [{ name: "m", version: 2 }],
      status: 200,
      latencyMs: 1.235,
      input: { bytes: 5000, contentType: "application/json", truncated: true },
    });
    const x = { ...exchange(Buffer.from('{"secret":"s","keep":1}'), "application/json"), profile: redacting };
    expect(JSON.parse(line(x, "inputs")).input.json).toEqual({ secret: "[redacted]", keep: 1 });
    const big = exchange(Buffer.from('"x"'), undefined);
    expect(JSON.parse(line(big, "inputs", oversizeLine)).input).toEqual({ bytes: 3, truncated: true });
  });

  it("follow one another in one buffer, each as it is alone, whatever the buffer's growth and shifts", () => {
    const bodies = fc.array(
      fc.tuple(
        fc.oneof(
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v, null, 1))),
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
        ),
        fc.constantFrom<Designation>("inputs", "predictions"),
      ),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(bodies, fc.nat(), (items, cut) => {
        const out = new LineBuffer(16);
        const alone: string[] = [];
        const starts: number[] = [];
        for (const [b, d] of items) {
          const x = { ...exchange(b, "application/json"), output: exchange(b, "application/json").input };
          starts.push(out.length);
          recordLine(x, d, out);
          alone.push(line(x, d));
        }
        expect(out.bytes.toString("utf8", 0, out.length)).toBe(alone.join(""));
        // The writer keeps a line that begins the next append by shifting it to the start.
        const from = starts[cut % starts.length]!;
        out.shift(from);
        expect(out.bytes.toString("utf8", 0, out.length)).toBe(alone.slice(cut % starts.length).join(""));
      }),
      { numRuns: 500 },
    );
  });

  it("give the time exactly as toISOString()", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 4.1e12, noNaN: true }), (t) => {
        const head = JSON.parse(`${recordHead(exchange(undefined, undefined, t))}}`);
        expect(head.time).toBe(new Date(t).toISOString());
      }),
      { numRuns: 5000 },
    );
  });
});
