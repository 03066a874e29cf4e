/**
 * `aksml score <service> --data '<json>' | --file F`: one scoring call with the right
 * credential (the primary key, or a token for a token-auth service), printing the
 * status, the latency and the body (Azure ML `service.run(input_data)`).
 */
import { readFileSync, statSync } from "node:fs";
import { MAX_REQUEST_BYTES } from "../../router/contract/serviceConfig.js";
import { Day2Error } from "../day2/target.js";
import { parseDuration, printJson, runDay2Command } from "../day2/commandLine.js";

/** Largest response body printed (the rest is cut, and said to be). */
const MAX_PRINTED_BODY_BYTES = 16 * 1024 * 1024;

function requestBody(values: Record<string, unknown>): Buffer {
  const data = values.data as string | undefined;
  const file = values.file as string | undefined;
  if ((data === undefined) === (file === undefined))
    throw new Day2Error("give --data '<json>' or --file FILE (one of them)", 2);
  if (data !== undefined) {
    try {
      JSON.parse(data);
    } catch (e) {
      throw new Day2Error(`--data is not valid JSON (${(e as Error).message}); use --file for other bodies`, 2);
    }
    return Buffer.from(data);
  }
  try {
    if (file !== "-" && statSync(file!).size > MAX_REQUEST_BYTES)
      throw new Day2Error(`${file} is larger than the router's ${MAX_REQUEST_BYTES / 1024 / 1024} MB request limit`, 2);
    return readFileSync(file === "-" ? 0 : file!);
  } catch (e) {
    if (e instanceof Day2Error) throw e;
    throw new Day2Error(`cannot read --file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 2);
  }
}

async function readBounded(res: Response): Promise<{ text: string; cut: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    if (size + chunk.byteLength > MAX_PRINTED_BODY_BYTES) {
      chunks.push(chunk.subarray(0, MAX_PRINTED_BODY_BYTES - size));
      await res.body?.cancel().catch(() => undefined);
      return { text: Buffer.concat(chunks).toString("utf8"), cut: true };
    }
    size += chunk.byteLength;
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString("utf8"), cut: false };
}

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "score",
    synopsis: "aksml score <service> --data '<json>' | --file FILE [options]",
    description:
      'Sends one scoring request with the service\'s credential (its primary key, or an access token for a\ntoken-auth service) and prints the status and latency (stderr) and the body (stdout); exits 0 on a\n2xx answer, 1 otherwise (Azure ML: service.run(input_data)).\n--json: {"status", "latencyMs", "requestId", "body"}.',
    options: {
      data: { type: "string", short: "d" },
      file: { type: "string" },
      key: { type: "string" },
      token: { type: "string" },
      "content-type": { type: "string" },
      timeout: { type: "string" },
    },
    optionsHelp: `options:
  -d, --data JSON          the request body (must be JSON)
      --file FILE          the request body from a file (- for stdin), sent as is
      --key primary|secondary   which key to use (default primary)
      --token TOKEN        use this access token instead of requesting one
      --content-type T     default application/json
      --timeout D          give up after D (default 65s; the router answers 504 after scoringTimeoutMs)`,
    service: "required",
    async run(ctx) {
      const body = requestBody(ctx.values);
      const slot = String(ctx.values.key ?? "primary");
      if (slot !== "primary" && slot !== "secondary")
        throw new Day2Error(`--key must be primary or secondary, got ${JSON.stringify(ctx.values.key)}`, 2);
      const timeoutMs = parseDuration(String(ctx.values.timeout ?? "65s"), "--timeout");
      const { scoringUri, authMode } = await ctx.target.scoringTarget(ctx.service!);
      let credential: string | undefined;
      if (ctx.values.token !== undefined) credential = String(ctx.values.token);
      else if (authMode === "key") {
        const keys = await ctx.target.keys(ctx.service!);
        credential = slot === "primary" ? keys.primaryKey : keys.secondaryKey;
      } else if (authMode === "token") credential = (await ctx.target.token(ctx.service!)).accessToken;
      const started = performance.now();
      let res: Response;
      try {
        res = await fetch(scoringUri, {
          method: "POST",
          headers: {
            "content-type": String(ctx.values["content-type"] ?? "application/json"),
            ...(credential ? { authorization: `Bearer ${credential}` } : {}),
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
        throw new Day2Error(
          `cannot reach ${scoringUri} (${cause}); check the router's address (--endpoint) and your network`,
        );
      }
      const { text, cut } = await readBounded(res);
      const latencyMs = Math.round(performance.now() - started);
      const requestId = res.headers.get("x-ms-request-id") ?? undefined;
      if (ctx.json) {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: the text as is
        }
        printJson(ctx, { status: res.status, latencyMs, requestId, body: parsed, ...(cut ? { truncated: true } : {}) });
      } else {
        ctx.err(
          `HTTP ${res.status} ${res.statusText} in ${latencyMs} ms${requestId ? ` (request id ${requestId})` : ""}`,
        );
        const challenge = res.headers.get("www-authenticate");
        if (challenge && res.status === 401) ctx.err(`WWW-Authenticate: ${challenge}`);
        ctx.out(text + (cut ? `\n[body cut at ${MAX_PRINTED_BODY_BYTES} bytes]` : ""));
      }
      return res.ok ? 0 : 1;
    },
  });
}
