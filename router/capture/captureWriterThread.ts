/**
 * A capture writer thread: one per data-path thread that captures, so record building
 * (JSON validation, redaction, JSON Lines) and storage calls use another core and never
 * lengthen a data-path turn; it runs at a lower priority than the data path
 * (threadPriority.ts), so on a busy CPU scoring goes first. It builds its own sink from
 * the destination, shares the data path's budget (a SharedArrayBuffer), gives arenas back
 * once written, and reports counts and warnings back as messages; the data path's metrics
 * and logger own them (writerLink.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { CaptureBudget } from "./captureBudget.js";
import { CaptureIntake } from "./captureIntake.js";
import { sinkFor } from "./sinks.js";
import { lowerThreadPriority, WRITER_NICE } from "./threadPriority.js";
import type { LinkMessage, WriterMessage, WriterThreadData } from "./writerProtocol.js";

const port = parentPort;
if (!port) throw new Error("captureWriterThread.ts runs as a worker thread (see writerLink.ts)");
const data = workerData as WriterThreadData;
lowerThreadPriority(WRITER_NICE);
const send = (m: WriterMessage) => port.postMessage(m);

const sink = sinkFor(data.destination);
if (!sink) throw new Error("capture writer thread started without a destination");
const intake = new CaptureIntake(
  sink,
  new CaptureBudget(data.capacityBytes, data.budget),
  data.settings,
  {
    written: (service, n) => send({ t: "written", service, n }),
    dropped: (service, reason, n) => send({ t: "dropped", service, reason, n }),
    storageError: () => send({ t: "storageError" }),
  },
  { warn: (obj, msg) => send({ t: "warn", obj, msg }) },
  (buffer) => port.postMessage({ t: "spare", buffer } satisfies WriterMessage, [buffer]),
);

port.on("message", (m: LinkMessage) => {
  switch (m.t) {
    case "profile":
      intake.profile(m.profile);
      break;
    case "reset":
      intake.resetProfiles();
      break;
    case "arena":
      intake.arena(Buffer.from(m.buffer, 0, m.length));
      break;
    case "close":
      intake.close(m.deadlineMs).then(() => send({ t: "closed" }));
      break;
  }
});
send({ t: "ready" });
