/** Reading captured model data back from storage, and driving scoring load, for the capture tests. */
import { BlobServiceClient } from "@azure/storage-blob";
import { Agent, request } from "undici";

export interface CapturedLine {
  time: string;
  requestId: string;
  service: string;
  models: { name: string; version: number }[];
  status: number;
  latencyMs: number;
  input?: { bytes: number; contentType?: string; json?: unknown; base64?: string; truncated?: boolean };
  output?: { bytes: number; contentType?: string; json?: unknown; base64?: string; truncated?: boolean };
}

/** Every record line under `prefix` in the container, with the blob each came from. */
export async function readRecords(
  connectionString: string,
  container: string,
  prefix: string,
): Promise<{ blob: string; line: CapturedLine }[]> {
  const c = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  const out: { blob: string; line: CapturedLine }[] = [];
  for await (const b of c.listBlobsFlat({ prefix })) {
    const buf = await c.getBlobClient(b.name).downloadToBuffer();
    for (const text of buf.toString("utf8").split("\n")) if (text) out.push({ blob: b.name, line: JSON.parse(text) });
  }
  return out;
}

/** Sends `count` POSTs of `body(i)` to `url` with `concurrency` in flight; returns the status codes. */
export async function scoreMany(
  url: string,
  count: number,
  concurrency: number,
  body: (i: number) => string,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const agent = new Agent({ connections: concurrency, pipelining: 1 });
  const statuses: number[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const res = await request(url, {
        method: "POST",
        body: body(i),
        headers: { "content-type": "application/json", ...headers },
        dispatcher: agent,
      });
      await res.body.dump();
      statuses[i] = res.statusCode;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await agent.close();
  return statuses;
}
