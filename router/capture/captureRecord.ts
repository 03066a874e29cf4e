/**
 * What one captured request becomes: two JSON Lines records, one under `inputs/` and
 * one under `predictions/` (Azure ML v1's designations), sharing the request id, time,
 * service, models, status and latency. A JSON body is embedded as JSON (redacted
 * first); any other body as base64; a body over `maxBodyBytes` only as its size. Lines
 * are written into a LineBuffer (the writer's append buffer); nothing else is changed.
 */
import type { ModelRef } from "../contract/serviceConfig.js";
import { JSON_WITH_LINE_BREAKS, NOT_JSON, scanJson } from "./jsonScan.js";
import { redact, redactionPlan, type RedactionPlan } from "./redact.js";

/** A body as captured: its bytes (when within the limit), or only its size. */
export interface CapturedBody {
  contentType: string | undefined;
  /** Bytes the body had (all of them, also when truncated). */
  bytes: number;
  /** The body's chunks, or undefined when it was larger than the limit. */
  chunks: Buffer[] | undefined;
}

/** What the records of one service config share, prepared once by the writer. */
export interface WriterProfile {
  service: string;
  models: readonly ModelRef[];
  redaction: RedactionPlan;
  /** `"service":...,"models":[...]`, serialized once. */
  headFields: string;
  /** Hour folders by `hour * 2 + (predictions ? 1 : 0)` (blobLayout.ts), a few at a time. */
  hourKeys: Map<number, string>;
}

export function writerProfile(
  service: string,
  models: readonly ModelRef[],
  redactJsonFields: readonly string[],
): WriterProfile {
  const headFields = JSON.stringify({ service, models }).slice(1, -1);
  return { service, models, redaction: redactionPlan(redactJsonFields), headFields, hourKeys: new Map() };
}

/** One captured exchange, as the writer receives it. */
export interface CapturedExchange {
  /** Wall-clock start, epoch milliseconds. */
  time: number;
  requestId: string;
  profile: WriterProfile;
  status: number;
  latencyMs: number;
  input: CapturedBody;
  output: CapturedBody;
  /** Capture-buffer bytes this exchange holds (released once written or dropped). */
  reserved: number;
  /** The arena its bodies are views into, when it came in one (captureIntake.ts). */
  arena?: ArenaUse;
}

/** An arena on the writer side: free for reuse once none of its exchanges is left. */
export interface ArenaUse {
  readonly buffer: ArrayBuffer;
  left: number;
}

export type Designation = "inputs" | "predictions";

/**
 * Record lines written one after another straight into one growing buffer (the writer's
 * append buffer, reused): no Buffer per line part, and each part is copied once.
 */
export class LineBuffer {
  bytes: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** Appends `s` as UTF-8. */
  text(s: string): void {
    this.room(3 * s.length);
    this.length += this.bytes.write(s, this.length, "utf8");
  }

  /** Appends `s`, which is ASCII (one byte per character). */
  ascii(s: string): void {
    this.room(s.length);
    this.length += this.bytes.write(s, this.length, "latin1");
  }

  /** Appends a copy of `d`. */
  data(d: Uint8Array): void {
    this.room(d.length);
    this.bytes.set(d, this.length);
    this.length += d.length;
  }

  /** Keeps only the bytes from `from` on, moved to the start (a line that begins the next append). */
  shift(from: number): void {
    this.bytes.copyWithin(0, from, this.length);
    this.length -= from;
  }

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.bytes.length, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}

const JSON_TYPE = /json/i;

/**
 * The fields both records of an exchange share, as the start of a JSON object (no
 * closing brace): computed once per exchange (the writer writes it into both lines).
 */
export function recordHead(x: CapturedExchange): string {
  const time = isoTime(x.time);
  const latency = Math.round(x.latencyMs * 1000) / 1000;
  return `{"time":"${time}","requestId":${JSON.stringify(x.requestId)},${x.profile.headFields},"status":${x.status},"latencyMs":${latency}`;
}

/**
 * Appends the record line (with its trailing newline) of one designation to `out`. A JSON
 * body without fields to redact is copied in as the client sent it, only scanned to check
 * it is JSON (jsonScan.ts), never decoded or re-serialized: that was most of capture's
 * CPU. Line breaks in valid JSON can only be whitespace between tokens, so they become
 * spaces and the record stays one line.
 */
export function recordLine(
  x: CapturedExchange,
  designation: Designation,
  out: LineBuffer,
  head: string = recordHead(x),
): void {
  const body = designation === "inputs" ? x.input : x.output;
  out.text(head);
  out.ascii(`,"${designation === "inputs" ? "input" : "output"}":{"bytes":${body.bytes}`);
  if (body.contentType) out.text(`,"contentType":${JSON.stringify(body.contentType)}`);
  if (!body.chunks) out.ascii(`,"truncated":true}}\n`);
  else if (body.bytes === 0) out.ascii("}}\n");
  else bodyField(body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks, body.bytes), body, x, out);
}

/** The body's field (`json` or `base64`) and the line's end. */
function bodyField(data: Buffer, body: CapturedBody, x: CapturedExchange, out: LineBuffer): void {
  const scan = body.contentType !== undefined && !JSON_TYPE.test(body.contentType) ? NOT_JSON : scanJson(data);
  if (scan === NOT_JSON) out.ascii(`,"base64":"${data.toString("base64")}"}}\n`);
  else if (x.profile.redaction.length) {
    const value: unknown = JSON.parse(data.toString("utf8"));
    redact(value, x.profile.redaction);
    out.text(`,"json":${JSON.stringify(value)}}}\n`);
  } else {
    out.ascii(`,"json":`);
    const at = out.length;
    out.data(data);
    if (scan === JSON_WITH_LINE_BREAKS) spaced(out.bytes, at, out.length);
    out.ascii("}}\n");
  }
}

let isoSecond = Number.NaN;
let isoPrefix = "";
/** `toISOString()` of an epoch-millisecond time, its date and seconds formatted once per second. */
function isoTime(time: number): string {
  // Date truncates toward zero (TimeClip); so does this, before any arithmetic.
  const ms = Math.trunc(time) + 0;
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const iso = new Date(second * 1000).toISOString();
    if (iso.length !== 24) return new Date(ms).toISOString();
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
  }
  const frac = ms - second * 1000;
  return `${isoPrefix}${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}Z`;
}

/** Makes every CR and LF of `b` between `from` and `to` a space. */
function spaced(b: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) if (b[i] === 0x0a || b[i] === 0x0d) b[i] = 0x20;
}

/** Appends a line too large for one append block: the same record with the body reduced to its size. */
export function oversizeLine(
  x: CapturedExchange,
  designation: Designation,
  out: LineBuffer,
  head: string = recordHead(x),
): void {
  const body = designation === "inputs" ? x.input : x.output;
  recordLine(
    { ...x, [designation === "inputs" ? "input" : "output"]: { ...body, chunks: undefined } },
    designation,
    out,
    head,
  );
}
