// diffPlans: resources matched by URN between two `--json` plan documents.
import { describe, expect, it } from "vitest";
import { diffPlans, planResources, renderDiff } from "../../cli/plan/render/diff.js";

const r = (urn: string, inputs: Record<string, unknown> = {}) => ({ urn, type: "t:m:R", name: urn, inputs });

describe("diffPlans", () => {
  it("names added, changed (with the inputs that differ) and removed resources, and counts the rest", () => {
    const diff = diffPlans(
      [r("a", { x: 1, y: [1] }), r("b", { s: "[secret]" }), r("gone")],
      [r("a", { x: 2, y: [1], z: true }), r("b", { s: "[secret]" }), r("new")],
    );
    expect(diff).toEqual({
      added: [{ urn: "new", type: "t:m:R", name: "new" }],
      changed: [{ urn: "a", type: "t:m:R", name: "a", inputs: ["x", "z"] }],
      removed: [{ urn: "gone", type: "t:m:R", name: "gone" }],
      unchanged: 1,
    });
    expect(renderDiff(diff, "before.json")).toBe(
      [
        "Changes since before.json:",
        "",
        "  + t:m:R  new",
        "  ~ t:m:R  a  (x, z)",
        "  - t:m:R  gone",
        "",
        "Resources: 1 to add, 1 to change, 1 to remove, 1 unchanged",
        "",
      ].join("\n"),
    );
  });

  it("accepts only plan documents, and says why a failed plan cannot be compared", () => {
    expect(() => planResources({ version: 1, errors: [] }, "f.json")).toThrow("f.json is the plan of a failed program");
    expect(() => planResources([], "f.json")).toThrow("is not an `aksml plan --json` document");
    expect(planResources({ version: 1, resources: [] }, "f.json")).toEqual([]);
  });
});
