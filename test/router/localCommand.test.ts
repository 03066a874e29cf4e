/**
 * `aksml local` end to end, in a child process exactly as `npm run local` runs it:
 * the shipped example config, real scorer replicas, a request with the key, SIGTERM
 * stopping the router and its replicas. Plus the config file's validation.
 */
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { LocalConfigError, validateLocalConfig } from "../../cli/local/config.js";
import { curlFor } from "../../cli/local/command.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLE = "examples/local/aksml-local.json";

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

function startLocal(args: string[]): {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
} {
  const proc = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", "local", ...args], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`, AKSML_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let out = "";
  let err = "";
  proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, out: () => out, err: () => err, exited };
}

async function until<T>(f: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

describe("aksml local (child process)", () => {
  it("serves the example: the key scores, no key is 401, SIGTERM stops router and replicas", async () => {
    const run = startLocal([EXAMPLE, "--port", "0", "--admin-port", "0"]);
    const dataUrl = await until(
      () => /router listening on (http:\/\/\S+)/.exec(run.out())?.[1],
      30_000,
      "the router to listen",
    );
    expect(run.out()).toContain(`scoring URL: ${dataUrl}/api/v1/service/house-prices/score`);
    expect(run.out()).toMatch(
      /try: curl -s -X POST \S+\/api\/v1\/service\/house-prices\/score -H 'Authorization: Bearer DEV-ONLY-local-primary-key-not-a-secret'/,
    );
    const replicaPort = Number(
      /\[house-prices\/local-1\] scorer: .* listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.err())?.[1],
    );
    expect(replicaPort).toBeGreaterThan(0);

    const scored = await fetch(`${dataUrl}/api/v1/service/house-prices/score`, {
      method: "POST",
      headers: { authorization: "Bearer DEV-ONLY-local-primary-key-not-a-secret", "content-type": "application/json" },
      body: JSON.stringify({
        data: [
          [3, 80, 10],
          [1, 30, 50],
        ],
      }),
    });
    expect(scored.status).toBe(200);
    expect(await scored.json()).toEqual([232.5, 70.5]);
    const secondary = await fetch(`${dataUrl}/api/v1/service/house-prices/score`, {
      method: "POST",
      headers: { authorization: "Bearer DEV-ONLY-local-secondary-key-not-a-secret" },
      body: JSON.stringify({ data: [[1, 1, 1]] }),
    });
    expect(secondary.status).toBe(200);
    const swagger = await fetch(`${dataUrl}/api/v1/service/house-prices/swagger.json`, {
      headers: { authorization: "Bearer DEV-ONLY-local-primary-key-not-a-secret" },
    });
    expect(swagger.status).toBe(200);
    expect(await swagger.json()).toMatchObject({ swagger: "2.0", paths: { "/score": { post: {} } } });
    const denied = await fetch(`${dataUrl}/api/v1/service/house-prices/score`, { method: "POST", body: "{}" });
    expect(denied.status).toBe(401);
    await denied.body?.cancel();

    run.proc.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain("aksml local: stopped");
    expect(await accepts(replicaPort)).toBe(false);
    expect(await accepts(Number(new URL(dataUrl).port))).toBe(false);
  }, 60_000);

  it("exits 1 with every problem of a bad config file, naming the file and JSON paths", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aksml-local-"));
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({
        port: 99999,
        extra: true,
        services: [{ name: "Bad Name", command: "node x.mjs", config: { autoscale: { maxReplicas: 0 } } }],
      }),
    );
    const run = startLocal([file]);
    expect(await run.exited).toBe(1);
    const err = run.err();
    expect(err).toContain(file);
    for (const path of [
      "port:",
      "extra:",
      "services[0].name:",
      "services[0].command:",
      "services[0].config.autoscale.maxReplicas:",
    ])
      expect(err).toContain(path);
  }, 30_000);

  it("exits 2 on usage errors", async () => {
    const run = startLocal([]);
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain("usage: aksml local");
    // --port equal to the admin port used to die with a bare EADDRINUSE once listening.
    const clash = startLocal([EXAMPLE, "--port", "9091"]);
    expect(await clash.exited).toBe(2);
    expect(clash.err()).toContain("the data port and the admin port would both be 9091");
  }, 30_000);
});

describe("local config validation", () => {
  const ok = { services: [{ name: "m", command: "serve --port $PORT" }] };

  it("takes a capture folder relative to the file, or a storage account with the modeldata container by default", () => {
    expect(validateLocalConfig({ ...ok, capture: { dir: "data" } }, "/cfg/local.json").capture).toEqual({
      dir: "/cfg/data",
      container: "modeldata",
    });
    const azurite = "UseDevelopmentStorage=true";
    expect(validateLocalConfig({ ...ok, capture: { connectionString: azurite } }, "/cfg/local.json").capture).toEqual({
      connectionString: azurite,
      container: "modeldata",
    });
    expect(validateLocalConfig(ok, "/cfg/local.json").capture).toBeUndefined();
  });

  it("applies defaults, resolves cwd against the file, and generates keys when absent", () => {
    const dir = mkdtempSync(join(tmpdir(), "aksml-local-"));
    mkdirSync(join(dir, "models"));
    const c = validateLocalConfig({ ...ok, services: [{ ...ok.services[0], cwd: "models" }] }, join(dir, "local.json"));
    expect(c.port).toBe(8080);
    expect(c.adminPort).toBe(9091);
    expect(c.host).toBe("127.0.0.1");
    const s = c.services[0]!;
    expect(s.cwd).toBe(join(dir, "models"));
    expect(s.config.autoscale).toMatchObject({
      minReplicas: 1,
      maxReplicas: 10,
      targetUtilization: 70,
      scaleDownDelaySeconds: 60,
    });
    expect(s.generatedKeys).toBe(true);
    expect(s.keys!.primaryKey).not.toBe(s.keys!.secondaryKey);
    expect(s.keys!.primaryKey.length).toBeGreaterThanOrEqual(32);
    // A second load generates different keys.
    expect(validateLocalConfig(ok, "/x.json").services[0]!.keys!.primaryKey).not.toBe(s.keys!.primaryKey);
  });

  it.each([
    [{ services: [] }, "services:"],
    [{ ...ok, port: "8080" }, "port:"],
    [{ ...ok, host: "" }, "host:"],
    [{ services: [{ name: "m", command: "serve" }] }, "services[0].command: must use $PORT"],
    [{ services: [ok.services[0], ok.services[0]] }, "services[1].name: duplicate"],
    [{ services: [{ ...ok.services[0], env: { A: 1 } }] }, "services[0].env:"],
    [
      { services: [{ ...ok.services[0], keys: { primaryKey: "short", secondaryKey: "x".repeat(20) } }] },
      "services[0].keys.primaryKey:",
    ],
    [
      { services: [{ ...ok.services[0], keys: { primaryKey: "x".repeat(20), secondaryKey: "x".repeat(20) } }] },
      "services[0].keys.secondaryKey: must differ",
    ],
    [
      {
        services: [
          {
            ...ok.services[0],
            config: { auth: { mode: "none" } },
            keys: { primaryKey: "x".repeat(20), secondaryKey: "y".repeat(20) },
          },
        ],
      },
      "services[0].keys: are only used",
    ],
    [
      { services: [{ ...ok.services[0], config: { auth: { mode: "token", issuer: "login.example.com" } } }] },
      "services[0].config.auth.issuer: must be an http(s) URL",
    ],
    [
      {
        services: [
          {
            ...ok.services[0],
            config: { auth: { mode: "token" } },
            keys: { primaryKey: "x".repeat(20), secondaryKey: "y".repeat(20) },
          },
        ],
      },
      'services[0].keys: are only used with auth mode "key"',
    ],
    [
      { services: [{ ...ok.services[0], config: { numReplicas: 2, autoscale: { enabled: true } } }] },
      "services[0].config.numReplicas:",
    ],
    [{ services: [{ ...ok.services[0], replicas: 3 }] }, "services[0].replicas: unknown key"],
    // Keys no client can present in "Authorization: Bearer <key>" were accepted and answered 401 forever.
    [
      { services: [{ ...ok.services[0], keys: { primaryKey: "two words 0123456789", secondaryKey: "y".repeat(20) } }] },
      "services[0].keys.primaryKey: contains characters a Bearer credential cannot carry",
    ],
    [
      { services: [{ ...ok.services[0], keys: { primaryKey: "x".repeat(20), secondaryKey: "it's-a-key-0123456" } }] },
      "services[0].keys.secondaryKey: contains characters a Bearer credential cannot carry",
    ],
    // 200 replicas spawned 200 processes at once.
    [
      { services: [{ ...ok.services[0], config: { numReplicas: 200 } }] },
      "services[0].config.numReplicas: must be <= 16 locally",
    ],
    [
      { services: [{ ...ok.services[0], config: { autoscale: { maxReplicas: 17 } } }] },
      "services[0].config.autoscale.maxReplicas: must be <= 16 locally",
    ],
    // Past 2^31-1 ms a Node timer fires after 1 ms: every request got 504 at once.
    [
      { services: [{ ...ok.services[0], config: { scoringTimeoutMs: 2 ** 31 } }] },
      "services[0].config.scoringTimeoutMs: must be <= 3600000",
    ],
    [{ ...ok, port: 9091 }, "port: the data port and the admin port are both 9091"],
    [{ ...ok, port: 8000, adminPort: 8000 }, "adminPort: the data port and the admin port are both 8000"],
    // A missing cwd made every replica fail to spawn and be replaced forever, silently.
    [
      { services: [{ ...ok.services[0], cwd: "no-such-dir" }] },
      'services[0].cwd: "/cfg/no-such-dir" is not an existing directory',
    ],
    [
      { services: [{ ...ok.services[0], cwd: "/proc/version" }] },
      'services[0].cwd: "/proc/version" is not an existing directory',
    ],
    // Model data capture: one destination, a real container name, a bounded buffer.
    [{ ...ok, capture: "modeldata" }, "capture: must be an object"],
    [{ ...ok, capture: {} }, "capture: give exactly one of dir"],
    [
      { ...ok, capture: { dir: "d", connectionString: "UseDevelopmentStorage=true" } },
      "capture: give exactly one of dir",
    ],
    [
      { ...ok, capture: { connectionString: "https://x" } },
      "capture.connectionString: must be a storage connection string",
    ],
    [{ ...ok, capture: { dir: "d", container: "Model_Data" } }, "capture.container: must be a blob container name"],
    [{ ...ok, capture: { dir: "d", bufferBytes: 1024 } }, "capture.bufferBytes: must be an integer between 1048576"],
    [{ ...ok, capture: { dir: "d", flush: true } }, "capture.flush: unknown key"],
  ])("rejects %j (%s)", (raw, expected) => {
    let error: unknown;
    try {
      validateLocalConfig(raw, "/cfg/local.json");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LocalConfigError);
    expect((error as Error).message).toContain("/cfg/local.json");
    expect((error as Error).message).toContain(expected);
  });

  it("token auth without an issuer uses aksml local's own; a named issuer is kept", () => {
    const [builtIn, named] = validateLocalConfig(
      {
        services: [
          { name: "a", command: "serve --port $PORT", config: { auth: { mode: "token", requiredRole: "Score" } } },
          {
            name: "b",
            command: "serve --port $PORT",
            config: { auth: { mode: "token", issuer: "https://login.microsoftonline.com/t/v2.0", audience: "c" } },
          },
        ],
      },
      "/x.json",
    ).services;
    expect(builtIn).toMatchObject({ builtInIssuer: true, keys: undefined, generatedKeys: false });
    expect(builtIn!.config.auth).toMatchObject({
      mode: "token",
      audience: "api://aksml-local/a",
      requiredRole: "Score",
    });
    expect(named).toMatchObject({ builtInIssuer: false });
    expect(named!.config.auth).toMatchObject({ issuer: "https://login.microsoftonline.com/t/v2.0", audience: "c" });
  });

  it("prints a curl that quotes the key and body for the shell", () => {
    const s = validateLocalConfig(
      {
        services: [
          {
            ...ok.services[0],
            keys: { primaryKey: "a-key/0123456789+=", secondaryKey: "y".repeat(20) },
            sampleRequest: { data: [["o'k"]] },
          },
        ],
      },
      "/x.json",
    ).services[0]!;
    expect(curlFor(s, "http://127.0.0.1:8080")).toBe(
      `curl -s -X POST http://127.0.0.1:8080/api/v1/service/m/score -H 'Authorization: Bearer a-key/0123456789+=' -H 'Content-Type: application/json' -d '{"data":[["o'\\''k"]]}'`,
    );
  });
});
