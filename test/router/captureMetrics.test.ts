/**
 * Capture's drop accounting: every drop counted in Prometheus by service and reason, and one
 * warning line per interval naming what was dropped since the last one (none when nothing
 * was). A real prom-client registry and the router's real logger into a buffer.
 */
import { Writable } from "node:stream";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { CaptureMetrics } from "../../router/capture/captureMetrics.js";
import { createLogger } from "../../router/log.js";

function logged() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, log: createLogger("info", sink) };
}

describe("capture drop accounting", () => {
  it("counts drops by service and reason and logs them once per interval", async () => {
    const registry = new Registry();
    const { lines, log } = logged();
    // A long interval: the test calls logDrops itself, as the timer would.
    const m = new CaptureMetrics(registry, () => 0, log, 3_600_000);
    m.dropped("a", "buffer_full", 3);
    m.dropped("a", "buffer_full");
    m.dropped("b", "shutdown", 2);
    const counter = await registry.getSingleMetric("aksml_router_capture_dropped_total")!.get();
    const value = (service: string, reason: string) =>
      counter.values.find((v) => v.labels.service === service && v.labels.reason === reason)?.value;
    expect(value("a", "buffer_full")).toBe(4);
    expect(value("b", "shutdown")).toBe(2);

    m.logDrops();
    await new Promise((r) => setImmediate(r));
    const warnings = () => lines.filter((l) => l.msg === "model data capture dropped records");
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]!.dropped).toEqual([
      { service: "a", reason: "buffer_full", n: 4 },
      { service: "b", reason: "shutdown", n: 2 },
    ]);
    // Nothing new: no line. New drops: a line with only those.
    m.logDrops();
    m.dropped("b", "storage");
    m.stop();
    await new Promise((r) => setImmediate(r));
    expect(warnings()).toHaveLength(2);
    expect(warnings()[1]!.dropped).toEqual([{ service: "b", reason: "storage", n: 1 }]);
  });
});
