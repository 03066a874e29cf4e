// The quickstart's sample model really scores: score.py's init()/run() (the Azure ML
// inference server contract) over linear-model.json, laid out as fetch-model lays it out.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MODEL = fileURLToPath(new URL("../../examples/quickstart/model/", import.meta.url));
const python = spawnSync("python3", ["--version"]).status === 0;

function score(body: unknown): any {
  const script = "import json,sys,score; score.init(); print(json.dumps(score.run(sys.stdin.read())))";
  const res = spawnSync("python3", ["-c", script], {
    cwd: `${MODEL}src`,
    input: JSON.stringify(body),
    env: { ...process.env, AZUREML_MODEL_DIR: MODEL },
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout);
}

describe.skipIf(!python)("quickstart sample model", () => {
  it("predicts intercept + coefficients . features for each row", () => {
    const model = JSON.parse(readFileSync(`${MODEL}linear-model.json`, "utf8")) as {
      coefficients: number[];
      intercept: number;
    };
    const rows = [
      [3, 100, 10],
      [2, 55, 40],
      [0, 0, 0],
    ];
    const expected = rows.map(
      (r) => Math.round((model.intercept + r.reduce((s, x, i) => s + x * model.coefficients[i], 0)) * 1e4) / 1e4,
    );
    expect(score({ data: rows })).toEqual({ predictions: expected });
  });

  it("explains a malformed row instead of crashing", () => {
    expect(score({ data: [[1, 2]] }).error).toContain("each row needs 3 values: rooms, area_m2, age_years");
  });
});
