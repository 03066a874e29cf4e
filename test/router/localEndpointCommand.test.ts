/**
 * `aksml local examples/local/aksml-endpoint.json` end to end, in a child process as a
 * user runs it: real scorer replicas for both versions, the endpoint described on
 * startup, its scoring URL answering with the version that served, its status on the
 * admin port and through `aksml endpoints --local` (the day-2 command, another child
 * process), SIGTERM stopping everything.
 */
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { until } from "./helpers/poll.js";
import type { EndpointStatus } from "../../router/endpoints/endpointStatus.js";
import { cleanEnv, runCliIn } from "../cli/helpers/cliProcess.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const KEY = "DEV-ONLY-local-endpoint-primary-key-not-a-secret";

let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

describe("aksml local with an endpoint (child process)", () => {
  it("describes the endpoint, serves it 80/20 naming the version, shows its status, and stops on SIGTERM", async () => {
    // Its own admin state directory: `aksml endpoints --local` finds the admin token there.
    const env = cleanEnv({ XDG_STATE_HOME: mkdtempSync(join(tmpdir(), "aksml-state-")), AKSML_LOG_LEVEL: "warn" });
    const proc = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "cli/main.ts",
        "local",
        "examples/local/aksml-endpoint.json",
        "--port",
        "0",
        "--admin-port",
        "0",
      ],
      {
        cwd: ROOT,
        env: { ...env, PATH: `${dirname(process.execPath)}:${env.PATH ?? ""}` },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child = proc;
    let out = "";
    proc.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    proc.stderr!.resume();
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    await until(() => /router listening on/.test(out), "the router to listen", 30_000);
    const [, dataUrl, adminUrl] = /router listening on (http:\/\/\S+) \(metrics: (http:\/\/\S+)\/metrics\)/.exec(out)!;
    expect(out).toContain(
      "endpoint house-prices (auth: key): v1 80% -> house-prices-v1 (default, control); v2 20% -> house-prices-v2",
    );
    expect(out).toContain(`scoring URL: ${dataUrl}/api/v1/service/house-prices/score`);
    expect(out).toMatch(
      /try: curl -s -X POST \S+\/house-prices\/score -H 'Authorization: Bearer DEV-ONLY-local-endpoint-primary/,
    );

    const versions: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${dataUrl}/api/v1/service/house-prices/score`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ data: [[3, 80, 10]] }),
      });
      expect(res.status).toBe(200);
      versions.push(res.headers.get("azureml-model-deployment")!);
    }
    expect(versions.filter((v) => v === "v2")).toHaveLength(2);
    const status = (await (await fetch(`${adminUrl}/endpoints`)).json()) as { endpoints: EndpointStatus[] };
    expect(status.endpoints[0]!.versions.map((v) => [v.version, v.livePercent, v.readyReplicas])).toEqual([
      ["v1", 80, 1],
      ["v2", 20, 1],
    ]);

    const shown = await runCliIn(["endpoints", "--local", adminUrl!], env);
    expect([shown.code, shown.stderr]).toEqual([0, ""]);
    expect(shown.stdout).toContain("endpoint house-prices, auth key");
    expect(shown.stdout).toMatch(/v1\s+house-prices-v1\s+80%\s+80%\s+-\s+default, control\s+\d+$/m);
    expect(shown.stdout).toMatch(/v2\s+house-prices-v2\s+20%\s+20%/);
    const json = await runCliIn(["endpoints", "house-prices", "--local", adminUrl!, "--json"], env);
    expect(JSON.parse(json.stdout).endpoints.map((e: EndpointStatus) => e.name)).toEqual(["house-prices"]);
    const unknown = await runCliIn(["endpoints", "nope", "--local", adminUrl!], env);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('no endpoint "nope"')]);

    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
