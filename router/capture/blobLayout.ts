/**
 * Where captured records land, in Azure ML v1's model data layout where it applies
 * (`modeldata/<service>/<model>/<version>/<designation>/<yyyy>/<mm>/<dd>/...`; v1's
 * subscription/resource group/workspace prefix has no counterpart here). Each writer
 * (one per router pod and data-listener thread) names its own blobs, so two writers
 * never append to the same one. Pure.
 */
import type { ModelRef } from "../contract/serviceConfig.js";
import type { Designation } from "./captureRecord.js";

/** The path segment pair of a service without models: its own name, version 0. */
export function modelFolder(service: string, models: readonly ModelRef[]): string {
  const m = models[0];
  return m ? `${m.name}/${m.version}` : `${service}/0`;
}

/**
 * The hour folder a record belongs to, `<service>/<model>/<version>/<designation>/<yyyy>/<mm>/<dd>/<HH>`
 * (UTC); the writer appends `<instance>-<n>.jsonl` for its own blob of that hour.
 */
export function hourKey(service: string, models: readonly ModelRef[], designation: Designation, time: number): string {
  const d = new Date(time);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${service}/${modelFolder(service, models)}/${designation}/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}`;
}

/** The blob (or file) name of a writer's `seq`-th blob of an hour. */
export function blobName(hour: string, instance: string, seq: number): string {
  return `${hour}/${instance}-${seq}.jsonl`;
}
