/** The router self-scaling decision (pure): up, then out, while routing is slow; down, then in, while CPU is low. */
import { describe, expect, it } from "vitest";
import {
  decideRouterSize,
  type RouterSample,
  type RouterSize,
  type SizeCeilings,
} from "../../router/autoscaler/routerSizing.js";
import { SELF_SCALING_DEFAULTS } from "../../router/autoscaler/selfScaling.js";

const CFG = { ...SELF_SCALING_DEFAULTS, upWindowSeconds: 10, downWindowSeconds: 20 };
/** One sample a second from t = 0 to t = `seconds`. */
const every = (seconds: number, f: (t: number) => Omit<RouterSample, "at">): RouterSample[] =>
  Array.from({ length: seconds + 1 }, (_, t) => ({ at: t * 1000, ...f(t) }));
const slow = (seconds: number) => every(seconds, () => ({ overheadP90Ms: 5, cpuCores: 1.5 }));
const using = (seconds: number, cpuCores: number) => every(seconds, () => ({ overheadP90Ms: 1, cpuCores }));
const size = (pods: number, cpu: number): RouterSize => ({ pods, cpu });

describe("decideRouterSize", () => {
  it.each<[string, RouterSample[], RouterSize, RouterSize, SizeCeilings?]>([
    // Slow routing: up first, then out.
    ["slow for the whole up window: one more core per pod", slow(10), size(3, 2), size(3, 3)],
    ["slow at the largest pod size: one more pod", slow(10), size(3, 4), size(4, 4)],
    ["slow at the largest size everywhere: hold", slow(10), size(10, 4), size(10, 4)],
    ["slow for less than the window: hold", slow(9), size(3, 2), size(3, 2)],
    [
      "one fast interval in the window: hold",
      every(10, (t) => ({ overheadP90Ms: t === 4 ? 1 : 5, cpuCores: 1 })),
      size(3, 2),
      size(3, 2),
    ],
    ["intervals without requests never count as slow", every(10, () => ({ cpuCores: 1 })), size(3, 2), size(3, 2)],
    ["a core count that did not fit: out instead", slow(10), size(3, 2), size(4, 2), { cpu: 2 }],
    ["a pod count that did not fit: hold", slow(10), size(5, 4), size(5, 4), { pods: 5 }],
    ["a ceiling above the size still lets it grow", slow(10), size(3, 2), size(3, 3), { cpu: 3 }],
    // Low CPU: down first, then in.
    ["CPU under half of one core fewer: one core fewer", using(20, 0.9), size(3, 3), size(3, 2)],
    ["CPU over half of one core fewer: hold", using(20, 1.1), size(3, 3), size(3, 3)],
    ["nearly idle with cores to spare: down, not in", using(20, 0.05), size(3, 2), size(3, 1)],
    ["at the smallest pod size, under the scale-in threshold: one pod fewer", using(20, 0.05), size(3, 1), size(2, 1)],
    ["at the smallest pod size, over the scale-in threshold: hold", using(20, 0.2), size(3, 1), size(3, 1)],
    ["at the smallest size everywhere: hold", using(20, 0), size(2, 1), size(2, 1)],
    ["low CPU for less than the down window: hold", using(19, 0.05), size(3, 1), size(3, 1)],
    [
      "one busy interval in the down window: hold",
      every(20, (t) => ({ overheadP90Ms: 1, cpuCores: t === 15 ? 0.6 : 0.05 })),
      size(3, 2),
      size(3, 2),
    ],
    [
      "one slow interval in the down window: hold",
      every(20, (t) => ({ overheadP90Ms: t === 15 ? 5 : 1, cpuCores: 0.05 })),
      size(3, 2),
      size(3, 2),
    ],
    ["ceilings never stop shrinking", using(20, 0.05), size(3, 2), size(3, 1), { cpu: 1, pods: 2 }],
    // Outside the bounds (e.g. changed by hand): brought inside them.
    ["too few pods and too many cores: both corrected", using(1, 1), size(1, 6), size(2, 4)],
    ["too many pods: corrected even while slow", slow(10), size(12, 2), size(10, 2)],
  ])("%s", (_what, samples, current, expected, ceilings) => {
    expect(decideRouterSize(samples, current, CFG, samples.at(-1)!.at, ceilings)).toEqual(expected);
  });

  it("with one CPU size (a backend that cannot resize pods) it scales out and in only", () => {
    const fixed = { ...CFG, minCpuPerPod: 1, maxCpuPerPod: 1 };
    expect(decideRouterSize(slow(10), size(3, 1), fixed, 10_000)).toEqual(size(4, 1));
    expect(decideRouterSize(using(20, 0.05), size(3, 1), fixed, 20_000)).toEqual(size(2, 1));
  });
});
