/**
 * How captures cross from the data path to their writer (router/capture/captureArena.ts,
 * writerLink.ts): arenas keep every field of every record; a real writer thread writes
 * them to a real folder, below the data path's priority, and gives each arena back once its records are written (the data
 * path packs into it again); a writer thread that ends unexpectedly gives its bytes back to
 * the budget, counts what it held as `writer_failed` and is replaced, after which
 * capture goes on; and a caller's own sink (no `destination`) is written from the data
 * path's thread with one worker, and refused at start with several.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArenaPacker,
  maxPackedSize,
  unpackArena,
  type CaptureProfile,
  type FinishedCapture,
  type PackedArena,
} from "../../router/capture/captureArena.js";
import { CaptureBudget } from "../../router/capture/captureBudget.js";
import { writerProfile } from "../../router/capture/captureRecord.js";
import type { CaptureCounters } from "../../router/capture/captureWriter.js";
import { describeDestination, type CaptureSink } from "../../router/capture/sinks.js";
import { WRITER_NICE } from "../../router/capture/threadPriority.js";
import { ThreadWriterLink } from "../../router/capture/writerLink.js";
import { workerObserverOptions } from "../../router/dataObservers.js";
import { createLogger } from "../../router/log.js";
import { until } from "./helpers/poll.js";
import { startTestRouter } from "./helpers/router.js";
import { startReplica, type TestReplica } from "./helpers/upstream.js";
import { scoreMany } from "./helpers/modelData.js";

const profile: CaptureProfile = { id: 7, service: "svc", models: [{ name: "m", version: 3 }], redactJsonFields: [] };

function capture(i: number, bodyBytes = 100): FinishedCapture {
  const input = Buffer.from(JSON.stringify({ i, pad: "x".repeat(bodyBytes) }));
  const x: FinishedCapture = {
    profile,
    time: Date.UTC(2026, 11, 1, 10, 0, 0) + i,
    requestId: `req-${i}`,
    status: 200,
    latencyMs: 1.5,
    input: { contentType: "application/json", bytes: input.length, chunks: [input] },
    output: { contentType: undefined, bytes: 2, chunks: [Buffer.from("ok")] },
    reserved: 0,
  };
  x.reserved = maxPackedSize(x);
  return x;
}

/** Counts as the data path's metrics would take them. */
function recordingCounters() {
  const written = new Map<string, number>();
  const dropped = new Map<string, number>();
  const counters: CaptureCounters = {
    written: (service, n) => written.set(service, (written.get(service) ?? 0) + n),
    dropped: (_service, reason, n) => dropped.set(reason, (dropped.get(reason) ?? 0) + n),
    storageError: () => {},
  };
  return { written, dropped, counters };
}

describe("capture arenas", () => {
  const chunk = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
  const body = fc.record({
    contentType: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    chunks: fc.option(fc.array(chunk, { maxLength: 4 }), { nil: undefined }),
    truncatedBytes: fc.nat(),
  });
  const finished = fc
    .record({
      time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      requestId: fc.string({ maxLength: 80 }),
      status: fc.integer({ min: 100, max: 599 }),
      latencyMs: fc.double({ min: 0, max: 1e6, noNaN: true }),
      input: body,
      output: body,
    })
    .map((r) => {
      const b = (x: typeof r.input) =>
        x.chunks
          ? { contentType: x.contentType, bytes: x.chunks.reduce((n, c) => n + c.length, 0), chunks: x.chunks }
          : { contentType: x.contentType, bytes: x.truncatedBytes, chunks: undefined };
      const f: FinishedCapture = { ...r, profile, input: b(r.input), output: b(r.output), reserved: 0 };
      f.reserved = maxPackedSize(f);
      return f;
    });

  it("keep every field of every record, in order, across arenas of any size", () => {
    fc.assert(
      fc.property(fc.array(finished, { maxLength: 30 }), fc.integer({ min: 1, max: 2048 }), (xs, arenaBytes) => {
        const arenas: PackedArena[] = [];
        const packer = new ArenaPacker(arenaBytes, (a) => arenas.push(a));
        for (const x of xs) packer.pack(x);
        packer.flush();
        const profiles = new Map([[profile.id, writerProfile(profile.service, profile.models, [])]]);
        const back = arenas.flatMap((a) => unpackArena(Buffer.from(a.buffer, 0, a.length), profiles).exchanges);
        expect(back).toHaveLength(xs.length);
        expect(arenas.reduce((n, a) => n + a.records, 0)).toBe(xs.length);
        back.forEach((y, k) => {
          const x = xs[k]!;
          expect(y.profile.service).toBe("svc");
          expect([y.time, y.requestId, y.status, y.latencyMs, y.reserved]).toEqual([
            x.time,
            x.requestId,
            x.status,
            x.latencyMs,
            x.reserved,
          ]);
          for (const side of ["input", "output"] as const) {
            expect(y[side].contentType).toBe(x[side].contentType);
            expect(y[side].bytes).toBe(x[side].bytes);
            const joined = (c: Buffer[] | undefined) => (c ? Buffer.concat(c).toString("hex") : undefined);
            expect(joined(y[side].chunks)).toBe(joined(x[side].chunks));
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it("skip a record of an unknown profile, reporting its bytes, and refuse a corrupt arena", () => {
    const arenas: PackedArena[] = [];
    const packer = new ArenaPacker(4096, (a) => arenas.push(a));
    packer.pack(capture(1));
    packer.flush();
    const arena = Buffer.from(arenas[0]!.buffer, 0, arenas[0]!.length);
    const { exchanges, unknownReserved } = unpackArena(arena, new Map());
    expect(exchanges).toEqual([]);
    expect(unknownReserved).toBe(capture(1).reserved);
    arena.writeUInt32LE(arena.length + 1, 0);
    expect(() => unpackArena(arena, new Map())).toThrow(/corrupt capture arena/);
  });
});

describe("a capture writer thread", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aksml-writer-thread-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Threads of this process at a nice value (field 19 of /proc/self/task/<tid>/stat, after the command). */
  function threadsAtNice(nice: number): number {
    return readdirSync("/proc/self/task").filter((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]) === nice;
    }).length;
  }

  function countLines(root: string): number {
    let n = 0;
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else n += readFileSync(p, "utf8").split("\n").filter(Boolean).length;
      }
    };
    if (existsSync(root)) walk(root);
    return n;
  }

  async function lines(root: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else out.push(...(await readFile(p, "utf8")).split("\n").filter(Boolean));
      }
    };
    await walk(root).catch(() => {});
    return out;
  }

  it("gives each arena back once all its records are written, and the data path packs into it again", async () => {
    const root = join(dir, "recycle");
    // A budget of 256 KiB makes 64 KiB batches: one 256 KiB arena's records take several, and
    // the arena must not go back before the last of them is written.
    const budget = new CaptureBudget(256 * 1024);
    const { written, counters } = recordingCounters();
    // Each arena handed over, with its size then (a transferred ArrayBuffer reads 0 bytes after).
    const handedOver: { buffer: ArrayBuffer; bytes: number }[] = [];
    const returned: { buffer: ArrayBuffer; linesThen: number }[] = [];
    let packer: ArenaPacker | undefined;
    const link = new ThreadWriterLink(
      { dir: root },
      {
        budget,
        settings: { instance: "r", flushIntervalMs: 20, maxBlobBytes: 1 << 26, backoffInitialMs: 50, backoffMaxMs: 50 },
        counters,
        log: createLogger("silent"),
        recycle: (buffer) => {
          returned.push({ buffer, linesThen: countLines(root) });
          packer!.recycle(buffer);
        },
      },
    );
    await link.ready();
    // The writer thread runs below the data path's priority (Linux: a nice value per thread).
    if (process.platform === "linux") expect(threadsAtNice(WRITER_NICE)).toBe(1);
    link.profile(profile);
    packer = new ArenaPacker(256 * 1024, (a) => {
      handedOver.push({ buffer: a.buffer, bytes: a.buffer.byteLength });
      link.handOver(a);
    });
    const send = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const x = capture(i, 1000);
        expect(budget.tryReserve(x.reserved)).toBe(true);
        packer!.pack(x);
      }
      packer!.flush();
    };
    try {
      send(0, 180);
      await until(() => returned.length === 1, "the arena given back");
      // Not before its records were written (two lines each).
      expect(returned[0]!.linesThen).toBe(360);
      // Every record whole: none was read from an arena gone back.
      const records = (await lines(root)).map((l) => JSON.parse(l));
      const ids = records.filter((r) => r.input).map((r) => r.input.json.i as number);
      expect(records.filter((r) => r.output?.base64 === Buffer.from("ok").toString("base64"))).toHaveLength(180);
      expect(new Set(ids)).toEqual(new Set(Array.from({ length: 180 }, (_, i) => i)));
      expect(handedOver[0]!.bytes).toBe(256 * 1024);
      expect(budget.bytes).toBe(0);
      send(180, 50);
      expect(handedOver[1]!.buffer === returned[0]!.buffer, "the arena given back packed into again").toBe(true);
      await until(() => written.get("svc") === 230, "the second arena written");
      // An arena of another size (a large record's own) is not kept.
      packer.recycle(new ArrayBuffer(1000));
      send(230, 1);
      expect(handedOver[2]!.bytes).toBe(256 * 1024);
    } finally {
      await link.close(Date.now() + 5000);
    }
    expect(await lines(root)).toHaveLength(462);
    expect(budget.bytes).toBe(0);
  });

  it("that ends gives its bytes back and counts its records as writer_failed; a new one carries on", async () => {
    const root = join(dir, "restart");
    const budget = new CaptureBudget(8 * 1024 * 1024);
    const { written, dropped, counters } = recordingCounters();
    const link = new ThreadWriterLink(
      { dir: root },
      {
        budget,
        // The writer holds what it is given until its (long) interval or its close.
        settings: {
          instance: "t",
          flushIntervalMs: 600_000,
          maxBlobBytes: 1 << 26,
          backoffInitialMs: 50,
          backoffMaxMs: 50,
        },
        counters,
        log: createLogger("silent"),
      },
    );
    await link.ready();
    link.profile(profile);
    const packer = new ArenaPacker(64 * 1024, (a) => link.handOver(a));
    const send = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const x = capture(i);
        expect(budget.tryReserve(x.reserved)).toBe(true);
        packer.pack(x);
      }
      packer.flush();
    };
    send(0, 200);
    expect(budget.bytes).toBeGreaterThan(200 * 100);

    const first = link.thread!;
    await first.terminate();
    await until(() => dropped.get("writer_failed") === 200, "the lost records counted");
    expect(budget.bytes).toBe(0);

    // Handed over while no thread runs (the restart waits 500 ms): dropped and given back at once.
    if (!link.thread) {
      send(1000, 5);
      expect(dropped.get("writer_failed")).toBe(205);
      expect(budget.bytes).toBe(0);
    }

    await until(() => link.thread !== undefined && link.thread !== first, "a new writer thread", 15_000);
    // The profile sent before the restart was given to the new thread too.
    send(2000, 10);
    await link.close(Date.now() + 5000);
    expect(written.get("svc")).toBe(10);
    const all = await lines(root);
    expect(all).toHaveLength(20);
    const ids = all.map((l) => JSON.parse(l).requestId as string);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: 10 }, (_, i) => `req-${2000 + i}`)));
    expect(budget.bytes).toBe(0);
  });
});

describe("a capture sink without a destination (the caller's own object)", () => {
  let replica: TestReplica;
  beforeAll(async () => {
    replica = await startReplica("echo");
  });
  afterAll(async () => {
    await replica.close();
  });

  const config = { auth: { mode: "none" }, collectModelData: true };
  function memorySink(): CaptureSink & { data: Buffer[] } {
    const data: Buffer[] = [];
    return {
      description: "memory",
      data,
      async append(_name, chunk) {
        data.push(Buffer.from(chunk));
      },
    };
  }

  it("is written from the data path's own thread with one worker", async () => {
    const sink = memorySink();
    const router = await startTestRouter([{ name: "svc", config, replicas: [replica.endpoint] }], {
      workers: 1,
      capture: { sink, podName: "p", flushIntervalMs: 50 },
    });
    try {
      const url = `${router.dataUrl}/api/v1/service/svc/score`;
      expect(new Set(await scoreMany(url, 50, 5, (i) => JSON.stringify({ i })))).toEqual(new Set([200]));
      await until(() => Buffer.concat(sink.data).toString().split("\n").filter(Boolean).length === 100, "100 lines");
    } finally {
      await router.stop();
    }
  });

  it("is refused at start with several workers, saying what to use instead", async () => {
    await expect(
      startTestRouter([{ name: "svc", config, replicas: [replica.endpoint] }], {
        workers: 2,
        capture: { sink: memorySink(), podName: "p" },
      }),
    ).rejects.toThrow(
      /cannot be rebuilt in a worker thread.*run one worker, or use a BlobCaptureSink or DirectoryCaptureSink/,
    );
  });
});

describe("a capture destination in the log", () => {
  it("names the container, never a connection string's key", () => {
    const key = "c2VjcmV0LWtleS1ub3QtZm9yLWxvZ3M=";
    expect(
      describeDestination({
        connectionString: `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`,
        container: "modeldata",
      }),
    ).toBe("https://acct.blob.core.windows.net/modeldata");
    const local = describeDestination({
      connectionString: `AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;`,
      container: "c",
    });
    expect(local).toBe("http://127.0.0.1:10000/devstoreaccount1/c");
    expect(local).not.toContain(key);
    expect(describeDestination({ dir: "/data" })).toBe("/data");
  });
});

describe("the pod's capture budget with workers", () => {
  it("is shared out: each worker gets its part (at least 1 MiB), so more workers never hold more", () => {
    const capture = { destination: { dir: "/d" }, podName: "p", bufferBytes: 64 * 1024 * 1024 };
    expect(workerObserverOptions(capture, undefined, 4).capture?.bufferBytes).toBe(16 * 1024 * 1024);
    expect(workerObserverOptions(capture, undefined, 1).capture?.bufferBytes).toBe(64 * 1024 * 1024);
    expect(workerObserverOptions({ ...capture, bufferBytes: 2 * 1024 * 1024 }, undefined, 8).capture?.bufferBytes).toBe(
      1024 * 1024,
    );
    // The default budget (64 MiB) too, and the destination of a sink that has one.
    const fromSink = workerObserverOptions(
      { sink: { description: "d", destination: { dir: "/x" }, append: async () => {} }, podName: "p" },
      undefined,
      2,
    ).capture;
    expect(fromSink).toMatchObject({ bufferBytes: 32 * 1024 * 1024, destination: { dir: "/x" } });
    expect(fromSink).not.toHaveProperty("sink");
  });
});
