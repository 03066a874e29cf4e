/**
 * What one captured request becomes: two JSON Lines records, one under `inputs/` and
 * one under `predictions/` (Azure ML v1's designations), sharing the request id, time,
 * service, models, status and latency. A JSON body is embedded as JSON (redacted
 * first); any other body as base64; a body over `maxBodyBytes` only as its size. Pure.
 */
import type { ModelRef } from "../contract/serviceConfig.js";
import { redact, type RedactionPlan } from "./redact.js";

/** A body as captured: its bytes (when within the limit), or only its size. */
export interface CapturedBody {
  contentType: string | undefined;
  /** Bytes the body had (all of them, also when truncated). */
  bytes: number;
  /** The body's chunks, or undefined when it was larger than the limit. */
  chunks: Buffer[] | undefined;
}

/** One captured exchange, as the writer receives it. */
export interface CapturedExchange {
  /** Wall-clock start, epoch milliseconds. */
  time: number;
  requestId: string;
  service: string;
  models: readonly ModelRef[];
  status: number;
  latencyMs: number;
  input: CapturedBody;
  output: CapturedBody;
  redaction: RedactionPlan;
  /** Capture-buffer bytes this exchange holds (released once written or dropped). */
  reserved: number;
}

export type Designation = "inputs" | "predictions";

/**
 * The JSON text of a body in a record. A JSON body without fields to redact is embedded
 * as the client sent it (parsed only to check it is JSON), not re-serialized: that is
 * most of capture's CPU otherwise. Line breaks in valid JSON can only be whitespace
 * between tokens (inside strings they are escaped), so they become spaces and the record
 * stays one line.
 */
export function bodyText(body: CapturedBody, redaction: RedactionPlan): string {
  const meta: Record<string, unknown> = { bytes: body.bytes };
  if (body.contentType) meta.contentType = body.contentType;
  if (!body.chunks) return JSON.stringify({ ...meta, truncated: true });
  if (body.bytes === 0) return JSON.stringify(meta);
  const data = body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks, body.bytes);
  const head = JSON.stringify(meta).slice(0, -1);
  if (body.contentType !== undefined && !/json/i.test(body.contentType))
    return `${head},"base64":${JSON.stringify(data.toString("base64"))}}`;
  const text = data.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${head},"base64":${JSON.stringify(data.toString("base64"))}}`;
  }
  if (redaction.length) {
    redact(value, redaction);
    return `${head},"json":${JSON.stringify(value)}}`;
  }
  return `${head},"json":${LINE_BREAK.test(text) ? text.replace(LINE_BREAKS, " ") : text}}`;
}

const LINE_BREAK = /[\r\n]/;
const LINE_BREAKS = /[\r\n]/g;

/** The record line (with its trailing newline) of one designation. */
export function recordLine(x: CapturedExchange, designation: Designation): string {
  const head = JSON.stringify({
    time: new Date(x.time).toISOString(),
    requestId: x.requestId,
    service: x.service,
    models: x.models,
    status: x.status,
    latencyMs: Math.round(x.latencyMs * 1000) / 1000,
  });
  const body = bodyText(designation === "inputs" ? x.input : x.output, x.redaction);
  return `${head.slice(0, -1)},"${designation === "inputs" ? "input" : "output"}":${body}}\n`;
}

/** A line too large for one append block: the same record with the body reduced to its size. */
export function oversizeLine(x: CapturedExchange, designation: Designation): string {
  const body = designation === "inputs" ? x.input : x.output;
  return recordLine(
    { ...x, [designation === "inputs" ? "input" : "output"]: { ...body, chunks: undefined } },
    designation,
  );
}
