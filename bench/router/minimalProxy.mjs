// Calibration only: the smallest possible undici-based Node proxy (no auth, queue,
// metrics or logs). Its throughput on the same machine is the ceiling any Node proxy
// could reach here, which separates the router's own cost from the runtime's.
import { createServer } from "node:http";
import { pipeline } from "node:stream";
import { Agent } from "../../router/node_modules/undici/index.js";

const upstream = process.env.UPSTREAM ?? "http://127.0.0.1:18081";
const agent = new Agent({ keepAliveTimeout: 30_000 });
createServer(async (req, res) => {
  try {
    const up = await agent.request({
      origin: upstream,
      path: "/score",
      method: "POST",
      headers: { "content-type": "application/json", "content-length": req.headers["content-length"] },
      body: req,
    });
    res.writeHead(up.statusCode, up.headers);
    pipeline(up.body, res, () => {});
  } catch {
    res.writeHead(502).end();
  }
}).listen(Number(process.env.PORT ?? 18086), "127.0.0.1");
