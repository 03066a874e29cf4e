#!/usr/bin/env bash
# Model data capture's cost: the same router with capture off and on (sampleRate 1, 1 KiB
# request and response bodies, written as JSON Lines under a local folder), in one run,
# measurements interleaved per round. Throughput at BENCH_CONNECTIONS and latency at about
# BENCH_RPS (paced wrk, as run.sh). Issue 11's goal: at most 10% fewer requests per second
# and at most +0.2 ms p50 at 5K rps.
#   npm run bench:capture                    (= bash bench/router/capture.sh)
# Knobs: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32), BENCH_RPS (5000),
# BENCH_ROUNDS (1), BENCH_BODY_BYTES (1024). Needs Node 22.12+ first on PATH, nginx, wrk, curl.
# The change is the median of each round's own change (off and on run back to back in a round),
# robust to a machine whose speed drifts between rounds.
# Prints a Markdown table for bench/RESULTS.md (with the CPU per request of the router's data-path
# thread and of its whole process: capture's writer thread works off the data path); every run's
# wrk output is in bench/router/out-capture/.
# Not part of CI. Run it on a quiet machine: the router, its writer and wrk share the cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/bench/router/out-capture
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-2}
RPS=${BENCH_RPS:-5000}
CONNS=${BENCH_CONNECTIONS:-32}
ROUNDS=${BENCH_ROUNDS:-1}
BODY_BYTES=${BENCH_BODY_BYTES:-1024}
KEY=bench-key-0123456789abcdef
AUTH="Bearer $KEY"
RATE_CONNS=50
UP_PORT=18181 OFF_PORT=18183 OFF_ADMIN=18193 ON_PORT=18184 ON_ADMIN=18194

for tool in nginx wrk curl node; do command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }; done
for n in "$SECONDS_PER_RUN" "$WARMUP_SECONDS" "$RPS" "$CONNS" "$ROUNDS" "$BODY_BYTES"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_* knobs must be positive integers, got '$n'" >&2; exit 1; }
done
for port in $UP_PORT $OFF_PORT $OFF_ADMIN $ON_PORT $ON_ADMIN; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "port $port is in use" >&2; exit 1; fi
done
rm -rf "$OUT" && mkdir -p "$OUT/runs" "$OUT/modeldata" && : >"$OUT/cpu.tsv"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$OUT/upstream.pid" ] && kill "$(cat "$OUT/upstream.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "== building the router (tsc -> router/dist)"
npx tsc -p router/tsconfig.build.json

# The upstream answers with a JSON body of BODY_BYTES, so responses are captured at that size too.
ANSWER="{\"result\":[0.42],\"pad\":\"$(head -c $((BODY_BYTES - 26)) /dev/zero | tr '\0' x)\"}"
cat >"$OUT/upstream.conf" <<CONF
worker_processes 1;
daemon on;
pid $OUT/upstream.pid;
error_log $OUT/upstream.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $OUT/up-body; proxy_temp_path $OUT/up-proxy; fastcgi_temp_path $OUT/up-fcgi;
  uwsgi_temp_path $OUT/up-uwsgi; scgi_temp_path $OUT/up-scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$UP_PORT; client_body_buffer_size 64k;
    location = /score { default_type application/json; return 200 '$ANSWER'; } location / { return 200 'Healthy'; } }
}
CONF
nginx -c "$OUT/upstream.conf" -p "$OUT"

start_router() { # name port admin [capture dir]
  BENCH_KEY=$KEY BENCH_DATA_PORT=$2 BENCH_ADMIN_PORT=$3 AKSML_LOG_LEVEL=warn BENCH_CAPTURE_DIR=${4:-} \
    BENCH_SERVICES="[{\"name\":\"bench\",\"url\":\"http://127.0.0.1:$UP_PORT\",\"auth\":\"key\"}]" \
    node bench/router/routerProcess.mjs >"$OUT/$1.log" 2>"$OUT/$1.err" &
  PIDS+=($!)
  PID[$1]=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$3/readyz" >/dev/null && return; sleep 0.1; done
  echo "router $1 did not become ready" >&2
  cat "$OUT/$1.err" >&2
  exit 1
}
declare -A PID
start_router off $OFF_PORT $OFF_ADMIN
start_router on $ON_PORT $ON_ADMIN "$OUT/modeldata"
declare -A URL=([off]=http://127.0.0.1:$OFF_PORT/api/v1/service/bench/score [on]=http://127.0.0.1:$ON_PORT/api/v1/service/bench/score)

# CPU ticks (user + system) of the router's data-path thread (its main thread: one worker) and
# of the whole process (the capture writer thread, GC helpers and libuv's pool included).
ticks() { awk '{print $14 + $15}' "$1"; }
measure() { # kind label round wrk-args...
  local kind=$1 label=$2 round=$3
  shift 3
  local pid=${PID[$label]}
  BENCH_AUTH="$AUTH" BENCH_BODY_BYTES=$BODY_BYTES wrk -t1 -d"${WARMUP_SECONDS}s" -s bench/router/post.lua "$@" "${URL[$label]}" >/dev/null
  local main0 all0 main1 all1
  main0=$(ticks "/proc/$pid/task/$pid/stat") all0=$(ticks "/proc/$pid/stat")
  BENCH_AUTH="$AUTH" BENCH_BODY_BYTES=$BODY_BYTES wrk -t1 -d"${SECONDS_PER_RUN}s" --latency -s bench/router/post.lua "$@" \
    "${URL[$label]}" >"$OUT/runs/$kind-$label-r$round.wrk"
  main1=$(ticks "/proc/$pid/task/$pid/stat") all1=$(ticks "/proc/$pid/stat")
  printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$label" "$round" $((main1 - main0)) $((all1 - all0)) >>"$OUT/cpu.tsv"
  awk -v l="$label" '/Requests\/sec/ {r=$2} /Non-2xx/ {e=$NF} END {printf "   %-4s %10s req/s%s\n", l, r, (e ? "  NON-2XX: " e : "")}' \
    "$OUT/runs/$kind-$label-r$round.wrk"
}
INTERVAL=$((RATE_CONNS * 1000 / RPS))
((INTERVAL >= 1)) || { echo "BENCH_RPS=$RPS is too high for $RATE_CONNS paced connections" >&2; exit 1; }
for round in $(seq "$ROUNDS"); do
  echo "== round $round/$ROUNDS: throughput at c=$CONNS, then latency at ~$RPS rps"
  # Which goes first alternates by round, so neither always runs on the warmer (or busier) machine.
  if ((round % 2)); then first=off second=on; else first=on second=off; fi
  for label in $first $second; do measure throughput "$label" "$round" -c"$CONNS"; done
  for label in $second $first; do BENCH_INTERVAL_MS=$INTERVAL measure paced "$label" "$round" -c$RATE_CONNS; done
done

metric() { curl -s "http://127.0.0.1:$ON_ADMIN/metrics" | awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $2} END {printf "%d", s}'; }
written=$(metric aksml_router_capture_records_total)
dropped=$(metric aksml_router_capture_dropped_total)

# Medians over rounds. wrk prints latency percentiles in us, ms or s.
node --input-type=module - "$OUT" "$ROUNDS" "$written" "$dropped" "$(getconf CLK_TCK)" <<'JS'
import { readFileSync } from "node:fs";
const [out, rounds, written, dropped, clk] = process.argv.slice(2);
const ms = (v) => (v.endsWith("us") ? parseFloat(v) / 1000 : v.endsWith("ms") ? parseFloat(v) : parseFloat(v) * 1000);
const read = (kind, label, r) => {
  const t = readFileSync(`${out}/runs/${kind}-${label}-r${r}.wrk`, "utf8");
  return { rps: parseFloat(/Requests\/sec:\s+([\d.]+)/.exec(t)[1]), p50: ms(/ 50%\s+(\S+)/.exec(t)[1]), p99: ms(/ 99%\s+(\S+)/.exec(t)[1]) };
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fig = (kind, label, key) => median(Array.from({ length: Number(rounds) }, (_, i) => read(kind, label, i + 1)[key]));
// The change is the median of each round's own change (off and on measured back to back):
// on a noisy machine both runs of a round share its conditions, which medians taken apart lose.
const paired = (kind, key) =>
  Array.from({ length: Number(rounds) }, (_, i) => {
    const off = read(kind, "off", i + 1)[key], on = read(kind, "on", i + 1)[key];
    return key === "rps" ? ((on - off) / off) * 100 : on - off;
  });
const show = (key, d) => (key === "rps" ? `${d.toFixed(1)}%` : `${d >= 0 ? "+" : ""}${d.toFixed(3)} ms`);
const row = (name, kind, key, unit, digits) => {
  const off = fig(kind, "off", key), on = fig(kind, "on", key);
  const rounds = paired(kind, key);
  return `| ${name} | ${off.toFixed(digits)}${unit} | ${on.toFixed(digits)}${unit} | ${show(key, median(rounds))} (rounds: ${rounds.map((d) => show(key, d)).join(", ")}) |`;
};
console.log("\n| | capture off | capture on | change (median of the rounds' changes) |\n|---|---|---|---|");
console.log(row("throughput, req/s", "throughput", "rps", "", 0));
console.log(row("p50 at the paced rate", "paced", "p50", " ms", 3));
console.log(row("p99 at the paced rate", "paced", "p99", " ms", 3));
// CPU per request (µs) of the throughput runs: the data-path thread's, and the process's.
const cpu = readFileSync(`${out}/cpu.tsv`, "utf8").trim().split("\n").map((l) => l.split("\t"));
const perRequest = (label, column) =>
  median(
    Array.from({ length: Number(rounds) }, (_, i) => {
      const row = cpu.find((r) => r[0] === "throughput" && r[1] === label && r[2] === String(i + 1));
      const requests = Number(/(\d+) requests in/.exec(readFileSync(`${out}/runs/throughput-${label}-r${i + 1}.wrk`, "utf8"))[1]);
      return (Number(row[column]) * 1e6) / Number(clk) / requests;
    }),
  );
for (const [name, column] of [["data-path thread CPU per request, c=32 (µs)", 3], ["router process CPU per request, c=32 (µs)", 4]]) {
  const off = perRequest("off", column), on = perRequest("on", column);
  console.log(`| ${name} | ${off.toFixed(1)} | ${on.toFixed(1)} | +${(on - off).toFixed(1)} µs |`);
}
console.log(`\nrecords written ${written}, dropped ${dropped} (capture on)`);
JS
