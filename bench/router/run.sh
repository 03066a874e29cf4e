#!/usr/bin/env bash
# Router benchmark: direct vs nginx vs the bare Node relay vs the aksml router, one upstream,
# with access logging matched (off on both sides, and a buffered file on both sides).
#   npm run bench:router                      (= bash bench/router/run.sh)
# Knobs (environment): BENCH_SECONDS (10) per measurement, BENCH_WARMUP_SECONDS (2),
# BENCH_CONNECTIONS (32) for the throughput runs, BENCH_RPS (5000) offered in the paced runs,
# BENCH_ROUNDS (1) full rounds, figures are the median over rounds, BENCH_WORKERS_MAX (2)
# router workers in the extra run (1 skips it), BENCH_CPU_PROF (0) 1 = --cpu-prof the router
# (log off) and the bare relay and print their top self-time functions, BENCH_TARGETS (all) the
# targets to measure, a space-separated subset of: direct nginx nginx-log bare router router-log
# router-wn (keep direct for the added latencies; every process is started anyway), BENCH_PIN (0)
# 1 = the proxy under test on CPU 0 alone, wrk and the upstream on CPU 1 (taskset; the latency
# a proxy adds when it has a core of its own; the 2-worker router is then not run).
# Needs Node 22.12+ first on PATH (checked; no fixed path), nginx, wrk and curl (apt-get install -y nginx wrk curl).
# Writes bench/router/out/results.json and prints a Markdown table for bench/RESULTS.md.
# Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/bench/router/out
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-2}
RPS=${BENCH_RPS:-5000}
CONNS=${BENCH_CONNECTIONS:-32}
ROUNDS=${BENCH_ROUNDS:-1}
WORKERS_MAX=${BENCH_WORKERS_MAX:-2}
CPU_PROF=${BENCH_CPU_PROF:-0}
TARGETS=${BENCH_TARGETS:-}
PIN=${BENCH_PIN:-0}
PROXY_PIN=() LOAD_PIN=()
if [ "$PIN" = 1 ]; then
  command -v taskset >/dev/null || { echo "BENCH_PIN=1 needs taskset (util-linux)" >&2; exit 1; }
  (($(nproc) >= 2)) || { echo "BENCH_PIN=1 needs 2 CPUs" >&2; exit 1; }
  PROXY_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1) WORKERS_MAX=1
fi
KEY=bench-key-0123456789abcdef
AUTH="Bearer $KEY"
RATE_CONNS=50
UP_PORT=18081 NGINX_PORT=18082 NGINX_LOG_PORT=18087 BARE_PORT=18090
ROUTER_PORT=18083 ROUTER_ADMIN=18093 ROUTER_LOG_PORT=18088 ROUTER_LOG_ADMIN=18098
ROUTER_WN_PORT=18089 ROUTER_WN_ADMIN=18099 SINK_PORT=18084 STREAM_PORT=18085 STREAM_ADMIN=18095

for tool in nginx wrk curl; do command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nginx wrk curl)" >&2; exit 1; }; done
command -v node >/dev/null || { echo "no node on PATH: the benchmark needs Node 22.12 or newer first on PATH" >&2; exit 1; }
NODE_VERSION=$(node --version)
if ! [[ $NODE_VERSION =~ ^v([0-9]+)\.([0-9]+)\. ]] || ((BASH_REMATCH[1] < 22 || (BASH_REMATCH[1] == 22 && BASH_REMATCH[2] < 12))); then
  echo "node on PATH ($(command -v node)) is $NODE_VERSION; the benchmark needs Node 22.12 or newer (as package.json's engines): put its bin directory first on PATH" >&2
  exit 1
fi
for n in "$SECONDS_PER_RUN" "$WARMUP_SECONDS" "$RPS" "$CONNS" "$ROUNDS" "$WORKERS_MAX"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_* knobs must be positive integers, got '$n'" >&2; exit 1; }
done
for port in $UP_PORT $NGINX_PORT $NGINX_LOG_PORT $BARE_PORT $ROUTER_PORT $ROUTER_ADMIN $ROUTER_LOG_PORT $ROUTER_LOG_ADMIN \
  $ROUTER_WN_PORT $ROUTER_WN_ADMIN $SINK_PORT $STREAM_PORT $STREAM_ADMIN; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use (a previous run still going?)" >&2; exit 1; fi
done
rm -rf "$OUT" && mkdir -p "$OUT/runs"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for conf in upstream nginx nginx-log; do [ -f "$OUT/$conf.pid" ] && kill "$(cat "$OUT/$conf.pid")" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

{
  echo "date=$(date -u +%FT%TZ)"
  echo "commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo '+dirty')"
  echo "node=$NODE_VERSION"
  echo "nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')"
  echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "nproc=$(nproc)"
  echo "kernel=$(uname -r)"
  echo "clkTck=$(getconf CLK_TCK)"
  echo "loadBefore=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "seconds=$SECONDS_PER_RUN"
  echo "warmupSeconds=$WARMUP_SECONDS"
  echo "connections=$CONNS"
  echo "rps=$RPS"
  echo "rateConnections=$RATE_CONNS"
  echo "rounds=$ROUNDS"
  echo "workersMax=$WORKERS_MAX"
  echo "targets=${TARGETS:-all}"
} >"$OUT/meta.txt"

echo "== building the router (tsc -> router/dist)"
npx tsc -p router/tsconfig.build.json

nginx_conf() { # name body-of-http-block [access-log-directive]
  cat >"$OUT/$1.conf" <<CONF
worker_processes 1;
daemon on;
pid $OUT/$1.pid;
error_log $OUT/$1.error.log warn;
events { worker_connections 4096; }
http {
  # One JSON line per request, about what the router's info-level access line carries.
  log_format bench escape=json '{"time":"\$time_iso8601","reqId":"\$request_id","method":"\$request_method","uri":"\$uri","status":\$status,"bytes":\$body_bytes_sent,"ms":\$request_time,"upstream":"\$upstream_addr","upstreamMs":"\$upstream_response_time"}';
  ${3:-access_log off;}
  client_body_temp_path $OUT/$1-body;
  proxy_temp_path $OUT/$1-proxy;
  fastcgi_temp_path $OUT/$1-fastcgi;
  uwsgi_temp_path $OUT/$1-uwsgi;
  scgi_temp_path $OUT/$1-scgi;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  $2
}
CONF
  # The master's CPU affinity is inherited by its worker.
  if [ "$1" = upstream ]; then "${LOAD_PIN[@]}" nginx -c "$OUT/$1.conf" -p "$OUT"; else "${PROXY_PIN[@]}" nginx -c "$OUT/$1.conf" -p "$OUT"; fi
}
# nginx as the proxy: 1 worker, keepalive upstream, the same key check as the router (401
# unless `Authorization: Bearer <key>`, the header not passed on), and optionally an access
# log: one JSON line per request to a file, nginx's usual buffered file logging.
nginx_proxy() { # name port [access-log-directive]
  nginx_conf "$1" "upstream scorer { server 127.0.0.1:$UP_PORT; keepalive 64; }
  map \$http_authorization \$bench_key_ok { \"$AUTH\" 1; default 0; }
  server { listen 127.0.0.1:$2; client_max_body_size 100m;
    location = /api/v1/service/bench/score {
      if (\$bench_key_ok = 0) { return 401; }
      proxy_pass http://scorer/score; proxy_http_version 1.1;
      proxy_set_header Connection \"\"; proxy_set_header Authorization \"\"; } }" "${3:-}"
}
# A router process; stdout (its access log at info level) goes to a file.
start_router() { # name port admin-port log-level workers [node flags...]
  local name=$1 port=$2 admin=$3 level=$4 workers=$5
  shift 5
  BENCH_KEY=$KEY BENCH_DATA_PORT=$port BENCH_ADMIN_PORT=$admin BENCH_WORKERS=$workers AKSML_LOG_LEVEL=$level \
    BENCH_SERVICES="[{\"name\":\"bench\",\"url\":\"http://127.0.0.1:$UP_PORT\",\"auth\":\"key\"}]" \
    "${PROXY_PIN[@]}" node "$@" bench/router/routerProcess.mjs >"$OUT/$name.log" 2>"$OUT/$name.err" &
  PIDS+=($!)
  eval "${name//-/_}_pid=$!"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null && return; sleep 0.1; done
  echo "router $name did not become ready" >&2
  cat "$OUT/$name.err" >&2
  exit 1
}
PROF_FLAGS=()
[ "$CPU_PROF" = 1 ] && PROF_FLAGS=(--cpu-prof "--cpu-prof-dir=$OUT/prof")

echo "== upstream scorer: nginx, 1 worker, fixed JSON answer, on :$UP_PORT"
nginx_conf upstream "server { listen 127.0.0.1:$UP_PORT; location = /score { default_type application/json; return 200 '{\"result\":[0.42]}'; } location / { return 200 'Healthy'; } }"
echo "== nginx proxy (log off) on :$NGINX_PORT, nginx proxy (access_log to a file, buffer=64k flush=1s) on :$NGINX_LOG_PORT"
nginx_proxy nginx $NGINX_PORT
nginx_proxy nginx-log $NGINX_LOG_PORT "access_log $OUT/nginx-log.access.log bench buffer=64k flush=1s;"
echo "== bare Node relay (the floor of a Node data path) on :$BARE_PORT"
BENCH_KEY=$KEY BENCH_DATA_PORT=$BARE_PORT BENCH_UPSTREAM=http://127.0.0.1:$UP_PORT \
  "${PROXY_PIN[@]}" node "${PROF_FLAGS[@]}" bench/router/bareRelay.mjs 2>"$OUT/bare.err" &
bare_pid=$!
PIDS+=($bare_pid)
echo "== routers (1 worker, key auth): log off (warn) on :$ROUTER_PORT, info logs to a file on :$ROUTER_LOG_PORT"
start_router router $ROUTER_PORT $ROUTER_ADMIN warn 1 "${PROF_FLAGS[@]}"
start_router router-log $ROUTER_LOG_PORT $ROUTER_LOG_ADMIN info 1
if ((WORKERS_MAX > 1)); then
  echo "== router with BENCH_WORKERS=$WORKERS_MAX (log off) on :$ROUTER_WN_PORT"
  start_router router-wn $ROUTER_WN_PORT $ROUTER_WN_ADMIN warn "$WORKERS_MAX"
  grep -h warning "$OUT/router-wn.err" >&2 || true
fi
for _ in $(seq 50); do [ -s "$OUT/bare.err" ] && break; sleep 0.1; done

SCORE=/api/v1/service/bench/score
LABELS=(direct nginx nginx-log bare router router-log)
declare -A URL=([direct]=http://127.0.0.1:$UP_PORT/score [nginx]=http://127.0.0.1:$NGINX_PORT$SCORE
  [nginx-log]=http://127.0.0.1:$NGINX_LOG_PORT$SCORE [bare]=http://127.0.0.1:$BARE_PORT$SCORE
  [router]=http://127.0.0.1:$ROUTER_PORT$SCORE [router-log]=http://127.0.0.1:$ROUTER_LOG_PORT$SCORE)
# CPU is charged to a process and all its descendants: nginx = master + worker (the master
# is idle), a router = its process and any workers it forks.
declare -A PID=([nginx]=$(cat "$OUT/nginx.pid") [nginx-log]=$(cat "$OUT/nginx-log.pid") [bare]=$bare_pid
  [router]=$router_pid [router-log]=$router_log_pid)
if ((WORKERS_MAX > 1)); then
  LABELS+=(router-wn)
  URL[router-wn]=http://127.0.0.1:$ROUTER_WN_PORT$SCORE
  PID[router-wn]=$router_wn_pid
  sed -n 's/.*"workers":\([0-9]*\).*/workersEffective=\1/p' "$OUT/router-wn.err" | tail -1 >>"$OUT/meta.txt"
fi
UP_MASTER=$(cat "$OUT/upstream.pid")
if [ -n "$TARGETS" ]; then
  for t in $TARGETS; do
    [ -n "${URL[$t]:-}" ] || { echo "BENCH_TARGETS: unknown target '$t' (one of: ${LABELS[*]})" >&2; exit 1; }
  done
  read -r -a LABELS <<<"$TARGETS"
fi

for label in "${LABELS[@]}"; do
  [ "$label" = direct ] && continue
  ok=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: $AUTH" -d '{}' "${URL[$label]}")
  bad=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer wrong-key" -d '{}' "${URL[$label]}")
  if [ "$ok" != 200 ] || [ "$bad" != 401 ]; then
    echo "$label: smoke test failed (with the key: $ok, want 200; with a wrong key: $bad, want 401)" >&2
    cat "$OUT"/*.err >&2 2>/dev/null || true
    exit 1
  fi
done

tree_pids() { # pid: it and all its descendants
  echo "$1"
  local child
  for child in $(pgrep -P "$1" || true); do tree_pids "$child"; done
}
cpu_ticks() { # pid: "utime stime" of the process tree, in clock ticks (all threads, kernel time included)
  local user=0 sys=0 p
  for p in $(tree_pids "$1"); do
    [ -r "/proc/$p/stat" ] && read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat") && user=$((user + u)) && sys=$((sys + s))
  done
  echo "$user $sys"
}
runq_ns() { # pid: nanoseconds the process tree's threads spent runnable but waiting for a CPU (schedstat)
  local total=0 p t wait
  for p in $(tree_pids "$1"); do
    for t in /proc/"$p"/task/*/schedstat; do
      [ -r "$t" ] && read -r _ wait _ <"$t" 2>/dev/null && total=$((total + wait))
    done
  done
  echo "$total"
}
# One wrk measurement: warm-up, then the measured run with the CPU ticks of the proxy and of
# the upstream around it. Output in runs/[warmup-]<kind>-<label>-r<round>.wrk; cpu.tsv gets
# kind, label, round, proxy user ticks, proxy system ticks, upstream user+system ticks, and the
# nanoseconds the proxy's and the upstream's threads waited for a CPU (run-queue wait: on a
# shared machine, the part of the latency that is the scheduler's, not the proxy's).
measure() { # kind label round wrk-args...
  local kind=$1 label=$2 round=$3
  shift 3
  local url=${URL[$label]} pid=${PID[$label]:-} file="$OUT/runs/$kind-$label-r$round.wrk"
  BENCH_AUTH="$AUTH" "${LOAD_PIN[@]}" wrk -t1 -d"${WARMUP_SECONDS}s" -s bench/router/post.lua "$@" "$url" >"$OUT/runs/warmup-$kind-$label-r$round.wrk"
  local user0=0 sys0=0 user1=0 sys1=0 up_user0 up_sys0 up_user1 up_sys1 wait0=0 wait1=0 up_wait0 up_wait1
  [ -n "$pid" ] && read -r user0 sys0 < <(cpu_ticks "$pid") && wait0=$(runq_ns "$pid")
  read -r up_user0 up_sys0 < <(cpu_ticks "$UP_MASTER")
  up_wait0=$(runq_ns "$UP_MASTER")
  BENCH_AUTH="$AUTH" "${LOAD_PIN[@]}" wrk -t1 -d"${SECONDS_PER_RUN}s" --latency -s bench/router/post.lua "$@" "$url" >"$file"
  [ -n "$pid" ] && read -r user1 sys1 < <(cpu_ticks "$pid") && wait1=$(runq_ns "$pid")
  read -r up_user1 up_sys1 < <(cpu_ticks "$UP_MASTER")
  up_wait1=$(runq_ns "$UP_MASTER")
  if [ -n "$pid" ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$label" "$round" $((user1 - user0)) $((sys1 - sys0)) \
      $((up_user1 + up_sys1 - up_user0 - up_sys0)) $((wait1 - wait0)) $((up_wait1 - up_wait0)) >>"$OUT/cpu.tsv"
  else
    printf '%s\t%s\t%s\t-\t-\t%s\t-\t%s\n' "$kind" "$label" "$round" $((up_user1 + up_sys1 - up_user0 - up_sys0)) \
      $((up_wait1 - up_wait0)) >>"$OUT/cpu.tsv"
  fi
  awk -v l="$label" '/Requests\/sec/ {r=$2} /Non-2xx/ {e=$NF} END {printf "   %-10s %10s req/s%s\n", l, r, (e ? "  NON-2XX: " e : "")}' "$file"
}

# wrk2 (-R) is not packaged in Debian: the paced runs pace plain wrk with a delay() hook,
# RATE_CONNS connections each waiting a random 0..2*INTERVAL ms before each request.
INTERVAL=$((RATE_CONNS * 1000 / RPS))
((INTERVAL >= 1)) || { echo "BENCH_RPS=$RPS is too high for $RATE_CONNS paced connections" >&2; exit 1; }
for round in $(seq "$ROUNDS"); do
  echo "== round $round/$ROUNDS: throughput at c=$CONNS (wrk -t1, ${WARMUP_SECONDS}s warm-up + ${SECONDS_PER_RUN}s each)"
  for label in "${LABELS[@]}"; do measure throughput "$label" "$round" -c"$CONNS"; done
  echo "== round $round/$ROUNDS: latency at ~$RPS rps ($RATE_CONNS connections x 1 request / ${INTERVAL} ms mean)"
  for label in "${LABELS[@]}"; do BENCH_INTERVAL_MS=$INTERVAL measure paced "$label" "$round" -c$RATE_CONNS; done
done
sleep 1.5 # nginx flushes its access-log buffer every second
echo "accessLogLines.nginx-log=$(wc -l <"$OUT/nginx-log.access.log")" >>"$OUT/meta.txt"
echo "accessLogLines.router-log=$(grep -c '"msg":"request"' "$OUT/router-log.log" || true)" >>"$OUT/meta.txt"

echo "== peak RSS of a fresh router (info logs to a file) while streaming a 100 MB - 1 byte body"
PORT=$SINK_PORT node bench/router/sink.mjs &
PIDS+=($!)
BENCH_KEY=$KEY BENCH_DATA_PORT=$STREAM_PORT BENCH_ADMIN_PORT=$STREAM_ADMIN \
  BENCH_SERVICES="[{\"name\":\"sink\",\"url\":\"http://127.0.0.1:$SINK_PORT\",\"auth\":\"key\"}]" \
  node bench/router/routerProcess.mjs >"$OUT/stream-router.log" 2>"$OUT/stream-router.err" &
STREAM_PID=$!
PIDS+=($STREAM_PID)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$STREAM_ADMIN/readyz" >/dev/null && break; sleep 0.1; done
head -c $((104857600 - 1)) /dev/urandom >"$OUT/body.bin"
for _ in 1 2 3; do curl -s -o /dev/null -X POST -H "Authorization: $AUTH" -d '{}' "http://127.0.0.1:$STREAM_PORT/api/v1/service/sink/score"; done
sleep 0.5
echo "rssBeforeKB=$(awk '/VmRSS/ {print $2}' /proc/$STREAM_PID/status)" >>"$OUT/meta.txt"
echo "streamResult=$(curl -s -X POST -T "$OUT/body.bin" -H "Authorization: $AUTH" -H "Content-Type: application/octet-stream" \
  "http://127.0.0.1:$STREAM_PORT/api/v1/service/sink/score")" >>"$OUT/meta.txt"
echo "rssPeakKB=$(awk '/VmHWM/ {print $2}' /proc/$STREAM_PID/status)" >>"$OUT/meta.txt"
rm -f "$OUT/body.bin"
echo "loadAfter=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"

if [ "$CPU_PROF" = 1 ]; then # profiles are written when the processes exit
  kill "$bare_pid" "$router_pid"
  wait "$bare_pid" "$router_pid" 2>/dev/null || true
  for p in "$OUT"/prof/*.cpuprofile; do node bench/router/profileTop.mjs "$p"; done >"$OUT/profile-top.txt"
fi
node bench/router/summarize.mjs "$OUT"
[ "$CPU_PROF" = 1 ] && cat "$OUT/profile-top.txt"
exit 0
