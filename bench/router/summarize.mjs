// Turns one bench/router/run.sh output directory into results.json and a Markdown table.
//   node bench/router/summarize.mjs bench/router/out
// Inputs: meta.txt (key=value), cpu.tsv (kind, label, round, proxy user and system ticks,
// upstream ticks, proxy and upstream run-queue wait in ns; the last two absent in older runs),
// runs/<kind>-<label>-r<round>.wrk (wrk --latency output). With several rounds every figure
// is the median over rounds; ratios and added latencies are taken within a round first
// (same run), then the median.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const out = process.argv[2] ?? "bench/router/out";
const meta = Object.fromEntries(
  readFileSync(`${out}/meta.txt`, "utf8")
    .split("\n")
    .filter((l) => l.includes("="))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
const clkTck = Number(meta.clkTck);
const workersMax = Number(meta.workersMax);
const workersEffective = meta.workersEffective === undefined ? undefined : Number(meta.workersEffective);

const NAMES = {
  direct: "direct",
  nginx: "nginx (log off)",
  "nginx-log": "nginx (log file)",
  bare: "bare relay",
  router: "router (log off)",
  "router-log": "router (log file)",
  "router-wn": `router (${workersMax} workers${workersEffective === 1 ? " requested, ran 1" : ""}, log off)`,
};

/** Parses wrk --latency output. */
function parseWrk(text) {
  const ms = (v, unit) => Number(v) * { us: 0.001, ms: 1, s: 1000 }[unit];
  const pct = (p) => {
    const m = text.match(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`));
    return m ? ms(m[1], m[2]) : Number.NaN;
  };
  const done = text.match(/(\d+) requests in ([\d.]+)(us|ms|s|m)/);
  const socket = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return {
    requests: Number(done?.[1] ?? Number.NaN),
    rps: Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN),
    p50Ms: pct(50),
    p90Ms: pct(90),
    p99Ms: pct(99),
    non2xx: Number(text.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

const usPerRequest = (ticks, requests) => (ticks === "-" ? undefined : (Number(ticks) / clkTck / requests) * 1e6);
/** Run-queue wait over a measured run, as ms per second of it. */
const waitMsPerSecond = (ns) => (ns === undefined || ns === "-" ? undefined : Number(ns) / 1e6 / Number(meta.seconds));

/** measurements[kind][label][round] */
const measurements = { throughput: {}, paced: {} };
for (const line of readFileSync(`${out}/cpu.tsv`, "utf8").split("\n").filter(Boolean)) {
  const [kind, label, round, userTicks, sysTicks, upstreamTicks, waitNs, upstreamWaitNs] = line.split("\t");
  const wrk = parseWrk(readFileSync(`${out}/runs/${kind}-${label}-r${round}.wrk`, "utf8"));
  const perRound = (measurements[kind][label] ??= []);
  perRound[Number(round) - 1] = {
    ...wrk,
    cpuUsPerRequest: userTicks === "-" ? undefined : usPerRequest(Number(userTicks) + Number(sysTicks), wrk.requests),
    userCpuUsPerRequest: usPerRequest(userTicks, wrk.requests),
    systemCpuUsPerRequest: usPerRequest(sysTicks, wrk.requests),
    upstreamCpuUsPerRequest: usPerRequest(upstreamTicks, wrk.requests),
    runQueueWaitMsPerS: waitMsPerSecond(waitNs),
    upstreamRunQueueWaitMsPerS: waitMsPerSecond(upstreamWaitNs),
  };
}
const labels = [...new Set([...Object.keys(measurements.throughput), ...Object.keys(measurements.paced)])];
/** Requests wrk completed against each target, warm-ups included (what its access log should count). */
const requestsSent = {};
for (const f of readdirSync(`${out}/runs`)) {
  const match = f.match(/^(?:warmup-)?(?:throughput|paced)-(.+)-r\d+\.wrk$/);
  if (match)
    requestsSent[match[1]] =
      (requestsSent[match[1]] ?? 0) + parseWrk(readFileSync(`${out}/runs/${f}`, "utf8")).requests;
}
const rounds = Number(meta.rounds);

function median(values) {
  const v = values.filter((x) => x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}
const round3 = (x) => (x === undefined ? undefined : Math.round(x * 1000) / 1000);
/** Median over rounds of f(round index), rounded. */
const overRounds = (f) => round3(median(Array.from({ length: rounds }, (_, i) => f(i))));
const m = (kind, label, i) => measurements[kind][label]?.[i];

const targets = {};
for (const label of labels) {
  const fig = (kind, field) => overRounds((i) => m(kind, label, i)?.[field]);
  targets[label] = {
    name: NAMES[label] ?? label,
    throughput: {
      rps: fig("throughput", "rps"),
      cpuUsPerRequest: fig("throughput", "cpuUsPerRequest"),
      userCpuUsPerRequest: fig("throughput", "userCpuUsPerRequest"),
      systemCpuUsPerRequest: fig("throughput", "systemCpuUsPerRequest"),
      upstreamCpuUsPerRequest: fig("throughput", "upstreamCpuUsPerRequest"),
      p50Ms: fig("throughput", "p50Ms"),
      p99Ms: fig("throughput", "p99Ms"),
    },
    paced: {
      achievedRps: fig("paced", "rps"),
      p50Ms: fig("paced", "p50Ms"),
      p90Ms: fig("paced", "p90Ms"),
      p99Ms: fig("paced", "p99Ms"),
      addedP50Ms:
        label === "direct"
          ? undefined
          : overRounds((i) => m("paced", label, i)?.p50Ms - m("paced", "direct", i)?.p50Ms),
      addedP99Ms:
        label === "direct"
          ? undefined
          : overRounds((i) => m("paced", label, i)?.p99Ms - m("paced", "direct", i)?.p99Ms),
      cpuUsPerRequest: fig("paced", "cpuUsPerRequest"),
      upstreamCpuUsPerRequest: fig("paced", "upstreamCpuUsPerRequest"),
      runQueueWaitMsPerS: fig("paced", "runQueueWaitMsPerS"),
      upstreamRunQueueWaitMsPerS: fig("paced", "upstreamRunQueueWaitMsPerS"),
      p99MsByRound: (measurements.paced[label] ?? []).map((r) => round3(r?.p99Ms)),
    },
    perRound: { throughput: measurements.throughput[label], paced: measurements.paced[label] },
  };
}

const ratio = (kind, field, a, b) => overRounds((i) => m(kind, a, i)?.[field] / m(kind, b, i)?.[field]);
const diff = (kind, field, a, b) => overRounds((i) => m(kind, a, i)?.[field] - m(kind, b, i)?.[field]);
const accessLogCost = (off, on) => ({
  cpuUsPerRequest: diff("throughput", "cpuUsPerRequest", on, off),
  pacedCpuUsPerRequest: diff("paced", "cpuUsPerRequest", on, off),
  throughputRatio: ratio("throughput", "rps", on, off),
  addedPacedP99Ms: diff("paced", "p99Ms", on, off),
  linesWritten: Number(meta[`accessLogLines.${on}`]),
  requestsSent: requestsSent[on],
});

const problems = [];
for (const kind of ["throughput", "paced"])
  for (const label of labels)
    for (const [i, r] of (measurements[kind][label] ?? []).entries())
      if (r.non2xx || r.socketErrors)
        problems.push(`${kind} ${label} round ${i + 1}: ${r.non2xx} non-2xx, ${r.socketErrors} socket errors`);

const cpuRatio = ratio("throughput", "cpuUsPerRequest", "router", "bare");
const addedP50 = targets.router?.paced.addedP50Ms;
const addedP99 = targets.router?.paced.addedP99Ms;
const workersRatio = labels.includes("router-wn") ? ratio("throughput", "rps", "router-wn", "router") : undefined;
const goals = {
  routerCpuPerRequestOverBareRelay: { value: cpuRatio, target: "<= 1.3", met: cpuRatio <= 1.3 },
  routerAddedPacedP50Ms: { value: addedP50, target: "<= 0.3", met: addedP50 <= 0.3 },
  routerAddedPacedP99Ms: { value: addedP99, target: "<= 1.0", met: addedP99 <= 1.0 },
  routerWorkersThroughputOverOneWorker:
    workersRatio === undefined
      ? undefined
      : {
          workersRequested: workersMax,
          workersEffective,
          value: workersRatio,
          target: "> 1",
          met: workersEffective > 1 ? workersRatio > 1 : "not measurable: the router ran 1 process",
        },
};

const results = {
  meta,
  method: {
    cpuPerRequest:
      "utime+stime (from /proc/<pid>/stat) of the proxy's process tree over the measured wrk run, divided by the requests wrk completed; nginx = master + worker",
    runQueueWait:
      "time the process tree's threads were runnable but not running (/proc/<pid>/task/<tid>/schedstat, second field) over the measured run, in ms per second: the scheduler's share of the latency on a shared machine",
    medianOverRounds: rounds,
  },
  targets,
  accessLogCost: { nginx: accessLogCost("nginx", "nginx-log"), router: accessLogCost("router", "router-log") },
  goals,
  streaming: {
    upstream: JSON.parse(meta.streamResult || "{}"),
    rssBeforeMB: round3(meta.rssBeforeKB / 1024),
    rssPeakMB: round3(meta.rssPeakKB / 1024),
    rssGrowthMB: round3((meta.rssPeakKB - meta.rssBeforeKB) / 1024),
  },
  problems,
};
writeFileSync(`${out}/results.json`, `${JSON.stringify(results, null, 2)}\n`);

// ---- Markdown for bench/RESULTS.md
const num = (x, digits = 0) =>
  x === undefined || Number.isNaN(x)
    ? "–"
    : x
        .toFixed(digits)
        .replace(/^-/, "−")
        .replace(/\B(?=(\d{3})+(?!\d))/g, digits === 0 ? " " : "");
const signed = (x, digits) => (x === undefined ? "–" : `${x >= 0 ? "+" : ""}${num(x, digits)}`);
const cols = labels;
const row = (title, cell) => `| ${title} | ${cols.map((l) => cell(targets[l], l)).join(" | ")} |`;
const t = targets;
const lines = [
  `Run of ${meta.date} (commit ${meta.commit}), ${meta.seconds} s per measurement, ${rounds} round(s), load average ${meta.loadBefore} before / ${meta.loadAfter} after.`,
  "",
  `| | ${cols.map((l) => t[l].name).join(" | ")} |`,
  `|---|${cols.map(() => "---").join("|")}|`,
  row(`throughput, c=${meta.connections} (req/s)`, (x) => num(x.throughput.rps)),
  row("CPU per request, throughput run (µs)", (x) => num(x.throughput.cpuUsPerRequest, 1)),
  row("… of which user / system (µs)", (x) =>
    x.throughput.userCpuUsPerRequest === undefined
      ? "–"
      : `${num(x.throughput.userCpuUsPerRequest, 1)} / ${num(x.throughput.systemCpuUsPerRequest, 1)}`,
  ),
  row(`CPU per request, paced run (µs)`, (x) => num(x.paced.cpuUsPerRequest, 1)),
  row("upstream nginx CPU per request, throughput run (µs)", (x) => num(x.throughput.upstreamCpuUsPerRequest, 1)),
  row(`paced run: achieved req/s (~${meta.rps} offered)`, (x) => num(x.paced.achievedRps)),
  row(
    "paced run: p50 / p90 / p99 (ms)",
    (x) => `${num(x.paced.p50Ms, 3)} / ${num(x.paced.p90Ms, 3)} / ${num(x.paced.p99Ms, 3)}`,
  ),
  row("added p50 / p99 over direct (ms)", (x, l) =>
    l === "direct" ? "–" : `${signed(x.paced.addedP50Ms, 3)} / ${signed(x.paced.addedP99Ms, 3)}`,
  ),
  row("paced run: p99 by round (ms)", (x) => x.paced.p99MsByRound.map((v) => num(v, 2)).join(", ") || "–"),
  row("paced run: waiting for a CPU, proxy / upstream (ms per s)", (x) =>
    x.paced.upstreamRunQueueWaitMsPerS === undefined
      ? "–"
      : `${num(x.paced.runQueueWaitMsPerS, 0)} / ${num(x.paced.upstreamRunQueueWaitMsPerS, 0)}`,
  ),
  row("access-log cost: CPU per request (µs)", (_x, l) =>
    l === "nginx-log"
      ? signed(results.accessLogCost.nginx.cpuUsPerRequest, 1)
      : l === "router-log"
        ? signed(results.accessLogCost.router.cpuUsPerRequest, 1)
        : "–",
  ),
  "",
  "| goal (issue 12) | result | target | met |",
  "|---|---|---|---|",
  `| router CPU per request ÷ bare relay's (1 worker, log off) | ${num(cpuRatio, 2)}× (${num(t.router?.throughput.cpuUsPerRequest, 1)} vs ${num(t.bare?.throughput.cpuUsPerRequest, 1)} µs) | ≤ 1.3× | ${goals.routerCpuPerRequestOverBareRelay.met ? "yes" : "**no**"} |`,
  `| router added p50 at ~${meta.rps} req/s (log off) | ${signed(addedP50, 3)} ms | ≤ 0.3 ms | ${goals.routerAddedPacedP50Ms.met ? "yes" : "**no**"} |`,
  `| router added p99 at ~${meta.rps} req/s (log off) | ${signed(addedP99, 3)} ms | ≤ 1.0 ms | ${goals.routerAddedPacedP99Ms.met ? "yes" : "**no**"} |`,
];
if (goals.routerWorkersThroughputOverOneWorker) {
  const g = goals.routerWorkersThroughputOverOneWorker;
  lines.push(
    `| router ${workersMax} workers ÷ 1 worker, throughput | ${num(g.value, 2)}× (${num(t["router-wn"].throughput.rps)} vs ${num(t.router.throughput.rps)} req/s) | > 1× | ${g.met === true ? "yes" : g.met === false ? "**no**" : g.met} |`,
  );
}
lines.push(
  "",
  (labels.includes("nginx-log") && labels.includes("router-log")
    ? `Access logs: nginx wrote ${results.accessLogCost.nginx.linesWritten} lines for ${results.accessLogCost.nginx.requestsSent} requests wrk completed (warm-ups included), the router ${results.accessLogCost.router.linesWritten} for ${results.accessLogCost.router.requestsSent}. `
    : `Access logs: not measured (targets: ${labels.join(" ")}). `) +
    `100 MB − 1 upload through a fresh router: ${JSON.stringify(results.streaming.upstream)} at the replica, RSS ${num(results.streaming.rssBeforeMB, 1)} → ${num(results.streaming.rssPeakMB, 1)} MB (${signed(results.streaming.rssGrowthMB, 1)}).`,
);
if (workersEffective === 1)
  lines.push(
    "",
    `The router has no worker support yet: the "${NAMES["router-wn"]}" column is a second 1-process router (log off), so its difference from "${NAMES.router}" is run-to-run noise.`,
  );
if (problems.length)
  lines.push("", "**Failed requests (the figures above are not valid):**", ...problems.map((p) => `- ${p}`));
console.log(`\n== results: ${out}/results.json\n`);
console.log(lines.join("\n"));
if (problems.length) process.exitCode = 1;
