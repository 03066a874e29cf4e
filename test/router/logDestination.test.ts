/**
 * The router's stdout log destination (router/logDestination.ts) on real descriptors: a
 * file (lines in order, written in batches, flushed on request and at exit) and a FIFO
 * nobody reads (a stuck log reader: memory stays bounded, the dropped lines are counted
 * once the reader is back).
 */
import { afterEach, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchedDestination } from "../../router/logDestination.js";
import { until } from "./helpers/poll.js";

const dirs: string[] = [];
const fds: number[] = [];
afterEach(() => {
  for (const fd of fds.splice(0)) closeSync(fd);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "aksml-log-"));
  dirs.push(d);
  return d;
}

const line = (i: number) => `${JSON.stringify({ i, msg: "request" })}\n`;

describe("BatchedDestination", () => {
  it("writes every line in order, in batches, and flush(cb) calls back once they are out", async () => {
    const file = join(tempDir(), "out.log");
    const fd = openSync(file, "w");
    fds.push(fd);
    const d = new BatchedDestination(fd, { batchChars: 1024, flushMs: 10_000 });
    for (let i = 0; i < 1000; i++) d.write(line(i));
    await new Promise<void>((resolve) => d.flush(resolve));
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(1000);
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    d.end();
  });

  it("writes a lone line within flushMs, without a flush", async () => {
    const file = join(tempDir(), "out.log");
    const fd = openSync(file, "w");
    fds.push(fd);
    const d = new BatchedDestination(fd, { flushMs: 20 });
    d.write(line(1));
    await until(() => readFileSync(file, "utf8") === line(1), "the line written by the timer");
    d.end();
  });

  it("writes what it holds when the process exits", () => {
    const file = join(tempDir(), "out.log");
    const module = new URL("../../router/logDestination.ts", import.meta.url).href;
    const script = `import { openSync } from "node:fs"; import { BatchedDestination } from ${JSON.stringify(module)};
      const d = new BatchedDestination(openSync(${JSON.stringify(file)}, "w"), { flushMs: 60000 });
      d.write("a\\n"); d.write("b\\n"); process.exit(0);`;
    execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
    expect(readFileSync(file, "utf8")).toBe("a\nb\n");
  });

  it("keeps at most maxHeldChars while the reader is stuck, and says how many lines it dropped", async () => {
    const fifo = join(tempDir(), "fifo");
    execFileSync("mkfifo", [fifo]);
    // Read-write and non-blocking: once the pipe is full, writes fail with EAGAIN, as a stuck reader makes them.
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    fds.push(fd);
    const d = new BatchedDestination(fd, { batchChars: 4096, flushMs: 5, maxHeldChars: 64 * 1024 });
    const big = `${"x".repeat(999)}\n`;
    // In one go (no write can complete meanwhile): one batch goes out, 64 KiB are held, the rest is dropped.
    for (let i = 0; i < 400; i++) d.write(big);
    expect((d as unknown as { chars: number }).chars).toBeLessThanOrEqual(64 * 1024);
    // The reader comes back.
    const rfd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    fds.push(rfd);
    const buf = Buffer.alloc(64 * 1024);
    let got = "";
    await until(() => {
      for (;;) {
        let n = 0;
        try {
          n = readSync(rfd, buf);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EAGAIN") break;
          throw e;
        }
        if (n <= 0) break;
        got += buf.toString("utf8", 0, n);
      }
      return got.includes("log lines dropped");
    }, "the dropped-lines note once the reader reads");
    const lines = got.trim().split("\n");
    const note = JSON.parse(lines.at(-1)!) as { level: string; dropped: number };
    expect(note.level).toBe("warn");
    expect(note.dropped).toBeGreaterThan(0);
    expect(lines.slice(0, -1).every((l) => l === big.trim())).toBe(true);
    expect(lines.length - 1 + note.dropped).toBe(400);
    d.end();
  });
});
