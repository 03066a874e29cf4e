/** What the data path of a model service request needs from the data-path worker around it (dataPlane.ts). */
import type { Agent } from "undici";
import type { ServiceRegistry } from "./registry.js";
import type { DataMetrics } from "./dataMetrics.js";
import type { AccessLog, Logger } from "./log.js";
import type { WriteStallWatch } from "./writeStalls.js";
import type { ExchangeObservers } from "./exchangeObserver.js";
import type { MirrorSender } from "./endpoints/mirror.js";
import type { Deadlines } from "./deadlines.js";

export interface ProxyContext {
  registry: ServiceRegistry;
  metrics: DataMetrics;
  log: Logger;
  /** One line per request (log.ts). */
  accessLog: AccessLog;
  agent: Agent;
  maxRequestBytes: number;
  /** True once shutdown began: responses then carry `Connection: close`. */
  draining(): boolean;
  /** The worker's request deadlines (the small body's 408, the scoring timeout's 504), on one timer. */
  deadlines: Deadlines;
  /** Aborts responses the client takes nothing of for too long. */
  writeStalls: WriteStallWatch;
  /** Model data capture and telemetry; consulted per exchange only when the router has either. */
  observers?: ExchangeObservers;
  /** Sends endpoints' mirrored copies; absent: no request is mirrored. */
  mirrors?: MirrorSender;
}

export type ServiceAction = "score" | "swagger";
