// A replica that reads a request body to the end and answers with its size (streaming benchmark).
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 18084);
createServer((req, res) => {
  let bytes = 0;
  req.on("data", (c) => (bytes += c.length));
  req.on("end", () => res.end(JSON.stringify({ bytes })));
}).listen(port, "127.0.0.1");
