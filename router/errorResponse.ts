/**
 * The router's own error answers: a JSON body naming the status, the reason and the
 * request id. Once the head is out (a replica answered), the only signal left is to
 * abort the connection.
 */
import type { ServerResponse } from "node:http";

export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  requestId: string,
  extra?: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: status, message, requestId } });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-ms-request-id": requestId,
    ...extra,
  });
  res.end(body);
}
