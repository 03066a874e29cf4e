// Top self-time functions of a V8 .cpuprofile (node --cpu-prof), for BENCH_CPU_PROF=1, and
// the self time by component (npm package, router source file, node core module, or native).
// Native entries (writev, read) include the kernel's loopback TCP work done inside the call.
//   node bench/router/profileTop.mjs <file.cpuprofile> [count=15] [skip-ms=0]
// skip-ms drops the samples of the profile's first milliseconds (start-up, module loading).
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const [file, countArg, skipArg] = process.argv.slice(2);
const count = Number(countArg ?? 15);
const skipUs = Number(skipArg ?? 0) * 1000;
const profile = JSON.parse(readFileSync(file, "utf8"));
const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
const componentUs = new Map();
let totalUs = 0;
function component(url, functionName) {
  if (!url) return `(native) ${functionName}`;
  const pkg = url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  if (url.startsWith("node:")) return url;
  const own = url.match(/\/router\/dist\/(.*)$/) ?? url.match(/\/bench\/router\/(.*)$/);
  return own ? (url.includes("/router/dist/") ? `router/dist/${own[1]}` : `bench/router/${own[1]}`) : url;
}
let elapsedUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  elapsedUs += dt;
  if (elapsedUs < skipUs) continue;
  const node = nodeById.get(profile.samples[i]);
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    ? `${url.replace(/^.*\/(node_modules|router\/dist|bench\/router)\//, "$1/")}:${lineNumber + 1}`
    : "";
  const key = `${functionName || "(anonymous)"} ${where}`.trim();
  selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  const c = component(url, functionName);
  componentUs.set(c, (componentUs.get(c) ?? 0) + dt);
  totalUs += dt;
}
const idleUs = [...selfUs].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, v]) => a + v, 0);
const busyUs = totalUs - idleUs;
console.log(`== ${basename(file)}: ${(busyUs / 1e6).toFixed(2)} s busy of ${(totalUs / 1e6).toFixed(2)} s sampled`);
const top = (map, title) => {
  console.log(`  self %  self ms  ${title}`);
  const rows = [...map].filter(([k]) => !k.includes("(idle)")).sort((a, b) => b[1] - a[1]);
  for (const [key, us] of rows.slice(0, count))
    console.log(`${((us / busyUs) * 100).toFixed(1).padStart(8)} ${(us / 1000).toFixed(0).padStart(8)}  ${key}`);
};
top(selfUs, "function (location)");
top(componentUs, "component");
