/**
 * How the Pulumi SDK marks a serialized secret: `{ [SECRET_SIG]: SECRET_VALUE_SIG, value }`.
 * Kept apart from the runtime harness so redaction does not load the Pulumi SDK.
 */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretMarker(value: unknown): value is { value: unknown } {
  return (
    value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE_SIG
  );
}

/** Replaces every serialized secret with its value (what the provider would receive). */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  if (isSecretMarker(value)) return unwrapSecrets(value.value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
}
