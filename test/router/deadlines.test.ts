/**
 * The worker's request deadlines on one shared timer (router/deadlines.ts), with Node's
 * real timers: each deadline passes on time whatever else is armed (other durations,
 * cancelled ones, re-armed ones, ones a holder arms as its own passes), and a cancelled
 * one never passes. End to end, the 408 of a small body and the 504 of the scoring
 * timeout that ride on it are the router's own tests (dataPathReview, errors, slowClients,
 * workers).
 */
import { afterEach, describe, expect, it } from "vitest";
import { performance } from "node:perf_hooks";
import { Deadline, Deadlines, type DeadlineHolder } from "../../router/deadlines.js";
import { until } from "./helpers/poll.js";

/** Records when (performance.now()) its deadline passed. */
class Recorder implements DeadlineHolder {
  passedAt: number | undefined;
  times = 0;
  readonly deadline = new Deadline(this);

  constructor(private readonly onPass?: () => void) {}

  deadlineReached(): void {
    this.passedAt = performance.now();
    this.times++;
    this.onPass?.();
  }
}

let deadlines: Deadlines;
afterEach(() => deadlines?.stop());

describe("Deadlines", () => {
  it("passes a deadline no earlier than its time, and not long after", async () => {
    deadlines = new Deadlines();
    const r = new Recorder();
    const from = performance.now();
    deadlines.arm(r.deadline, 50, from);
    expect(r.deadline.armed).toBe(true);
    await until(() => r.passedAt !== undefined, "the deadline passed");
    expect(r.passedAt! - from).toBeGreaterThanOrEqual(50);
    expect(r.passedAt! - from).toBeLessThan(1_000);
    expect(r.times).toBe(1);
    expect(r.deadline.armed).toBe(false);
    expect(deadlines.size()).toBe(0);
  });

  it("never passes a cancelled deadline", async () => {
    deadlines = new Deadlines();
    const cancelled = new Recorder();
    const later = new Recorder();
    deadlines.arm(cancelled.deadline, 20);
    deadlines.arm(later.deadline, 80);
    deadlines.cancel(cancelled.deadline);
    deadlines.cancel(cancelled.deadline); // twice is harmless
    await until(() => later.passedAt !== undefined, "the later deadline passed");
    expect(cancelled.times).toBe(0);
  });

  it("moves a re-armed deadline: it passes once, at its new time", async () => {
    deadlines = new Deadlines();
    const r = new Recorder();
    const first = performance.now();
    deadlines.arm(r.deadline, 40, first);
    deadlines.arm(r.deadline, 40, first + 100);
    expect(deadlines.size()).toBe(1);
    await until(() => r.passedAt !== undefined, "the re-armed deadline passed");
    expect(r.passedAt! - first).toBeGreaterThanOrEqual(140);
    expect(r.times).toBe(1);
  });

  it("passes a short deadline armed after a long one on time (one timer for all durations)", async () => {
    deadlines = new Deadlines();
    const long = new Recorder();
    const short = new Recorder();
    deadlines.arm(long.deadline, 60_000);
    const from = performance.now();
    deadlines.arm(short.deadline, 30, from);
    await until(() => short.passedAt !== undefined, "the short deadline passed");
    expect(short.passedAt! - from).toBeLessThan(1_000);
    expect(long.times).toBe(0);
    expect(deadlines.size()).toBe(1);
  });

  it("keeps one duration's deadlines in order when armed from older readings", async () => {
    deadlines = new Deadlines();
    const now = performance.now();
    const order: string[] = [];
    const a = new Recorder(() => order.push("a"));
    const b = new Recorder(() => order.push("b"));
    const c = new Recorder(() => order.push("c"));
    deadlines.arm(b.deadline, 30, now + 20);
    deadlines.arm(c.deadline, 30, now + 40);
    deadlines.arm(a.deadline, 30, now); // an older reading: goes before b
    await until(() => order.length === 3, "all three passed");
    expect(order).toEqual(["a", "b", "c"]);
    expect(a.passedAt! - now).toBeGreaterThanOrEqual(30);
    expect(c.passedAt! - now).toBeGreaterThanOrEqual(70);
  });

  it("passes a deadline a holder arms when its own passes", async () => {
    deadlines = new Deadlines();
    const chained = new Recorder();
    const armsAnother = new Recorder(() => deadlines.arm(chained.deadline, 20));
    deadlines.arm(armsAnother.deadline, 30);
    await until(() => chained.passedAt !== undefined, "the chained deadline passed");
    expect(armsAnother.times).toBe(1);
    expect(chained.passedAt!).toBeGreaterThanOrEqual(armsAnother.passedAt! + 20);
  });

  it("holds nothing once every deadline passed or was cancelled, and stop() disarms all", () => {
    deadlines = new Deadlines();
    const rs = Array.from({ length: 100 }, () => new Recorder());
    for (const [i, r] of rs.entries()) deadlines.arm(r.deadline, 1_000 + (i % 3) * 1_000);
    expect(deadlines.size()).toBe(100);
    for (const r of rs.slice(0, 50)) deadlines.cancel(r.deadline);
    expect(deadlines.size()).toBe(50);
    deadlines.stop();
    expect(deadlines.size()).toBe(0);
    expect(rs.every((r) => !r.deadline.armed)).toBe(true);
  });
});
