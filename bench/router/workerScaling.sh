#!/usr/bin/env bash
# Router throughput by worker count: does one router pod use the cores it is given?
#   bash bench/router/workerScaling.sh
# For a machine with spare cores: the router is pinned to BENCH_ROUTER_CPUS and the load
# (wrk, the upstream nginx) to BENCH_LOAD_CPUS, so they never compete; every worker count of
# BENCH_WORKERS_SWEEP is measured in turn, BENCH_ROUNDS times interleaved.
# Knobs (environment): BENCH_WORKERS_SWEEP ("1 2 4"), BENCH_ROUTER_CPUS (e.g. "4-7"; unset: no
# pinning), BENCH_LOAD_CPUS (e.g. "0-3"), BENCH_WRK_THREADS (2), BENCH_CONNECTIONS (128),
# BENCH_UPSTREAM_WORKERS (2), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_ROUNDS (1).
# Prints, per worker count: req/s, CPU µs per request (the router process, all threads) and the
# throughput relative to 1 worker; writes bench/router/out-scaling/results.tsv. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/bench/router/out-scaling
SWEEP=${BENCH_WORKERS_SWEEP:-1 2 4}
ROUTER_CPUS=${BENCH_ROUTER_CPUS:-}
LOAD_CPUS=${BENCH_LOAD_CPUS:-}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-128}
UP_WORKERS=${BENCH_UPSTREAM_WORKERS:-2}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-2}
ROUNDS=${BENCH_ROUNDS:-1}
KEY=bench-key-0123456789abcdef
UP_PORT=18381 DATA_PORT=18383 ADMIN_PORT=18393

for tool in nginx wrk curl; do command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nginx wrk curl)" >&2; exit 1; }; done
pin() { # cpu-list command...: runs the command pinned when a list is given
  local cpus=$1
  shift
  if [ -n "$cpus" ]; then taskset -c "$cpus" "$@"; else "$@"; fi
}
pin_exec() { # the same in place of the calling (background) shell, so $! is the command's pid
  local cpus=$1
  shift
  if [ -n "$cpus" ]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi
}
rm -rf "$OUT" && mkdir -p "$OUT"
ROUTER_PID=""
cleanup() {
  [ -n "$ROUTER_PID" ] && kill "$ROUTER_PID" 2>/dev/null || true
  [ -f "$OUT/upstream.pid" ] && kill "$(cat "$OUT/upstream.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== building the router (tsc -> router/dist)"
npx tsc -p router/tsconfig.build.json
cat >"$OUT/upstream.conf" <<CONF
worker_processes $UP_WORKERS;
daemon on;
pid $OUT/upstream.pid;
error_log $OUT/upstream.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $OUT/b; proxy_temp_path $OUT/p; fastcgi_temp_path $OUT/f; uwsgi_temp_path $OUT/u; scgi_temp_path $OUT/s;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$UP_PORT; location = /score { default_type application/json; return 200 '{"result":[0.42]}'; } }
}
CONF
pin "$LOAD_CPUS" nginx -c "$OUT/upstream.conf" -p "$OUT"

ticks() { # pid: utime + stime of the process (all its threads), in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}
HZ=$(getconf CLK_TCK)
URL=http://127.0.0.1:$DATA_PORT/api/v1/service/bench/score
echo -e "round\tworkers\trps\tcpuUsPerRequest" >"$OUT/results.tsv"
for round in $(seq "$ROUNDS"); do
  for workers in $SWEEP; do
    BENCH_KEY=$KEY BENCH_DATA_PORT=$DATA_PORT BENCH_ADMIN_PORT=$ADMIN_PORT BENCH_WORKERS=$workers AKSML_LOG_LEVEL=warn \
      BENCH_SERVICES="[{\"name\":\"bench\",\"url\":\"http://127.0.0.1:$UP_PORT\",\"auth\":\"key\"}]" \
      pin_exec "$ROUTER_CPUS" node bench/router/routerProcess.mjs >"$OUT/router-$workers.log" 2>"$OUT/router-$workers.err" &
    ROUTER_PID=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$ADMIN_PORT/readyz" >/dev/null && break; sleep 0.1; done
    BENCH_AUTH="Bearer $KEY" pin "$LOAD_CPUS" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP_SECONDS}s" -s bench/router/post.lua "$URL" >/dev/null
    c0=$(ticks $ROUTER_PID)
    BENCH_AUTH="Bearer $KEY" pin "$LOAD_CPUS" wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_PER_RUN}s" -s bench/router/post.lua "$URL" >"$OUT/wrk-$workers-r$round.txt"
    c1=$(ticks $ROUTER_PID)
    kill $ROUTER_PID && wait $ROUTER_PID 2>/dev/null || true
    ROUTER_PID=""
    requests=$(awk '/requests in/ {print $1}' "$OUT/wrk-$workers-r$round.txt")
    rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk-$workers-r$round.txt")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$OUT/wrk-$workers-r$round.txt")
    [ -n "$non2xx" ] && echo "   warning: $non2xx non-2xx answers with $workers workers" >&2
    us=$(awk -v t=$((c1 - c0)) -v n="$requests" -v hz="$HZ" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
    printf '%s\t%s\t%s\t%s\n' "$round" "$workers" "$rps" "$us" >>"$OUT/results.tsv"
    printf '   round %s, %2s workers: %10s req/s, %6s µs CPU per request\n' "$round" "$workers" "$rps" "$us"
  done
done
echo "== medians over $ROUNDS round(s) (machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
median() { # column (3: req/s, 4: CPU) of the rows of one worker count
  awk -F'\t' -v w="$1" -v c="$2" 'NR > 1 && $2 == w {print $c}' "$OUT/results.tsv" | sort -n |
    awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'
}
base=$(median "${SWEEP%% *}" 3)
echo "| workers | req/s | CPU µs per request | throughput vs ${SWEEP%% *} worker(s) |"
echo "|---|---|---|---|"
for workers in $SWEEP; do
  rps=$(median "$workers" 3)
  awk -v w="$workers" -v r="$rps" -v u="$(median "$workers" 4)" -v b="$base" \
    'BEGIN {printf "| %s | %.0f | %.1f | %.2f× |\n", w, r, u, r / b}'
done
