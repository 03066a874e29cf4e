/**
 * `--format svg`: the DOT picture laid out by Graphviz compiled to WebAssembly
 * (@hpcc-js/wasm-graphviz), so no system Graphviz is needed. The same graph gives the
 * same SVG (the README's picture is regenerated and compared by a test).
 */
import type { PlanGraph } from "../../../preview/capturedGraph.js";
import { renderDot } from "./dot.js";

export async function renderSvg(graph: PlanGraph): Promise<string> {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const graphviz = await Graphviz.load();
  return graphviz.dot(renderDot(graph), "svg");
}
