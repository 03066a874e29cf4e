/**
 * `--format png`: the SVG picture rasterized by resvg compiled to WebAssembly, with the
 * DejaVu Sans font from npm (WebAssembly sees no system fonts), on a white background.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
/** Twice the SVG's size in points: sharp on high-density screens, readable when scaled down. */
const ZOOM = 2;

export async function renderPng(svg: string): Promise<Uint8Array> {
  const { initWasm, Resvg } = await import("@resvg/resvg-wasm");
  await initWasm(readFileSync(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
  const font = readFileSync(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"));
  const resvg = new Resvg(svg, {
    font: { fontBuffers: [font], defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
    fitTo: { mode: "zoom", value: ZOOM },
    background: "white",
  });
  return resvg.render().asPng();
}
