// Values given as Outputs are validated once they resolve. In a Pulumi program the
// failure surfaces as the program's error (resources whose inputs depend on the
// settings fail to register); here exactly those rejections are collected and
// inspected, and any other rejection still reaches the runner.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, outputValue } from "../../preview/mockRuntime.js";
import { ModelWebservice } from "../../components/modelWebservice/index.js";
import { clusterConnection, routerConnection } from "./modelWebserviceFixtures.js";
import { expectRejectionsFrom, type ExpectedRejections } from "./expectedRejections.js";

let expected: ExpectedRejections;

beforeAll(async () => {
  expected = expectRejectionsFrom(
    ["late", "late-tags", "late-tag-value", "late-ns", "late-key"].map((n) => `ModelWebservice ${JSON.stringify(n)}`),
  );
  await startMockRuntime();
});

afterAll(() => expected.restore());

/** The rejection an Output of the service carries (outputValue would wait for a value instead). */
const rejectionOf = (o: unknown) =>
  (o as { promise(): Promise<unknown> }).promise().then(
    () => undefined,
    (e: unknown) => e,
  );

describe("ModelWebservice validation of values known only later", () => {
  it("an Output resolving to an invalid value fails with the same InputPropertiesError, and the dependent registrations fail with it", async () => {
    const svc = new ModelWebservice("late", {
      cluster: clusterConnection(),
      router: routerConnection(),
      image: "m:1",
      authEnabled: false,
      tokenAuthEnabled: pulumi.output(true),
      tokenIssuer: pulumi.output("not-a-url"),
      cpuCores: pulumi.output(0),
    });
    // outputValue waits for a value; the Output's own promise carries the rejection.
    const err = await (svc.tokenAudience as unknown as { promise(): Promise<unknown> }).promise().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual(["cpuCores", "tokenIssuer"]);
    await new Promise((r) => setTimeout(r, 200));
    const late = expected.seen.filter((r) => String((r as Error).message).includes('ModelWebservice "late" has'));
    expect(late.length).toBeGreaterThan(0);
    for (const r of late)
      expect(String((r as Error).message)).toContain(
        'ModelWebservice "late" has 2 invalid arguments (cpuCores, tokenIssuer)',
      );
  });

  it("valid Outputs pass", async () => {
    const svc = new ModelWebservice("later", {
      cluster: clusterConnection(),
      router: routerConnection(),
      image: "m:1",
      authEnabled: false,
      tokenAuthEnabled: pulumi.output(true),
      tokenIssuer: pulumi.output("https://login.example.com/t/v2.0"),
    });
    expect(await outputValue(svc.tokenAudience)).toBe("api://aksml/later");
  });
});

describe("ModelWebservice tags known only later", () => {
  it("tags given as an Output (or with Output values) are checked against the label rules once known", async () => {
    const svc = new ModelWebservice("late-tags", {
      cluster: clusterConnection(),
      router: routerConnection(),
      image: "m:1",
      tags: pulumi.output({ team: "data science" }),
    });
    const err = await (svc.tokenAudience as unknown as { promise(): Promise<unknown> }).promise().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual(["tags.team"]);

    const svc2 = new ModelWebservice("late-tag-value", {
      cluster: clusterConnection(),
      router: routerConnection(),
      image: "m:1",
      tags: { owner: pulumi.output("x".repeat(64)) },
    });
    const err2 = await (svc2.tokenAudience as unknown as { promise(): Promise<unknown> }).promise().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err2 as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual(["tags.owner"]);
    await new Promise((r) => setTimeout(r, 200));
  });
});

describe("ModelWebservice namespace against a router known only later", () => {
  it("a namespace the router does not serve is refused once the router's namespaces resolve", async () => {
    const svc = new ModelWebservice("late-ns", {
      cluster: clusterConnection(),
      router: routerConnection({ serviceNamespaces: pulumi.output(["default"]) }),
      image: "m:1",
      namespace: "team-a",
    });
    const err = await rejectionOf(svc.tokenAudience);
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual(["namespace"]);
    expect((err as Error).message).toContain("AzuremlFe serviceNamespaces");
    await new Promise((r) => setTimeout(r, 200));
  });
});

describe("ModelWebservice keys known only later", () => {
  it("a key given as an Output is checked once known; the error names the rule, never the key", async () => {
    const svc = new ModelWebservice("late-key", {
      cluster: clusterConnection(),
      router: routerConnection(),
      image: "m:1",
      primaryKey: pulumi.secret("a key with spaces 0123"),
    });
    const err = await (svc.primaryKey as unknown as { promise(): Promise<unknown> }).promise().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual(["primaryKey"]);
    expect((err as Error).message).toContain("contains characters a Bearer credential cannot carry");
    expect((err as Error).message).not.toContain("a key with spaces");
    await new Promise((r) => setTimeout(r, 200));
  });
});
