/** Compact one-line rendering of an input value for the tree and picture labels. */
const MAX_VALUE_CHARS = 80;

export function formatValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = value;
  else if (Array.isArray(value)) text = value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ");
  else text = JSON.stringify(value);
  text = text.replace(/\s+/g, " ");
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
