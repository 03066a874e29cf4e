/**
 * How finished captures cross from a data-path thread to its writer: packed one after
 * another into an arena (one ArrayBuffer of 16 to 256 KiB, or one record's size), which is handed
 * over whole (transferred to a writer thread, not copied). The data path thus does only
 * byte copies and integer writes per request and keeps no object alive after the
 * exchange; parsing, redaction, JSON Lines and storage all happen on the writer side.
 *
 * A record names its service's capture profile (service, models, redaction paths) by id;
 * profiles are sent once, before the first arena that uses them.
 *
 * Record layout, little-endian: u32 size, u32 profile, u32 status, u32 reserved,
 * f64 time, f64 latencyMs, f64 input bytes, f64 output bytes, u8 flags, then requestId,
 * the input and output content types (each u32 length + UTF-8, a type only when its flag
 * is set), then the input and output data (each u32 length + bytes, only when kept).
 */
import type { ModelRef } from "../contract/serviceConfig.js";
import type { CapturedBody, CapturedExchange, WriterProfile } from "./captureRecord.js";

/**
 * Size of an arena for a budget: a sixteenth of it, 16 to 256 KiB, so records waiting in
 * an arena never hold much of the budget; a larger record gets an arena of its own.
 */
export function arenaBytesFor(capacityBytes: number): number {
  return Math.min(256 * 1024, Math.max(16 * 1024, Math.floor(capacityBytes / 16)));
}

/** What a service's records share, sent to the writer once per profile id. */
export interface CaptureProfile {
  readonly id: number;
  readonly service: string;
  readonly models: readonly ModelRef[];
  readonly redactJsonFields: readonly string[];
}

/** A finished capture as the data path packs it. */
export interface FinishedCapture {
  profile: CaptureProfile;
  /** Wall-clock start, epoch milliseconds. */
  time: number;
  requestId: string;
  status: number;
  latencyMs: number;
  input: CapturedBody;
  output: CapturedBody;
  /** Capture-budget bytes this capture holds (released by the writer once written or dropped). */
  reserved: number;
}

/** An arena ready to hand over. */
export interface PackedArena {
  /** The arena's own ArrayBuffer (transferable): records fill its first `length` bytes. */
  buffer: ArrayBuffer;
  length: number;
  records: number;
  /** Budget bytes its records hold. */
  reserved: number;
  /** Records per service, for counting drops should the arena never be written. */
  services: Map<string, number>;
}

const HEAD = 49;
const KEPT_INPUT = 1;
const KEPT_OUTPUT = 2;
const TYPED_INPUT = 4;
const TYPED_OUTPUT = 8;

/** Bytes a record takes at most (strings counted at UTF-8's worst, 3 bytes per UTF-16 unit). */
export function maxPackedSize(x: FinishedCapture): number {
  return (
    HEAD +
    20 +
    3 * (x.requestId.length + (x.input.contentType?.length ?? 0) + (x.output.contentType?.length ?? 0)) +
    (x.input.chunks ? x.input.bytes : 0) +
    (x.output.chunks ? x.output.bytes : 0)
  );
}

/** Arenas a data-path thread keeps for reuse (outside the budget, like the one being packed). */
const MAX_SPARE_ARENAS = 4;

/**
 * Packs finished captures into arenas and hands each over when full (or on `flush`).
 * Arenas the writer is done with come back (`recycle`) and are packed into again: a fresh
 * one is memory the kernel has to page in on first touch, a fault per 4 KiB that measured
 * 4-6 us on a VM.
 */
export class ArenaPacker {
  private buf: Buffer | undefined;
  private readonly spare: Buffer[] = [];
  private at = 0;
  private records = 0;
  private reserved = 0;
  private services = new Map<string, number>();

  constructor(
    private readonly arenaBytes: number,
    private readonly handOver: (a: PackedArena) => void,
  ) {}

  /** Packs `x` (its `reserved` must cover {@link maxPackedSize}); may hand over the arena before it. */
  pack(x: FinishedCapture): void {
    const size = maxPackedSize(x);
    if (this.buf && this.at + size > this.buf.length) this.flush();
    // Not Node's pool: the arena's ArrayBuffer is its own, so it can be transferred.
    this.buf ??=
      (size <= this.arenaBytes && this.spare.pop()) || Buffer.allocUnsafeSlow(Math.max(this.arenaBytes, size));
    this.at = writeRecord(this.buf, this.at, x);
    this.records++;
    this.reserved += x.reserved;
    const service = x.profile.service;
    this.services.set(service, (this.services.get(service) ?? 0) + 1);
  }

  /** Takes back an arena for reuse (one of another size, or beyond the few kept, is left to the GC). */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === this.arenaBytes && this.spare.length < MAX_SPARE_ARENAS)
      this.spare.push(Buffer.from(buffer));
  }

  /** Hands over what is packed, if anything. */
  flush(): void {
    if (!this.buf || this.records === 0) return;
    const a: PackedArena = {
      buffer: this.buf.buffer as ArrayBuffer,
      length: this.at,
      records: this.records,
      reserved: this.reserved,
      services: this.services,
    };
    this.buf = undefined;
    this.at = this.records = this.reserved = 0;
    this.services = new Map();
    this.handOver(a);
  }
}

function writeRecord(b: Buffer, start: number, x: FinishedCapture): number {
  const { input, output } = x;
  let flags = 0;
  if (input.chunks) flags |= KEPT_INPUT;
  if (output.chunks) flags |= KEPT_OUTPUT;
  if (input.contentType !== undefined) flags |= TYPED_INPUT;
  if (output.contentType !== undefined) flags |= TYPED_OUTPUT;
  b.writeUInt32LE(x.profile.id, start + 4);
  b.writeUInt32LE(x.status, start + 8);
  b.writeUInt32LE(x.reserved, start + 12);
  b.writeDoubleLE(x.time, start + 16);
  b.writeDoubleLE(x.latencyMs, start + 24);
  b.writeDoubleLE(input.bytes, start + 32);
  b.writeDoubleLE(output.bytes, start + 40);
  b[start + 48] = flags;
  let at = writeString(b, start + HEAD, x.requestId);
  if (input.contentType !== undefined) at = writeString(b, at, input.contentType);
  if (output.contentType !== undefined) at = writeString(b, at, output.contentType);
  if (input.chunks) at = writeChunks(b, at, input.chunks);
  if (output.chunks) at = writeChunks(b, at, output.chunks);
  b.writeUInt32LE(at - start, start);
  return at;
}

function writeString(b: Buffer, at: number, s: string): number {
  const n = b.write(s, at + 4, "utf8");
  b.writeUInt32LE(n, at);
  return at + 4 + n;
}

function writeChunks(b: Buffer, at: number, chunks: readonly Buffer[]): number {
  let p = at + 4;
  for (const c of chunks) p += c.copy(b, p);
  b.writeUInt32LE(p - at - 4, at);
  return p;
}

/** Records of an arena whose profile is unknown to the writer (never expected: counted, not thrown). */
export interface UnpackResult {
  exchanges: CapturedExchange[];
  /** Budget bytes of records skipped for an unknown profile. */
  unknownReserved: number;
}

/**
 * The captured exchanges of an arena; their bodies are views into it (not copied). A
 * record naming an unknown profile is skipped and its bytes reported, so they are released.
 */
export function unpackArena(arena: Buffer, profiles: ReadonlyMap<number, WriterProfile>): UnpackResult {
  const exchanges: CapturedExchange[] = [];
  let unknownReserved = 0;
  let start = 0;
  while (start + HEAD <= arena.length) {
    const size = arena.readUInt32LE(start);
    if (size < HEAD || start + size > arena.length) throw new RangeError(`corrupt capture arena at byte ${start}`);
    const reserved = arena.readUInt32LE(start + 12);
    const profile = profiles.get(arena.readUInt32LE(start + 4));
    if (!profile) {
      unknownReserved += reserved;
      start += size;
      continue;
    }
    const flags = arena[start + 48]!;
    const cursor = { at: start + HEAD };
    const requestId = readString(arena, cursor);
    const inputType = flags & TYPED_INPUT ? readString(arena, cursor) : undefined;
    const outputType = flags & TYPED_OUTPUT ? readString(arena, cursor) : undefined;
    const inputData = flags & KEPT_INPUT ? readData(arena, cursor) : undefined;
    const outputData = flags & KEPT_OUTPUT ? readData(arena, cursor) : undefined;
    exchanges.push({
      time: arena.readDoubleLE(start + 16),
      requestId,
      profile,
      status: arena.readUInt32LE(start + 8),
      latencyMs: arena.readDoubleLE(start + 24),
      input: { contentType: inputType, bytes: arena.readDoubleLE(start + 32), chunks: inputData && [inputData] },
      output: { contentType: outputType, bytes: arena.readDoubleLE(start + 40), chunks: outputData && [outputData] },
      reserved,
    });
    start += size;
  }
  return { exchanges, unknownReserved };
}

function readString(b: Buffer, cursor: { at: number }): string {
  const n = b.readUInt32LE(cursor.at);
  const s = b.toString("utf8", cursor.at + 4, cursor.at + 4 + n);
  cursor.at += 4 + n;
  return s;
}

function readData(b: Buffer, cursor: { at: number }): Buffer {
  const n = b.readUInt32LE(cursor.at);
  const data = b.subarray(cursor.at + 4, cursor.at + 4 + n);
  cursor.at += 4 + n;
  return data;
}
