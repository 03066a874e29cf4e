// Model files are found through symbolic links too (e.g. Hugging Face snapshot folders,
// whose files are links into a blob store): none may be silently left out.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { modelFiles } from "../../components/modelWebservice/models.js";

describe("model files", () => {
  it("follows symbolic links to files and folders", () => {
    const root = mkdtempSync(join(tmpdir(), "aksml-model-links-"));
    mkdirSync(join(root, "blobs"));
    writeFileSync(join(root, "blobs", "weights"), "W");
    mkdirSync(join(root, "shared"));
    writeFileSync(join(root, "shared", "vocab.txt"), "V");
    const snapshot = join(root, "snapshot");
    mkdirSync(snapshot);
    writeFileSync(join(snapshot, "config.json"), "{}");
    symlinkSync(join(root, "blobs", "weights"), join(snapshot, "model.safetensors"));
    symlinkSync(join(root, "shared"), join(snapshot, "tokenizer"));
    symlinkSync(join(root, "missing"), join(snapshot, "dangling"));

    const files = modelFiles([{ name: "llm", version: 1, path: snapshot }]);
    expect(files.map((f) => f.path)).toEqual([
      "llm/1/snapshot/config.json",
      "llm/1/snapshot/model.safetensors",
      "llm/1/snapshot/tokenizer/vocab.txt",
    ]);
    expect(files[1].sha256).toBe(createHash("sha256").update("W").digest("hex"));
  });
});
