/**
 * The day-2 commands against `aksml local`, all real processes: `aksml local` with real
 * scorer replicas, and each command as its own `aksml` child process talking to the admin
 * API. Also what the admin API refuses, and keys edited in the config file being served
 * without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCliIn, startCli, until } from "./helpers/cliProcess.js";
import { SAMPLE, scorer, startLocal, type LocalRun } from "./helpers/localRun.js";

const PRIMARY = "local-primary-key-0123456789abcdef";
const SECONDARY = "local-secondary-key-0123456789abcdef";

let local: LocalRun;
const cli = (args: string[], extra: Record<string, string> = {}) =>
  runCliIn([...args, "--local", local.adminUrl], { ...local.env, ...extra });

async function score(service: string, credential?: string): Promise<number> {
  const res = await fetch(`${local.dataUrl}/api/v1/service/${service}/score`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
    body: SAMPLE,
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  local = await startLocal(
    [
      scorer(
        "house-prices",
        { numReplicas: 2, auth: { mode: "key" } },
        { keys: { primaryKey: PRIMARY, secondaryKey: SECONDARY } },
      ),
      scorer("tokened", { numReplicas: 1, auth: { mode: "token", requiredRole: "Score" } }),
      { name: "flaky", command: "echo 'model file missing' >&2; exit 3 # $PORT", config: { numReplicas: 1 } },
    ],
    { AKSML_LOG_LEVEL: "info" },
  );
}, 60_000);

afterAll(async () => {
  expect(await local?.stop()).toBe(0);
});

describe("aksml day-2 commands with --local (real processes)", () => {
  it("wait then list: state, replicas, auth mode and scoring URI of every service", async () => {
    const waited = await cli(["wait", "house-prices", "--timeout", "30s", "--poll-interval", "200ms"]);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toMatch(/^house-prices: Healthy \(2\/2 replicas ready\) after \d+ s$/m);
    const r = await cli(["list", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string }[];
    expect(rows.map((x) => x.name)).toEqual(["house-prices", "tokened", "flaky"]);
    expect(rows[0]).toMatchObject({
      state: "Healthy",
      replicas: { ready: 2, desired: 2 },
      authMode: "key",
      scoringUri: `${local.dataUrl}/api/v1/service/house-prices/score`,
    });
    expect(rows[1]).toMatchObject({ authMode: "token" });
  }, 60_000);

  it("state and wait of a crash-looping service: Failed with the reason, exit 1", async () => {
    const waited = await cli(["wait", "flaky", "--timeout", "60s", "--poll-interval", "200ms"]);
    expect(waited.code).toBe(1);
    expect(waited.stdout).toMatch(
      /flaky: Failed \(0\/1 replicas ready\): crash loop: replica local-\d+ exited with code 3 before answering GET \//,
    );
    const state = await cli(["state", "flaky", "--json"]);
    expect(JSON.parse(state.stdout)).toMatchObject({
      state: "Failed",
      reason: expect.stringContaining("failed starts in a row"),
    });
    const logs = await cli(["logs", "flaky", "--tail", "1"]);
    expect(logs.stdout).toMatch(/^\[local-\d+\] model file missing$/m);
  }, 90_000);

  it("keys and score with the key", async () => {
    const keys = await cli(["keys", "house-prices", "--json"]);
    expect(JSON.parse(keys.stdout)).toEqual({ primaryKey: PRIMARY, secondaryKey: SECONDARY });
    const scored = await cli(["score", "house-prices", "--data", SAMPLE, "--json"]);
    expect(scored.code, scored.stderr).toBe(0);
    expect(JSON.parse(scored.stdout)).toMatchObject({ status: 200, body: [232.5, 70.5] });
  }, 30_000);

  it("token: the built-in issuer's token (with refreshBy) scores 200, a forged one 401", async () => {
    const r = await cli(["token", "tokened", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as { accessToken: string; refreshBy: string; expiresOn: string };
    const refreshBy = Date.parse(t.refreshBy);
    expect(refreshBy).toBeGreaterThan(Date.now());
    expect(Date.parse(t.expiresOn) - refreshBy).toBe(5 * 60_000);
    expect(await score("tokened", t.accessToken)).toBe(200);
    const scored = await cli(["score", "tokened", "--data", SAMPLE]);
    expect(scored.code, scored.stderr).toBe(0);
    expect(scored.stdout.trim()).toBe("[232.5,70.5]");

    const [h, p] = t.accessToken.split(".");
    const forgedClaims = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p!, "base64url").toString()), roles: ["Admin", "Score"] }),
    ).toString("base64url");
    const forged = `${h}.${forgedClaims}.${t.accessToken.split(".")[2]}`;
    const denied = await cli(["score", "tokened", "--data", SAMPLE, "--token", forged]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("HTTP 401");
    expect(denied.stderr).toContain('error_description="bad signature"');
    expect(await score("tokened", "not.a.jwt")).toBe(401);
    // The issuer is OIDC-compatible: discovery names the JWKS, which holds the signing key.
    const discovery = (await (await fetch(`${local.adminUrl}/oidc/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(`${local.adminUrl}/oidc`);
    expect(((await (await fetch(discovery.jwks_uri)).json()) as { keys: unknown[] }).keys).toHaveLength(1);
  }, 30_000);

  it("regen-key writes the new key to the config file; the other key keeps working; old key refused", async () => {
    const r = await cli(["regen-key", "house-prices", "--key", "primary", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { primaryKey: string; secondaryKey: string; persisted: string };
    expect(report.secondaryKey).toBe(SECONDARY);
    expect(report.persisted).toBe(`config file ${local.configFile}`);
    const file = JSON.parse(readFileSync(local.configFile, "utf8")) as { services: { keys?: object }[] };
    expect(file.services[0]!.keys).toEqual({ primaryKey: report.primaryKey, secondaryKey: SECONDARY });
    expect(await score("house-prices", report.primaryKey)).toBe(200);
    expect(await score("house-prices", SECONDARY)).toBe(200);
    expect(await score("house-prices", PRIMARY)).toBe(401);
  }, 30_000);

  it("an edit of the keys in the config file is served without a restart", async () => {
    const before = readFileSync(local.configFile, "utf8");
    const edited = "edited-secondary-key-0123456789abcdef";
    writeFileSync(local.configFile, before.replace(SECONDARY, edited));
    await until(
      async () => (await score("house-prices", edited)) === 200 || undefined,
      "the edited key to be served",
      10_000,
    );
    expect(await score("house-prices", SECONDARY)).toBe(401);
    expect(local.proc.out()).toContain(`house-prices: keys reloaded from ${local.configFile}`);
    // An invalid edit is reported and changes nothing.
    writeFileSync(local.configFile, "{ not json");
    await until(() => local.proc.out().includes("not valid JSON"), "the invalid edit to be reported", 10_000);
    expect(await score("house-prices", edited)).toBe(200);
    writeFileSync(local.configFile, before.replace(SECONDARY, edited));
  }, 30_000);

  it("logs: the replicas' lines, --replica, --follow; --router the router's own", async () => {
    const all = await cli(["logs", "house-prices", "--tail", "1"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^\[local-1\] scorer: house-price-linear listening on/m);
    expect(all.stdout).toMatch(/^\[local-2\] scorer: house-price-linear listening on/m);
    const one = await cli(["logs", "house-prices", "--replica", "local-2", "--json"]);
    const lines = one.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { source: string; at: string; text: string });
    expect(lines.every((l) => l.source === "local-2" && !Number.isNaN(Date.parse(l.at)))).toBe(true);
    const router = await cli(["logs", "--router", "--tail", "50"]);
    expect(router.stdout).toMatch(/^\[router\] \{.*"msg":"router started"/m);

    const follow = startCli(["logs", "--router", "--follow", "--tail", "0", "--local", local.adminUrl], local.env);
    // Requests the router logs (401s), until the follower, once connected, shows one.
    await until(async () => {
      await score("house-prices", PRIMARY);
      return follow.out().includes('"status":401');
    }, "a followed router line");
    follow.proc.kill("SIGINT");
    expect(await follow.exited).toBe(0);
  }, 30_000);
});

describe("bad input with --local: one line saying what to do, nothing changed", () => {
  it("unknown service, keys of a token service, a token for a key service", async () => {
    const unknown = await cli(["state", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      'aksml state: no service "nope" in this aksml local; services: house-prices, tokened, flaky',
    );
    const keys = await cli(["keys", "tokened"]);
    expect(keys.code).toBe(1);
    expect(keys.stderr.trim()).toBe("aksml keys: service tokened uses token auth and has no keys");
    const token = await cli(["token", "house-prices"]);
    expect(token.code).toBe(1);
    expect(token.stderr.trim()).toBe(
      "aksml token: service house-prices uses key auth; tokens are for token-auth services",
    );
    const regen = await cli(["regen-key", "tokened", "--key", "secondary"]);
    expect(regen.code).toBe(1);
  }, 30_000);

  it("no aksml local at that address, and a wrong admin token", async () => {
    const none = await runCliIn(["list", "--local", "http://127.0.0.1:9"], local.env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /no aksml local is running with its admin API at http:\/\/127\.0\.0\.1:9 \(no \S+admin-9\.json\); start aksml local/,
    );
    const wrong = await cli(["keys", "house-prices"], { AKSML_LOCAL_ADMIN_TOKEN: "not-the-admin-token" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("refused the admin token");
  }, 30_000);

  it("the admin API returns keys and tokens only with the admin token from a 0600 file", async () => {
    for (const path of ["/admin/v1/services", "/admin/v1/services/house-prices/keys"]) {
      const res = await fetch(`${local.adminUrl}${path}`);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(PRIMARY);
    }
    const minted = await fetch(`${local.adminUrl}/admin/v1/services/tokened/token`, {
      method: "POST",
      headers: { authorization: "Bearer guess" },
    });
    expect(minted.status).toBe(401);
    const port = new URL(local.adminUrl).port;
    const stateFile = join(local.dir, "state", "aksml", "local", `admin-${port}.json`);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(local.dir, "state", "aksml", "local")).mode & 0o777).toBe(0o700);
    const { token } = JSON.parse(readFileSync(stateFile, "utf8")) as { token: string };
    const big = await fetch(`${local.adminUrl}/admin/v1/services/house-prices/regen-key`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ key: "primary", value: "x".repeat(20_000) }),
    });
    expect(big.status).toBe(413);
    const bad = await fetch(`${local.adminUrl}/admin/v1/services/house-prices/regen-key`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ key: "primary", value: "short" }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      "the key must be at least 16 characters, got 5",
    );
  }, 30_000);
});
