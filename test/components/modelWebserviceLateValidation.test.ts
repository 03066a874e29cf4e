// Values given as Outputs are validated once they resolve. In a Pulumi program the
// failure surfaces as the program's error (resources whose inputs depend on the
// settings fail to register); here those rejections are collected and inspected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { startMockRuntime, outputValue } from "../../preview/mockRuntime.js";
import { ModelWebservice } from "../../components/modelWebservice/index.js";
import { clusterConnection } from "./modelWebserviceFixtures.js";

const rejections: unknown[] = [];
let saved: NodeJS.UnhandledRejectionListener[] = [];
const collect = (reason: unknown) => void rejections.push(reason);

beforeAll(async () => {
  // This worker runs only this file: swap the runner's handler for a collector.
  saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  await startMockRuntime();
});

afterAll(() => {
  process.off("unhandledRejection", collect);
  for (const l of saved) process.on("unhandledRejection", l);
});

describe("ModelWebservice validation of values known only later", () => {
  it("an Output resolving to an invalid value fails with the same InputPropertiesError, and the dependent registrations fail with it", async () => {
    const svc = new ModelWebservice("late", {
      cluster: clusterConnection(),
      router: { endpoint: "http://r", image: "r:1" },
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
    expect(rejections.length).toBeGreaterThan(0);
    for (const r of rejections)
      expect(String((r as Error).message)).toContain(
        'ModelWebservice "late" has 2 invalid arguments (cpuCores, tokenIssuer)',
      );
  });

  it("valid Outputs pass", async () => {
    const svc = new ModelWebservice("later", {
      cluster: clusterConnection(),
      router: { endpoint: "http://r", image: "r:1" },
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
      router: { endpoint: "http://r", image: "r:1" },
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
      router: { endpoint: "http://r", image: "r:1" },
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

describe("ModelWebservice keys known only later", () => {
  it("a key given as an Output is checked once known; the error names the rule, never the key", async () => {
    const svc = new ModelWebservice("late-key", {
      cluster: clusterConnection(),
      router: { endpoint: "http://r", image: "r:1" },
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
