#!/usr/bin/env bash
# Router benchmark: direct vs nginx vs the aksml router, same loopback upstream.
#   npm run bench:router            (BENCH_SECONDS=10 BENCH_RPS=5000 by default)
# Needs nginx and wrk (apt-get install -y nginx wrk). Writes bench/router/out/results.json
# and prints a summary. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/bench/router/out
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
RPS=${BENCH_RPS:-5000}
CONNS=${BENCH_CONNECTIONS:-32}
KEY=bench-key-0123456789abcdef
RATE_CONNS=50
UP_PORT=18081 NGINX_PORT=18082 ROUTER_PORT=18083 ROUTER_ADMIN=18093 SINK_PORT=18084 STREAM_PORT=18085 STREAM_ADMIN=18095 MINIMAL_PORT=18086
export PATH=/opt/node22/package/bin:$PATH

for tool in nginx wrk node curl; do command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nginx wrk curl)"; exit 1; }; done
for port in $UP_PORT $NGINX_PORT $ROUTER_PORT $ROUTER_ADMIN $SINK_PORT $STREAM_PORT $STREAM_ADMIN $MINIMAL_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use (a previous run still going?)"; exit 1; fi
done
rm -rf "$OUT" && mkdir -p "$OUT"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for conf in upstream proxy; do [ -f "$OUT/$conf.pid" ] && kill "$(cat "$OUT/$conf.pid")" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "== building the router (tsc -> router/dist)"
npx tsc -p router/tsconfig.build.json

nginx_conf() { # name port body-of-server
  cat >"$OUT/$1.conf" <<CONF
worker_processes 1;
daemon on;
pid $OUT/$1.pid;
error_log $OUT/$1.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $OUT/$1-body;
  proxy_temp_path $OUT/$1-proxy;
  fastcgi_temp_path $OUT/$1-fastcgi;
  uwsgi_temp_path $OUT/$1-uwsgi;
  scgi_temp_path $OUT/$1-scgi;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  $3
}
CONF
  nginx -c "$OUT/$1.conf" -p "$OUT"
}

echo "== starting the upstream scorer (nginx, 1 worker, fixed JSON answer) on :$UP_PORT"
nginx_conf upstream $UP_PORT "server { listen 127.0.0.1:$UP_PORT; location = /score { default_type application/json; return 200 '{\"result\":[0.42]}'; } location / { return 200 'Healthy'; } }"
echo "== starting nginx as the proxy (1 worker, keepalive upstream, client_max_body_size 100m) on :$NGINX_PORT"
nginx_conf proxy $NGINX_PORT "upstream scorer { server 127.0.0.1:$UP_PORT; keepalive 64; }
  server { listen 127.0.0.1:$NGINX_PORT; client_max_body_size 100m;
    location = /api/v1/service/bench/score { proxy_pass http://scorer/score; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"

echo "== starting the router (1 process, key auth, info logs to /dev/null) on :$ROUTER_PORT"
BENCH_KEY=$KEY BENCH_DATA_PORT=$ROUTER_PORT BENCH_ADMIN_PORT=$ROUTER_ADMIN \
  BENCH_SERVICES="[{\"name\":\"bench\",\"url\":\"http://127.0.0.1:$UP_PORT\",\"auth\":\"key\"}]" \
  node bench/router/routerProcess.mjs >/dev/null 2>"$OUT/router.err" &
ROUTER_PID=$!
PIDS+=($ROUTER_PID)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$ROUTER_ADMIN/readyz" >/dev/null && break; sleep 0.1; done
echo "== starting a minimal undici proxy (calibration: no auth/queue/metrics/logs) on :$MINIMAL_PORT"
PORT=$MINIMAL_PORT UPSTREAM=http://127.0.0.1:$UP_PORT node bench/router/minimalProxy.mjs &
MINIMAL_PID=$!
PIDS+=($MINIMAL_PID)
sleep 0.5

DIRECT=http://127.0.0.1:$UP_PORT/score
NGINX=http://127.0.0.1:$NGINX_PORT/api/v1/service/bench/score
ROUTER=http://127.0.0.1:$ROUTER_PORT/api/v1/service/bench/score
AUTH="Bearer $KEY"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: $AUTH" -d '{}' "$ROUTER")" = 200 ] || { echo "router smoke test failed"; cat "$OUT/router.err"; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "$ROUTER")" = 401 ] || { echo "router accepted a request without a key"; exit 1; }

# CPU time the proxy process spent per request (utime+stime from /proc, in clock ticks):
# unlike requests/s, it barely depends on how much CPU other tenants leave us.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
throughput() { # label url auth [pid whose CPU to charge]
  BENCH_AUTH="$3" wrk -t1 -c"$CONNS" -d2s -s bench/router/post.lua "$2" >/dev/null # warm-up
  local before=0
  [ -n "${4:-}" ] && before=$(cpu_ticks "$4")
  BENCH_AUTH="$3" wrk -t1 -c"$CONNS" -d"${SECONDS_PER_RUN}s" -s bench/router/post.lua "$2" | tee "$OUT/wrk-$1.txt" >&2
  local requests
  requests=$(awk '/requests in/ {print $1}' "$OUT/wrk-$1.txt")
  if [ -n "${4:-}" ]; then
    echo "$(( ($(cpu_ticks "$4") - before) * 1000000 / $(getconf CLK_TCK) / requests ))" >"$OUT/cpu-$1.txt"
  fi
  awk '/Requests\/sec/ {print $2}' "$OUT/wrk-$1.txt"
}
NGINX_WORKER=$(pgrep -P "$(cat "$OUT/proxy.pid")" | head -1)
echo "== throughput at c=$CONNS (wrk -t1, ${SECONDS_PER_RUN}s each)"
T_DIRECT=$(throughput direct "$DIRECT" "")
T_NGINX=$(throughput nginx "$NGINX" "" "$NGINX_WORKER")
T_ROUTER=$(throughput router "$ROUTER" "$AUTH" "$ROUTER_PID")
T_MINIMAL=$(throughput minimal "http://127.0.0.1:$MINIMAL_PORT/score" "" "$MINIMAL_PID")

# wrk2 (-R) is not packaged in Debian: pace plain wrk with a delay() hook instead:
# RATE_CONNS connections, each sending one request every INTERVAL ms.
INTERVAL=$(( RATE_CONNS * 1000 / RPS ))
echo "== latency at ~${RPS} rps (wrk, $RATE_CONNS connections x 1 request / ${INTERVAL} ms, ${SECONDS_PER_RUN}s each)"
rate() { # label url auth
  BENCH_AUTH="$3" BENCH_INTERVAL_MS=$INTERVAL wrk -t1 -c$RATE_CONNS -d2s -s bench/router/post.lua "$2" >/dev/null # warm-up
  BENCH_AUTH="$3" BENCH_INTERVAL_MS=$INTERVAL wrk -t1 -c$RATE_CONNS -d"${SECONDS_PER_RUN}s" --latency -s bench/router/post.lua "$2" | tee "$OUT/rate-$1.txt" >&2
}
rate direct "$DIRECT" ""
rate nginx "$NGINX" ""
rate router "$ROUTER" "$AUTH"

echo "== peak RSS of a fresh router while streaming a 100 MB - 1 byte body"
PORT=$SINK_PORT node bench/router/sink.mjs &
PIDS+=($!)
BENCH_KEY=$KEY BENCH_DATA_PORT=$STREAM_PORT BENCH_ADMIN_PORT=$STREAM_ADMIN \
  BENCH_SERVICES="[{\"name\":\"sink\",\"url\":\"http://127.0.0.1:$SINK_PORT\",\"auth\":\"key\"}]" \
  node bench/router/routerProcess.mjs >/dev/null 2>"$OUT/stream-router.err" &
STREAM_PID=$!
PIDS+=($STREAM_PID)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$STREAM_ADMIN/readyz" >/dev/null && break; sleep 0.1; done
head -c $((104857600 - 1)) /dev/urandom >"$OUT/body.bin"
for _ in 1 2 3; do curl -s -o /dev/null -X POST -H "Authorization: $AUTH" -d '{}' "http://127.0.0.1:$STREAM_PORT/api/v1/service/sink/score"; done
sleep 0.5
RSS_BEFORE_KB=$(awk '/VmRSS/ {print $2}' /proc/$STREAM_PID/status)
STREAM_RESULT=$(curl -s -X POST -T "$OUT/body.bin" -H "Authorization: $AUTH" -H "Content-Type: application/octet-stream" "http://127.0.0.1:$STREAM_PORT/api/v1/service/sink/score")
RSS_PEAK_KB=$(awk '/VmHWM/ {print $2}' /proc/$STREAM_PID/status)
echo "upstream saw: $STREAM_RESULT; RSS before ${RSS_BEFORE_KB} kB, peak ${RSS_PEAK_KB} kB"
rm -f "$OUT/body.bin"

node - "$OUT" "$T_DIRECT" "$T_NGINX" "$T_ROUTER" "$T_MINIMAL" "$RSS_BEFORE_KB" "$RSS_PEAK_KB" "$STREAM_RESULT" "$(cat /proc/loadavg)" <<'JS'
const fs = require("node:fs");
const [out, tDirect, tNginx, tRouter, tMinimal, rssBefore, rssPeak, stream, loadavg] = process.argv.slice(2);
/** Parses wrk --latency output: percentiles in ms and the achieved rate. */
const rate = (n) => {
  const text = fs.readFileSync(`${out}/rate-${n}.txt`, "utf8");
  const ms = (v, unit) => +v * { us: 0.001, ms: 1, s: 1000 }[unit];
  const pct = (p) => {
    const m = text.match(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`));
    return m ? +ms(m[1], m[2]).toFixed(3) : NaN;
  };
  return { achievedRps: +text.match(/Requests\/sec:\s+([\d.]+)/)[1], p50Ms: pct(50), p90Ms: pct(90), p99Ms: pct(99), non2xx: +(text.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0) };
};
const [d, n, r] = ["direct", "nginx", "router"].map(rate);
const res = {
  loadAverageAtEnd: loadavg,
  throughputRps: { direct: +tDirect, nginx: +tNginx, router: +tRouter, minimalNodeProxy: +tMinimal, routerOverNginx: +(tRouter / tNginx).toFixed(2), routerOverMinimalNodeProxy: +(tRouter / tMinimal).toFixed(2) },
  cpuMicrosecondsPerRequest: Object.fromEntries(["nginx", "router", "minimal"].map((k) => [k === "minimal" ? "minimalNodeProxy" : k, +fs.readFileSync(`${out}/cpu-${k}.txt`, "utf8")])),
  fixedRate: { direct: d, nginx: n, router: r },
  addedLatencyMs: {
    router: { p50: +(r.p50Ms - d.p50Ms).toFixed(3), p99: +(r.p99Ms - d.p99Ms).toFixed(3) },
    nginx: { p50: +(n.p50Ms - d.p50Ms).toFixed(3), p99: +(n.p99Ms - d.p99Ms).toFixed(3) },
  },
  streaming: { upstream: JSON.parse(stream || "{}"), rssBeforeMB: +(rssBefore / 1024).toFixed(1), rssPeakMB: +(rssPeak / 1024).toFixed(1), rssGrowthMB: +((rssPeak - rssBefore) / 1024).toFixed(1) },
};
fs.writeFileSync(`${out}/results.json`, JSON.stringify(res, null, 2));
console.log(JSON.stringify(res, null, 2));
JS
