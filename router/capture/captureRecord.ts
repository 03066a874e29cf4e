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

/** The JSON of a body in a record. */
export function bodyJson(body: CapturedBody, redaction: RedactionPlan): Record<string, unknown> {
  const out: Record<string, unknown> = { bytes: body.bytes };
  if (body.contentType) out.contentType = body.contentType;
  if (!body.chunks) {
    out.truncated = true;
    return out;
  }
  if (body.bytes === 0) return out;
  const data = body.chunks.length === 1 ? body.chunks[0]! : Buffer.concat(body.chunks, body.bytes);
  const json = parseJson(body.contentType, data);
  if (json.ok) {
    if (redaction.length) redact(json.value, redaction);
    out.json = json.value;
  } else out.base64 = data.toString("base64");
  return out;
}

/** Whether a body is JSON: declared so (or undeclared) and parsing. */
function parseJson(contentType: string | undefined, data: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (contentType !== undefined && !/json/i.test(contentType)) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(data.toString("utf8")) };
  } catch {
    return { ok: false };
  }
}

/** The record line (with its trailing newline) of one designation. */
export function recordLine(x: CapturedExchange, designation: Designation): string {
  const record = {
    time: new Date(x.time).toISOString(),
    requestId: x.requestId,
    service: x.service,
    models: x.models,
    status: x.status,
    latencyMs: Math.round(x.latencyMs * 1000) / 1000,
    [designation === "inputs" ? "input" : "output"]: bodyJson(
      designation === "inputs" ? x.input : x.output,
      x.redaction,
    ),
  };
  return `${JSON.stringify(record)}\n`;
}

/** A line too large for one append block: the same record with the body reduced to its size. */
export function oversizeLine(x: CapturedExchange, designation: Designation): string {
  const body = designation === "inputs" ? x.input : x.output;
  return recordLine(
    { ...x, [designation === "inputs" ? "input" : "output"]: { ...body, chunks: undefined } },
    designation,
  );
}
