/**
 * Where the day-2 commands act: a deployed platform through the Kubernetes API
 * (kubernetes/kubernetesTarget.ts) or `aksml local` through its admin API
 * (local/localTarget.ts). Every command is written once against this interface.
 */
import type {
  AccessTokenReport,
  EndpointsReport,
  KeySlot,
  LogLineReport,
  RegenKeyReport,
  ScoringTarget,
  ServiceKeysReport,
  ServiceStateReport,
  ServiceSummary,
} from "./model.js";

/** A failure the user can act on: one line saying what is wrong and what to do. Nothing was changed. */
export class Day2Error extends Error {
  constructor(
    message: string,
    /** 1: the operation failed; 2: the command line was wrong. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = "Day2Error";
  }
}

export interface LogsRequest {
  /** Last lines per replica; all kept lines when undefined. */
  tail?: number;
  follow: boolean;
  /** One replica (pod name, or `local-2`); every replica when undefined. */
  replica?: string;
  /** The router's own logs instead of the model containers'. */
  router: boolean;
  /** The init container's (model download) instead of the model container's; cluster only. */
  init: boolean;
}

export interface Day2Target {
  /** What is being talked to, for messages: `cluster context "prod"`, `aksml local at http://127.0.0.1:9091`. */
  readonly description: string;
  list(): Promise<ServiceSummary[]>;
  state(service: string): Promise<ServiceStateReport>;
  keys(service: string): Promise<ServiceKeysReport>;
  regenKey(service: string, slot: KeySlot, value?: string): Promise<RegenKeyReport>;
  token(service: string): Promise<AccessTokenReport>;
  /** Calls `onLine` per line; resolves when the logs end (never with follow, until `signal` aborts). */
  logs(
    service: string | undefined,
    request: LogsRequest,
    onLine: (line: LogLineReport) => void,
    signal: AbortSignal,
  ): Promise<void>;
  scoringTarget(service: string): Promise<ScoringTarget>;
  /** Every endpoint with its versions, live split and rollout (`aksml endpoints`). */
  endpoints(): Promise<EndpointsReport>;
}
