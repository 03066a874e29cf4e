/** The router's cluster settings from its environment: the watched namespaces and the peer secret (file). */
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRouterConfig, RouterConfigError } from "../../router/config.js";
import { FilePeerSecret } from "../../router/backends/kubernetes/peerSecret.js";

describe("watched namespaces", () => {
  it("default to the default namespace (ModelWebservice's), and are read as a comma-separated list", () => {
    expect(loadRouterConfig({}).watchNamespaces).toEqual(["default"]);
    expect(loadRouterConfig({ AKSML_WATCH_NAMESPACES: "team-a, team-b" }).watchNamespaces).toEqual([
      "team-a",
      "team-b",
    ]);
  });

  it.each([
    ["Team-A", "not a namespace name"],
    ["a,,b", "an empty name"],
    ["a,b,a", "a duplicate"],
    [Array.from({ length: 21 }, (_, i) => `ns-${i}`).join(","), "more than 20"],
  ])("rejects %j (%s)", (value) => {
    expect(() => loadRouterConfig({ AKSML_WATCH_NAMESPACES: value })).toThrow(
      /AKSML_WATCH_NAMESPACES must be 1 to 20 distinct namespace names/,
    );
  });
});

describe("peer secret file", () => {
  it("is required once a lease makes several routers peers", () => {
    expect(() => loadRouterConfig({ AKSML_LEASE_NAME: "azureml-fe-leader" })).toThrow(
      /AKSML_PEER_SECRET_FILE must name the file holding the router peers' shared secret/,
    );
    expect(
      loadRouterConfig({ AKSML_LEASE_NAME: "azureml-fe-leader", AKSML_PEER_SECRET_FILE: "/s" }).peerSecretFile,
    ).toBe("/s");
  });
});

describe("FilePeerSecret", () => {
  it("reads the mounted secret, refuses a short one, follows a rotation and keeps the last good value", () => {
    const dir = mkdtempSync(join(tmpdir(), "aksml-secret-"));
    const file = join(dir, "secret");
    writeFileSync(file, "short\n");
    expect(() => new FilePeerSecret(file)).toThrow(RouterConfigError);
    expect(() => new FilePeerSecret(join(dir, "missing"))).toThrow(/AKSML_PEER_SECRET_FILE/);
    const first = "a".repeat(40);
    writeFileSync(file, `${first}\n`);
    let now = 0;
    const secret = new FilePeerSecret(file, undefined, 1000, () => now);
    expect(secret.current()).toBe(first);
    const rotated = "b".repeat(40);
    writeFileSync(file, rotated);
    expect(secret.current()).toBe(first); // not re-read yet
    now = 1000;
    expect(secret.current()).toBe(rotated);
    rmSync(file);
    now = 2000;
    expect(secret.current()).toBe(rotated);
  });
});
