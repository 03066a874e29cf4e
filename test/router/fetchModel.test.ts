import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { WorkloadIdentityCredential, DefaultAzureCredential } from "@azure/identity";
import { credential, run } from "../../router/fetchModel/command.js";
import {
  CONNECTION_STRING_ENV,
  DEFAULT_CACHE_MAX_BYTES,
  formatFetchModelArgs,
  formatPrepareCacheArgs,
  parseFetchModelArgs,
  parsePrepareCacheArgs,
} from "../../router/contract/fetchModelArgs.js";
import { startAzurite, type Azurite } from "./fetchModelAzurite.js";

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
let azurite: Azurite;
let container: ContainerClient;
const files = {
  weights: Buffer.from(JSON.stringify({ coef: [0.5, -1.25, 2], intercept: 0.1 })),
  vocab: Buffer.from("alpha\nbeta\ngamma\n"),
  big: Buffer.alloc(3 * 1024 * 1024 + 17, 7),
};

async function upload(name: string, data: Buffer) {
  await container.getBlockBlobClient(name).uploadData(data);
}

/** Runs the command in-process, capturing stderr. */
async function runCaptured(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: any) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    return { code: await run(argv), stderr };
  } finally {
    spy.mockRestore();
    out.mockRestore();
  }
}

const argsFor = (dest: string, blobs: { blob: string; path: string }[]) => [
  "fetch-model",
  ...formatFetchModelArgs({ container: "models", dest, blobs }),
];

beforeAll(async () => {
  azurite = await startAzurite();
  process.env[CONNECTION_STRING_ENV] = azurite.connectionString;
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("models");
  await container.create();
  for (const data of Object.values(files)) await upload(`default/svc/${sha(data)}`, data);
  await upload(`default/svc/${sha("what the name promises")}`, Buffer.from("something else"));
});

afterAll(async () => {
  delete process.env[CONNECTION_STRING_ENV];
  await azurite?.stop();
});

describe("fetch-model against Azurite", () => {
  it("downloads every listed blob into the model folder, verified by content hash", async () => {
    const dest = mkdtempSync(join(tmpdir(), "aksml-models-"));
    const blobs = [
      { blob: `default/svc/${sha(files.weights)}`, path: "linear/1/model.json" },
      { blob: `default/svc/${sha(files.vocab)}`, path: "linear/1/assets/vocab.txt" },
      { blob: `default/svc/${sha(files.big)}`, path: "big/3/weights.bin" },
    ];
    const { code, stderr } = await runCaptured(argsFor(dest, blobs));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(readFileSync(join(dest, "linear/1/model.json"))).toEqual(files.weights);
    expect(readFileSync(join(dest, "linear/1/assets/vocab.txt"))).toEqual(files.vocab);
    expect(sha(readFileSync(join(dest, "big/3/weights.bin")))).toBe(sha(files.big));
    expect(readdirSync(join(dest, "big/3"))).toEqual(["weights.bin"]);
  });

  it("a missing blob is a clear error and exit code 1", async () => {
    const dest = mkdtempSync(join(tmpdir(), "aksml-models-"));
    const missing = `default/svc/${sha("never uploaded")}`;
    const { code, stderr } = await runCaptured(argsFor(dest, [{ blob: missing, path: "m/1/x.bin" }]));
    expect(code).toBe(1);
    expect(stderr).toContain(`blob ${missing} is missing from container models`);
    expect(existsSync(join(dest, "m/1/x.bin"))).toBe(false);
  });

  it("a corrupted blob (content does not match its name) is a clear error, exit code 1, and leaves no file behind", async () => {
    const dest = mkdtempSync(join(tmpdir(), "aksml-models-"));
    const bad = `default/svc/${sha("what the name promises")}`;
    const good = `default/svc/${sha(files.vocab)}`;
    const { code, stderr } = await runCaptured(
      argsFor(dest, [
        { blob: good, path: "m/1/vocab.txt" },
        { blob: bad, path: "m/1/model.bin" },
      ]),
    );
    expect(code).toBe(1);
    expect(stderr).toContain(`blob ${bad} is corrupted: its content has SHA-256 ${sha("something else")}`);
    expect(existsSync(join(dest, "m/1/model.bin"))).toBe(false);
    expect(readdirSync(join(dest, "m/1"))).toEqual(["vocab.txt"]);
  });

  it("exits non-zero as a real process (what the init container sees)", () => {
    const dest = mkdtempSync(join(tmpdir(), "aksml-models-"));
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const script = `import("./router/fetchModel/command.ts").then((m) => m.run(process.argv.slice(1))).then((c) => process.exit(c))`;
    const argv = argsFor(dest, [{ blob: `default/svc/${sha("absent")}`, path: "a/1/a" }]);
    const res = spawnSync(process.execPath, ["--import", "tsx", "-e", script, "--", ...argv], {
      cwd: root,
      env: { ...process.env },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("is missing from container models");
  });
});

describe("fetch-model arguments", () => {
  it("format and parse are inverses", () => {
    const args = {
      accountUrl: "https://acct.blob.core.windows.net/",
      container: "models",
      dest: "/var/azureml-app/azureml-models",
      blobs: [{ blob: `ns/s/${"a".repeat(64)}`, path: "m/1/model.pkl" }],
    };
    expect(parseFetchModelArgs(["fetch-model", ...formatFetchModelArgs(args)])).toEqual({ ok: true, args });
    // Models by reference (a "#" or "=" in the path is fine: the URL ends at its first "#") and the node cache.
    const full = {
      ...args,
      urls: [
        {
          url: "https://other.blob.core.windows.net/shared/resnet/v2/model%23final.onnx",
          sha256: "c".repeat(64),
          path: "resnet/2/model=final#2.onnx",
        },
      ],
      cacheDir: "/var/lib/aksml/model-cache",
      cacheMaxBytes: 1024,
    };
    expect(parseFetchModelArgs(formatFetchModelArgs(full))).toEqual({ ok: true, args: full });
    const defaulted = parseFetchModelArgs(formatFetchModelArgs({ ...args, cacheDir: "/c" }));
    expect(defaulted.ok && defaulted.args.cacheMaxBytes).toBe(DEFAULT_CACHE_MAX_BYTES);
    expect(parsePrepareCacheArgs(["fetch-model", ...formatPrepareCacheArgs("/c")])).toEqual({
      ok: true,
      cacheDir: "/c",
    });
    expect(parsePrepareCacheArgs(formatFetchModelArgs(args))).toBeUndefined();
  });

  const h = "b".repeat(64);
  const usage: [string, string[], string][] = [
    ["no container", ["--dest", "/d", "--blob", `x/${h}=a`], "--container is required"],
    ["no dest", ["--container", "c", "--blob", `x/${h}=a`], "--dest is required"],
    ["no blobs", ["--container", "c", "--dest", "/d"], "at least one --blob"],
    [
      "blob without hash",
      ["--container", "c", "--dest", "/d", "--blob", "model.pkl=a"],
      "must end with the 64-hex SHA-256",
    ],
    ["path escaping dest", ["--container", "c", "--dest", "/d", "--blob", `x/${h}=../etc/passwd`], "must be relative"],
    ["absolute path", ["--container", "c", "--dest", "/d", "--blob", `x/${h}=/etc/passwd`], "must be relative"],
    ["unknown flag", ["--container", "c", "--dest", "/d", "--blob", `x/${h}=a`, "--sas", "x"], "unknown argument"],
    ["flag without value", ["--container", "c", "--dest"], "--dest needs a value"],
    [
      "blob url without hash",
      ["--dest", "/d", "--blob-url", "https://a.blob/c/m.onnx=m/1/m"],
      "#sha256=<64 lowercase hex>",
    ],
    [
      "blob url with a SAS",
      ["--dest", "/d", "--blob-url", `https://a.blob/c/m?sig=x#sha256=${h}=m/1/m`],
      "without a query string (no SAS)",
    ],
    [
      "blob url path escaping dest",
      ["--dest", "/d", "--blob-url", `https://a/c/m#sha256=${h}=../m`],
      "must be relative",
    ],
    [
      "cache bound not a number",
      ["--dest", "/d", "--blob", `x/${h}=a`, "--cache-dir", "/c", "--cache-max-bytes", "1e9"],
      "--cache-max-bytes must be a whole number of bytes",
    ],
    [
      "cache bound without cache",
      ["--dest", "/d", "--blob", `x/${h}=a`, "--cache-max-bytes", "1"],
      "--cache-max-bytes needs --cache-dir",
    ],
    [
      "relative cache dir",
      ["--dest", "/d", "--blob", `x/${h}=a`, "--cache-dir", "c"],
      "--cache-dir needs an absolute folder",
    ],
    ["prepare-cache with more", ["--prepare-cache", "/c", "--dest", "/d"], "--prepare-cache takes one folder"],
    ["prepare-cache relative", ["--prepare-cache", "c"], "--prepare-cache needs an absolute folder"],
    [
      "bad account url",
      ["--account-url", "acct", "--container", "c", "--dest", "/d", "--blob", `x/${h}=a`],
      "--account-url must be an http(s) URL",
    ],
  ];
  it("without a connection string it needs --account-url, and uses the pod's workload identity when injected", async () => {
    const saved = process.env[CONNECTION_STRING_ENV];
    delete process.env[CONNECTION_STRING_ENV];
    try {
      const { code, stderr } = await runCaptured([
        "--container",
        "c",
        "--dest",
        "/d",
        "--blob",
        `x/${"b".repeat(64)}=a`,
      ]);
      expect(code).toBe(2);
      expect(stderr).toContain(`--account-url is required unless ${CONNECTION_STRING_ENV} is set`);
      // A model by reference must be on Azure Storage: the pod's token goes to the URL's host.
      const elsewhere = await runCaptured([
        "--dest",
        "/d",
        "--blob-url",
        `https://models.example.com/c/m.onnx#sha256=${"b".repeat(64)}=m/1/m.onnx`,
      ]);
      expect(elsewhere.code).toBe(2);
      expect(elsewhere.stderr).toContain("not an Azure Storage blob endpoint");
    } finally {
      process.env[CONNECTION_STRING_ENV] = saved;
    }
    const wi = {
      AZURE_FEDERATED_TOKEN_FILE: "/var/run/secrets/azure/tokens/azure-identity-token",
      AZURE_CLIENT_ID: "00000000-0000-0000-0000-000000000001",
      AZURE_TENANT_ID: "00000000-0000-0000-0000-000000000002",
    };
    const before = { ...process.env };
    Object.assign(process.env, wi);
    try {
      expect(credential(process.env)).toBeInstanceOf(WorkloadIdentityCredential);
    } finally {
      for (const k of Object.keys(wi)) if (!(k in before)) delete process.env[k];
    }
    expect(credential({})).toBeInstanceOf(DefaultAzureCredential);
  });

  it.each(usage)("usage error: %s -> exit 2", async (_l, argv, message) => {
    const { code, stderr } = await runCaptured(argv);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
