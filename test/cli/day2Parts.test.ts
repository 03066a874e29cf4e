/**
 * The day-2 building blocks in-process: keys as regen-key makes them, the config file's
 * key rewrite, aksml local's log store bounds and state rule, `--local` parsing, durations,
 * and the refreshBy rule for Entra ID tokens.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKey, keyValueProblem, rotatedKeys } from "../../cli/day2/keyValues.js";
import { persistKey } from "../../cli/local/configKeys.js";
import { LogStore, TooManyFollowersError } from "../../router/backends/local/logStore.js";
import { localServiceState } from "../../cli/local/localServiceState.js";
import { extractLocal, parseDuration } from "../../cli/day2/commandLine.js";
import { localAdminUrl } from "../../cli/day2/local/localTarget.js";
import { entraTenantOf, refreshByOf, scopeFor, tokenMismatch } from "../../cli/day2/entraToken.js";
import { bearerCredential } from "../../router/auth/authenticate.js";

describe("keys", () => {
  it("generated keys are 32 alphanumerics the router accepts, and differ", () => {
    const keys = new Set(Array.from({ length: 50 }, generateKey));
    expect(keys.size).toBe(50);
    for (const k of keys) {
      expect(k).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(bearerCredential(`Bearer ${k}`)).toBe(k);
    }
  });

  it("rotation changes one slot; a given key must be valid and differ from the other", () => {
    const current = { primaryKey: "p".repeat(20), secondaryKey: "s".repeat(20) };
    const next = rotatedKeys(current, "secondary");
    expect(next.primaryKey).toBe(current.primaryKey);
    expect(next.secondaryKey).not.toBe(current.secondaryKey);
    expect(rotatedKeys(current, "primary", "given-key-0123456789").primaryKey).toBe("given-key-0123456789");
    expect(() => rotatedKeys(current, "primary", "s".repeat(20))).toThrow("must differ from the secondary key");
    expect(keyValueProblem("short")).toBe("the key must be at least 16 characters, got 5");
    expect(keyValueProblem("has a space in it, sixteen+")).toContain("characters a Bearer credential cannot carry");
    expect(keyValueProblem("x".repeat(9000))).toContain("an Authorization header carries at most 8185");
    expect(keyValueProblem("x".repeat(300))).toBeUndefined();
  });
});

describe("the config file as the owner of local keys", () => {
  const file = () => {
    const f = join(mkdtempSync(join(tmpdir(), "aksml-keys-")), "c.json");
    writeFileSync(
      f,
      '{\n  "services": [\n    { "name": "a", "command": "x $PORT",\n      "keys": { "primaryKey": "aaaaaaaaaaaaaaaaaaaa", "secondaryKey": "bbbbbbbbbbbbbbbbbbbb" } }\n  ]\n}\n',
    );
    chmodSync(f, 0o640);
    return f;
  };

  it("replaces only the key's text and keeps the file's mode", () => {
    const f = file();
    const before = readFileSync(f, "utf8");
    expect(persistKey(f, "a", "aaaaaaaaaaaaaaaaaaaa", "cccccccccccccccccccc")).toEqual({ persisted: true });
    expect(readFileSync(f, "utf8")).toBe(before.replace("aaaaaaaaaaaaaaaaaaaa", "cccccccccccccccccccc"));
    expect(statSync(f).mode & 0o777).toBe(0o640);
  });

  it("refuses when the key is not there exactly once, or is not that service's", () => {
    const f = file();
    writeFileSync(f, readFileSync(f, "utf8").replace('"x $PORT"', '"x $PORT", "env": { "K": "aaaaaaaaaaaaaaaaaaaa" }'));
    const before = readFileSync(f, "utf8");
    expect(persistKey(f, "a", "aaaaaaaaaaaaaaaaaaaa", "cccccccccccccccccccc")).toMatchObject({ persisted: false });
    expect(persistKey(f, "b", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc")).toMatchObject({
      persisted: false,
      why: expect.stringContaining("not the key of service b"),
    });
    expect(readFileSync(f, "utf8")).toBe(before);
  });
});

describe("aksml local's log store", () => {
  it("keeps the last lines per replica within line, byte and line-length bounds", () => {
    const store = new LogStore({ maxLinesPerSource: 3, maxBytesPerSource: 1000, maxLineBytes: 10 });
    for (let i = 0; i < 5; i++) store.append("local-1", `line ${i}`);
    store.append("local-2", "x".repeat(50));
    expect(store.tail(undefined, "local-1").map((l) => l.text)).toEqual(["line 2", "line 3", "line 4"]);
    expect(store.tail(undefined, "local-2")[0]!.text).toBe("xxxxxxxxxx …[line truncated]");
    expect(store.tail(1).map((l) => l.source)).toEqual(["local-1", "local-2"]);
  });

  it("keeps a few exited replicas' lines and bounds followers", () => {
    const store = new LogStore({ retainedExited: 2, maxFollowers: 1 });
    for (const r of ["r1", "r2", "r3"]) {
      store.append(r, "hello");
      store.retire(r);
    }
    expect(store.sources().map((s) => s.source)).toEqual(["r2", "r3"]);
    const seen: string[] = [];
    const stop = store.follow((l) => seen.push(l.text));
    expect(() => store.follow(() => undefined)).toThrow(TooManyFollowersError);
    store.append("r4", "live");
    stop();
    store.append("r4", "after");
    expect(seen).toEqual(["live"]);
  });
});

describe("aksml local's service state", () => {
  const status = (o: object) => ({
    name: "s",
    desired: 2,
    ready: 0,
    starting: 0,
    consecutiveFailures: 0,
    events: [],
    ...o,
  });
  it("maps replicas and failed starts to Azure ML states", () => {
    expect(localServiceState(status({ ready: 2 })).state).toBe("Healthy");
    expect(localServiceState(status({ ready: 1, starting: 1 }))).toMatchObject({
      state: "Transitioning",
      reason: "1/2 replicas ready, 1 starting",
    });
    const exited = { kind: "exited", message: "replica local-3 exited with code 1 before answering GET /", at: "t" };
    expect(localServiceState(status({ consecutiveFailures: 2, lastFailure: exited }))).toMatchObject({
      state: "Transitioning",
      reason: `restarting after: ${exited.message}`,
    });
    expect(localServiceState(status({ consecutiveFailures: 3, lastFailure: exited }))).toMatchObject({
      state: "Failed",
      reason: `crash loop: ${exited.message} (3 failed starts in a row)`,
    });
    const slow = { kind: "unhealthy", message: "replica local-3 did not answer GET / with 2xx within 60 s", at: "t" };
    expect(localServiceState(status({ consecutiveFailures: 3, lastFailure: slow })).state).toBe("Unhealthy");
  });
});

describe("command line", () => {
  it("--local takes an optional admin URL or port", () => {
    expect(extractLocal(["keys", "svc", "--local"])).toEqual({
      rest: ["keys", "svc"],
      local: undefined,
      isLocal: true,
    });
    expect(extractLocal(["--local", "9092", "svc"])).toMatchObject({ rest: ["svc"], local: "9092" });
    expect(extractLocal(["--local=http://127.0.0.1:1234", "svc"])).toMatchObject({ local: "http://127.0.0.1:1234" });
    expect(extractLocal(["svc"]).isLocal).toBe(false);
    expect(localAdminUrl(undefined)).toBe("http://127.0.0.1:9091");
    expect(localAdminUrl("9092")).toBe("http://127.0.0.1:9092");
    expect(() => localAdminUrl("ftp://x")).toThrow("http(s) URL");
  });

  it("durations", () => {
    expect(parseDuration("10m", "--timeout")).toBe(600_000);
    expect(parseDuration("90", "--timeout")).toBe(90_000);
    expect(parseDuration("250ms", "--timeout")).toBe(250);
    expect(() => parseDuration("soon", "--timeout")).toThrow("--timeout takes a duration");
  });
});

describe("Entra ID tokens", () => {
  it("scope, tenant, refreshBy", () => {
    expect(scopeFor("7f1c3a52-9d4e-4b8a-a6f1-2c3d4e5f6a7b")).toBe("7f1c3a52-9d4e-4b8a-a6f1-2c3d4e5f6a7b/.default");
    expect(scopeFor("api://aksml/svc/")).toBe("api://aksml/svc/.default");
    expect(entraTenantOf("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0")).toBe(
      "contoso.onmicrosoft.com",
    );
    expect(entraTenantOf("https://sts.windows.net/x/")).toBeUndefined();
    const now = Date.now();
    expect(refreshByOf({ expiresOnTimestamp: now + 3_600_000 })).toBe(now + 3_600_000 - 300_000);
    expect(refreshByOf({ expiresOnTimestamp: now + 3_600_000, refreshAfterTimestamp: now + 1_800_000 })).toBe(
      now + 1_800_000,
    );
    // A token with little life left: refresh half way, never after expiry.
    const short = refreshByOf({ expiresOnTimestamp: now + 60_000 });
    expect(short).toBeLessThan(now + 60_000);
    expect(short).toBeGreaterThan(now);
  });

  it("a token the router would refuse is explained", () => {
    const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;
    const auth = {
      mode: "token" as const,
      issuer: "https://login.microsoftonline.com/t/v2.0",
      audience: "client-id",
      additionalAudiences: ["api://client-id"],
      algorithms: ["RS256"],
    };
    expect(tokenMismatch(jwt({ aud: "client-id", iss: auth.issuer }), auth)).toBeUndefined();
    expect(tokenMismatch(jwt({ aud: "api://client-id", iss: auth.issuer }), auth)).toBeUndefined();
    expect(tokenMismatch(jwt({ aud: "00000003-0000-0000-c000-000000000000", iss: auth.issuer }), auth)).toContain(
      "is not one the service accepts",
    );
    expect(tokenMismatch(jwt({ aud: "client-id", iss: "https://sts.windows.net/t/" }), auth)).toContain("issuer");
  });
});
