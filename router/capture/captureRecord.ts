/**
 * What one captured request becomes: two JSON Lines records, one under `inputs/` and
 * one under `predictions/` (Azure ML v1's designations), sharing the request id, time,
 * service, models, status and latency. A JSON body is embedded as JSON (redacted
 * first); any other body as base64; a body over `maxBodyBytes` only as its size. Pure.
 */
import type { ModelRef } from "../contract/serviceConfig.js";
import { JSON_ONE_LINE, NOT_JSON, scanJson } from "./jsonScan.js";
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
}

export type Designation = "inputs" | "predictions";

/** One record line as byte parts (concatenated when appended), with its length in bytes. */
export interface LineBytes {
  parts: Buffer[];
  length: number;
}

const JSON_TYPE = /json/i;
const CLOSE = Buffer.from("}}\n");

/**
 * The fields both records of an exchange share, as the start of a JSON object (no
 * closing brace): computed and encoded once per exchange (the writer passes its bytes to
 * both lines).
 */
export function recordHead(x: CapturedExchange): string {
  const time = isoTime(x.time);
  const latency = Math.round(x.latencyMs * 1000) / 1000;
  return `{"time":"${time}","requestId":${JSON.stringify(x.requestId)},${x.profile.headFields},"status":${x.status},"latencyMs":${latency}`;
}

/**
 * The record line (with its trailing newline) of one designation. A JSON body without
 * fields to redact is embedded as the client sent it, only scanned to check it is JSON
 * (jsonScan.ts), never decoded or re-serialized: that was most of capture's CPU. Line
 * breaks in valid JSON can only be whitespace between tokens, so they become spaces and
 * the record stays one line.
 */
export function recordLine(
  x: CapturedExchange,
  designation: Designation,
  head: Buffer = Buffer.from(recordHead(x)),
): LineBytes {
  const body = designation === "inputs" ? x.input : x.output;
  let meta = `,"${designation === "inputs" ? "input" : "output"}":{"bytes":${body.bytes}`;
  if (body.contentType) meta += `,"contentType":${JSON.stringify(body.contentType)}`;
  if (!body.chunks) return line(head, `${meta},"truncated":true}}\n`);
  if (body.bytes === 0) return line(head, `${meta}}}\n`);
  const data = body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks, body.bytes);
  const scan = body.contentType !== undefined && !JSON_TYPE.test(body.contentType) ? NOT_JSON : scanJson(data);
  if (scan === NOT_JSON) return line(head, `${meta},"base64":"${data.toString("base64")}"}}\n`);
  if (x.profile.redaction.length) {
    const value: unknown = JSON.parse(data.toString("utf8"));
    redact(value, x.profile.redaction);
    return line(head, `${meta},"json":${JSON.stringify(value)}}}\n`);
  }
  const start = Buffer.from(`${meta},"json":`);
  const json = scan === JSON_ONE_LINE ? data : spaced(data);
  return { parts: [head, start, json, CLOSE], length: head.length + start.length + json.length + CLOSE.length };
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

/** The shared head (encoded once per exchange) and the rest of a line. */
function line(head: Buffer, rest: string): LineBytes {
  const b = Buffer.from(rest);
  return { parts: [head, b], length: head.length + b.length };
}

/** A copy of `data` with every CR and LF made a space. */
function spaced(data: Buffer): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (out[i] === 0x0a || out[i] === 0x0d) out[i] = 0x20;
  return out;
}

/** A line too large for one append block: the same record with the body reduced to its size. */
export function oversizeLine(
  x: CapturedExchange,
  designation: Designation,
  head: Buffer = Buffer.from(recordHead(x)),
): LineBytes {
  const body = designation === "inputs" ? x.input : x.output;
  return recordLine(
    { ...x, [designation === "inputs" ? "input" : "output"]: { ...body, chunks: undefined } },
    designation,
    head,
  );
}
