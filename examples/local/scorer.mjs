#!/usr/bin/env node
// A tiny model server with the Azure ML inference server's HTTP contract, in plain
// Node with no dependencies, so the local router has something real to serve:
//   GET /              -> "Healthy" (liveness)
//   POST /score        -> {"data": [[...features], ...]} scored by the linear model in model.json
//   GET /swagger.json  -> an OpenAPI 2 description of /score
// Listens on 127.0.0.1 at --port <n> or $PORT (default 5001). SCORER_DELAY_MS adds a
// per-request delay to simulate a slower model (used to watch the autoscaler work);
// SCORER_FAIL_PERCENT answers that share of scoring requests 500, every n-th one, to
// simulate a broken model version (used to watch a rollout roll back).
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const portArg = process.argv.indexOf("--port");
const port = Number(portArg >= 0 ? process.argv[portArg + 1] : (process.env.PORT ?? 5001));
const modelPath = process.env.MODEL_PATH ?? join(here, "model.json");
const delayMs = Number(process.env.SCORER_DELAY_MS ?? 0);
const failPercent = Number(process.env.SCORER_FAIL_PERCENT ?? 0);
let failCredit = 0;
const model = JSON.parse(readFileSync(modelPath, "utf8"));
const MAX_BODY = 1024 * 1024;

function predict(rows) {
  return rows.map((row) => row.reduce((sum, x, i) => sum + x * model.weights[i], model.bias));
}

function validRows(data) {
  return (
    Array.isArray(data) &&
    data.every(
      (row) =>
        Array.isArray(row) &&
        row.length === model.weights.length &&
        row.every((x) => typeof x === "number" && Number.isFinite(x)),
    )
  );
}

let stopping = false;

function send(res, status, body, type = "application/json") {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const headers = { "content-type": type, "content-length": Buffer.byteLength(text) };
  // Stopping: close each connection after its answer, or an idle keep-alive one would hold the exit.
  if (stopping) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(text);
}

const swagger = {
  swagger: "2.0",
  info: { title: model.name, version: String(model.version), description: model.description },
  schemes: ["http"],
  consumes: ["application/json"],
  produces: ["application/json"],
  paths: {
    "/score": {
      post: {
        description: `Predicts one value per row; row = [${model.features.join(", ")}]`,
        parameters: [
          {
            name: "body",
            in: "body",
            required: true,
            schema: {
              type: "object",
              required: ["data"],
              properties: {
                data: {
                  type: "array",
                  items: {
                    type: "array",
                    items: { type: "number" },
                    minItems: model.features.length,
                    maxItems: model.features.length,
                  },
                },
              },
            },
          },
        ],
        responses: {
          200: { description: "predictions", schema: { type: "array", items: { type: "number" } } },
          400: { description: "bad input" },
        },
      },
    },
  },
};

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && path === "/") return send(res, 200, "Healthy", "text/plain");
  if (req.method === "GET" && path === "/swagger.json") return send(res, 200, swagger);
  if (path !== "/score") return send(res, 404, { error: `no route ${path}` });
  if (req.method !== "POST") return send(res, 405, { error: "use POST" });
  const chunks = [];
  let size = 0;
  req.on("data", (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      send(res, 413, { error: "body too large" });
      req.destroy();
    } else chunks.push(c);
  });
  req.on("end", () => {
    if (res.headersSent) return;
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(res, 400, { error: "body is not JSON" });
    }
    if (!validRows(body?.data))
      return send(res, 400, { error: `expected {"data": [[${model.features.join(", ")}], ...]} with numbers` });
    failCredit += failPercent;
    const fail = failCredit >= 100;
    if (fail) failCredit -= 100;
    const answer = () =>
      fail ? send(res, 500, { error: "simulated model failure" }) : send(res, 200, predict(body.data));
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});

server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1", () =>
  console.log(`scorer: ${model.name} listening on http://127.0.0.1:${port} (delay ${delayMs} ms)`),
);
// Graceful stop: finish what is in flight, then exit.
process.on("SIGTERM", () => {
  stopping = true;
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
