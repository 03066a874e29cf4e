/**
 * The ACME HTTP-01 port. With a leaf domain certificate from cert-manager, Let's
 * Encrypt proves that the router's public name is ours by fetching
 * `http://<name>/.well-known/acme-challenge/<token>` on port 80. The router owns that
 * public IP, so its plain-HTTP port answers exactly that path, by asking cert-manager's
 * solver pod (reached through a fixed Service in the router namespace that selects the
 * solver pods) and relaying the solver's answer. Everything else on this port gets 404:
 * scoring is only ever served over HTTPS.
 *
 * The port faces the internet, so every resource a client can hold is bounded: one
 * GET/HEAD without a body per request, token and host shapes checked before anything is
 * forwarded, a fixed number of forwards in flight, a timeout on the solver, a cap on the
 * relayed answer, short socket timeouts and a connection limit on the listener. Only the
 * Host header is forwarded (the solver compares it with the domain it proves); no other
 * client header reaches the solver.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Agent, request } from "undici";
import type { Logger } from "./log.js";

/** The path prefix of HTTP-01 challenges (RFC 8555 section 8.3). */
export const ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/";

/** The bounds of the ACME port; exported so tests and docs use the same numbers. */
export const ACME_PORT_LIMITS = {
  /** Tokens are base64url (RFC 8555: at least 128 bits, 43 characters from Let's Encrypt). */
  maxTokenLength: 256,
  /** Forwards to the solver in flight at once; more get 503 at once. */
  maxConcurrentForwards: 16,
  /** The solver's whole answer must arrive within this. */
  solverTimeoutMs: 5_000,
  /** A key authorization is the token, a dot and a 43-character thumbprint; anything longer is not one. */
  maxAnswerBytes: 4_096,
  /** Socket bounds of the listener (a client holding a socket open without a request). */
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
} as const;

const TOKEN = /^[A-Za-z0-9_-]+$/;
/** A DNS name or an IP literal, with an optional port (what a Host header holds). */
const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$/;
/** Failures are logged at most this often: anyone on the internet can cause them. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

export interface AcmeChallengeServer {
  server: Server;
  /** Stops forwarding: closes the listener's sockets and the connections to the solver. */
  close(): Promise<void>;
}

/** Whether the request announces a body (a challenge request never has one). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
}

function reply(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    // A body is never read: closing the connection spares draining it.
    ...(hasBody(res.req) ? { connection: "close" } : {}),
    ...extra,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/**
 * Checks the solver URL: `http://host[:port]` with nothing after it (the path is the
 * challenge's own). Returns the problem, or undefined when it is usable.
 */
export function acmeSolverUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  if (u.protocol !== "http:") return `${JSON.stringify(url)} must be an http:// URL (the solver serves plain HTTP)`;
  if (u.pathname !== "/" || u.search || u.hash || u.username || u.password)
    return `${JSON.stringify(url)} must be only a scheme, host and port, e.g. http://azureml-fe-acme-solver.azureml.svc:8089`;
  return undefined;
}

/** The request handler of the ACME port, forwarding challenges to `solverUrl`. */
export function acmeChallengeHandler(
  solverUrl: string,
  log: Logger,
  agent: Agent,
): (req: IncomingMessage, res: ServerResponse) => void {
  const problem = acmeSolverUrlProblem(solverUrl);
  if (problem) throw new Error(`ACME solver URL: ${problem}`);
  const solver = new URL(solverUrl);
  let inFlight = 0;
  let lastFailureLog = 0;
  const failed = (fields: object, msg: string) => {
    const now = Date.now();
    if (now - lastFailureLog < FAILURE_LOG_INTERVAL_MS) return;
    lastFailureLog = now;
    log.warn(fields, msg);
  };

  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    if (!path.startsWith(ACME_CHALLENGE_PATH))
      return reply(res, 404, "This port only answers ACME HTTP-01 challenges; the API is served over HTTPS.\n");
    const token = path.slice(ACME_CHALLENGE_PATH.length);
    if (token.length === 0 || token.length > ACME_PORT_LIMITS.maxTokenLength || !TOKEN.test(token))
      return reply(res, 404, "not an ACME challenge token\n");
    if (req.method !== "GET" && req.method !== "HEAD")
      return reply(res, 405, "GET or HEAD only\n", { allow: "GET, HEAD" });
    if (hasBody(req)) return reply(res, 400, "a challenge request has no body\n");
    const host = req.headers.host ?? "";
    if (!HOST.test(host)) return reply(res, 400, "missing or malformed Host header\n");
    if (inFlight >= ACME_PORT_LIMITS.maxConcurrentForwards)
      return reply(res, 503, "too many challenge requests at once; retry\n", { "retry-after": "1" });

    inFlight++;
    forward(token, host)
      .then(({ status, body }) => {
        if (status === 200) {
          log.info({ token: token.slice(0, 8), host }, "answered an ACME HTTP-01 challenge");
          reply(res, 200, body);
        } else if (status === 404) reply(res, 404, "no such ACME challenge\n");
        else {
          failed({ status, host }, "ACME challenge solver answered with an unexpected status");
          reply(res, 502, "the ACME challenge solver failed\n");
        }
      })
      .catch((e: Error) => {
        failed({ err: e.message, host, solver: solver.host }, "ACME challenge solver did not answer");
        reply(res, 502, "the ACME challenge solver did not answer\n");
      })
      .finally(() => inFlight--);
  };

  async function forward(token: string, host: string): Promise<{ status: number; body: string }> {
    const answer = await request(new URL(`${ACME_CHALLENGE_PATH}${token}`, solver), {
      method: "GET",
      headers: { host },
      dispatcher: agent,
      signal: AbortSignal.timeout(ACME_PORT_LIMITS.solverTimeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer.body) {
      size += (chunk as Buffer).length;
      if (size > ACME_PORT_LIMITS.maxAnswerBytes) {
        answer.body.destroy();
        throw new Error(`the solver's answer exceeds ${ACME_PORT_LIMITS.maxAnswerBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return { status: answer.statusCode, body: Buffer.concat(chunks).toString("utf8") };
  }
}

/** The ACME port's listener (not listening yet), with its own connection pool to the solver. */
export function createAcmeChallengeServer(solverUrl: string, log: Logger): AcmeChallengeServer {
  const agent = new Agent({
    connections: ACME_PORT_LIMITS.maxConcurrentForwards,
    keepAliveTimeout: 1_000,
    connect: { timeout: 2_000 },
    headersTimeout: ACME_PORT_LIMITS.solverTimeoutMs,
    bodyTimeout: ACME_PORT_LIMITS.solverTimeoutMs,
  });
  const server = createServer(
    {
      headersTimeout: ACME_PORT_LIMITS.headersTimeoutMs,
      requestTimeout: ACME_PORT_LIMITS.requestTimeoutMs,
      maxHeaderSize: 8_192,
      // How often the two timeouts above are enforced (Node's default is every 30 s).
      connectionsCheckingInterval: 1_000,
    },
    acmeChallengeHandler(solverUrl, log, agent),
  );
  server.keepAliveTimeout = ACME_PORT_LIMITS.keepAliveTimeoutMs;
  server.maxConnections = ACME_PORT_LIMITS.maxConnections;
  return {
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.close();
    },
  };
}
