/**
 * ModelWebservice's model data collection (`collect_model_data`, done by the router) and
 * Application Insights (`enable_app_insights`) settings: the args' defaults and rules
 * (the contract's ranges, router/contract/serviceConfigSchema.ts), and what the model
 * container is given so the Azure ML inference server's own telemetry goes to the same
 * resource.
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  DATA_COLLECTION_SETTINGS,
  MAX_REDACT_FIELDS,
  redactPathProblem,
  SAMPLE_RATE_RANGE,
  SERVICE_CONFIG_DEFAULTS,
  type DataCollectionConfig,
} from "../../router/contract/serviceConfig.js";
import { isUnknown, known } from "../shared/inputs.js";
import type { AddProblem } from "../shared/problems.js";
import { describeIntegerRange, integerRangeProblem } from "../../router/contract/serviceConfig.js";

/**
 * How the router captures this service's requests and responses when `collectModelData`
 * is on (Azure ML v2's data collector has the same knobs; v1 had none). Records land in
 * the cluster's `modeldata` container as `<service>/<model>/<version>/inputs|predictions/<yyyy>/<mm>/<dd>/<HH>/*.jsonl`.
 */
export interface DataCollectionArgs {
  /** Share of requests captured, 0 to 1. @default 1 */
  readonly sampleRate?: pulumi.Input<number>;
  /**
   * Largest request or response body recorded, in bytes (0-2097152); a larger body is
   * recorded as truncated, with its size only. @default 1048576 (1 MiB)
   */
  readonly maxBodyBytes?: pulumi.Input<number>;
  /**
   * JSON paths blanked (`"[redacted]"`) before a record leaves the router: dot-separated
   * keys, `*` for any key or array element, optionally after `$.` (e.g. `customer.ssn`,
   * `data.*.email`); at most 32, each at most 256 characters. @default []
   */
  readonly redactJsonFields?: pulumi.Input<pulumi.Input<string>[]>;
}

export const DATA_COLLECTION_DEFAULTS = SERVICE_CONFIG_DEFAULTS.dataCollection;

export function resolveDataCollection(a: pulumi.Unwrap<DataCollectionArgs> | undefined): DataCollectionConfig {
  return {
    sampleRate: a?.sampleRate ?? DATA_COLLECTION_DEFAULTS.sampleRate,
    maxBodyBytes: a?.maxBodyBytes ?? DATA_COLLECTION_DEFAULTS.maxBodyBytes,
    redactJsonFields: [...(a?.redactJsonFields ?? DATA_COLLECTION_DEFAULTS.redactJsonFields)],
  };
}

export function dataCollectionProblems(a: DataCollectionArgs | undefined, add: AddProblem): void {
  const rate = known(a?.sampleRate);
  if (
    rate !== undefined &&
    !(typeof rate === "number" && rate >= SAMPLE_RATE_RANGE.min && rate <= SAMPLE_RATE_RANGE.max)
  )
    add("dataCollection.sampleRate", `must be a number from 0 to 1 (the share of requests captured), got ${rate}`);
  const max = known(a?.maxBodyBytes);
  if (max !== undefined && integerRangeProblem(DATA_COLLECTION_SETTINGS.maxBodyBytes, max) !== undefined)
    add(
      "dataCollection.maxBodyBytes",
      `must be ${describeIntegerRange(DATA_COLLECTION_SETTINGS.maxBodyBytes)} (bytes), got ${max}`,
    );
  const paths = known(a?.redactJsonFields);
  if (!Array.isArray(paths)) return;
  if (paths.length > MAX_REDACT_FIELDS)
    add("dataCollection.redactJsonFields", `must have at most ${MAX_REDACT_FIELDS} entries, got ${paths.length}`);
  paths.forEach((p, i) => {
    if (isUnknown(p) || typeof p !== "string") return;
    const problem = redactPathProblem(p);
    if (problem) add(`dataCollection.redactJsonFields[${i}]`, problem);
  });
}

/** The Azure ML inference server's switch and key variables, and the connection string variable. */
export const INFERENCE_SERVER_APP_INSIGHTS_ENV = {
  enabled: "AML_APP_INSIGHTS_ENABLED",
  key: "AML_APP_INSIGHTS_KEY",
  connectionString: "APPLICATIONINSIGHTS_CONNECTION_STRING",
} as const;

/**
 * What `AML_APP_INSIGHTS_KEY` must hold so the inference server reaches the connection
 * string's endpoint: the server builds `InstrumentationKey=<AML_APP_INSIGHTS_KEY>` itself
 * (azureml_inference_server_http/server/appinsights_client.py), so it gets the connection
 * string with its `InstrumentationKey=` part first and that prefix removed. A bare key
 * (the deprecated `appInsightsKey`) is passed as it is (key-only ingestion, retired by Microsoft).
 */
export function inferenceServerKey(connectionStringOrKey: string): string {
  const parts = connectionStringOrKey
    .split(";")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const keyAt = parts.findIndex((p) => /^instrumentationkey=/i.test(p));
  if (keyAt < 0) return connectionStringOrKey.trim();
  const key = parts[keyAt]!.slice(parts[keyAt]!.indexOf("=") + 1);
  return [key, ...parts.filter((_, i) => i !== keyAt)].join(";");
}

/** The full connection string: as given, or `InstrumentationKey=<key>` for a bare key. */
export function connectionStringOf(connectionStringOrKey: string): string {
  return /(^|;)\s*instrumentationkey=/i.test(connectionStringOrKey)
    ? connectionStringOrKey.trim()
    : `InstrumentationKey=${connectionStringOrKey.trim()}`;
}
