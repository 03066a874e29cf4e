// ModelEndpoint values given as Outputs are validated once they resolve, by the same
// rules (the router contract's parser for the split): the endpoint's Service, built
// from them, fails to register with that InputPropertiesError, which is the program's
// error in a Pulumi program; here exactly those rejections are collected.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { outputValue, startMockRuntime } from "../../preview/mockRuntime.js";
import { ModelEndpoint } from "../../components/modelEndpoint/index.js";
import { clusterConnection, routerConnection } from "./modelWebserviceFixtures.js";
import { expectRejectionsFrom, type ExpectedRejections } from "./expectedRejections.js";

const IMAGE = "m:1";
let expected: ExpectedRejections;

beforeAll(async () => {
  expected = expectRejectionsFrom(['ModelEndpoint "late"']);
  await startMockRuntime();
});
afterAll(() => expected.restore());

const rejectionOf = (o: unknown) =>
  (o as { promise(): Promise<unknown> }).promise().then(
    () => undefined,
    (e: unknown) => e,
  );

describe("ModelEndpoint values known only later", () => {
  it("a split that resolves past 100 % (and a rollout of the control) is refused once known", async () => {
    const ep = new ModelEndpoint("late", {
      cluster: clusterConnection(),
      router: routerConnection(),
      versions: [
        { versionName: "blue", image: IMAGE, isControlVersion: true, trafficPercentile: pulumi.output(70) },
        { versionName: "green", image: IMAGE, trafficPercentile: pulumi.output(40) },
      ],
      rollout: { version: pulumi.output("blue") },
    });
    const err = await rejectionOf(ep.tokenAudience);
    expect(pulumi.InputPropertiesError.isInstance(err)).toBe(true);
    expect((err as pulumi.InputPropertiesError).errors.map((e) => e.propertyPath)).toEqual([
      "versions",
      "rollout.version",
    ]);
    expect((err as Error).message).toContain("trafficPercentile values sum to 110");
    await new Promise((r) => setTimeout(r, 200));
  });

  it("valid Outputs pass", async () => {
    const ep = new ModelEndpoint("later", {
      cluster: clusterConnection(),
      router: routerConnection(),
      versions: [
        { versionName: "blue", image: IMAGE, isControlVersion: true },
        { versionName: "green", image: IMAGE, trafficPercentile: pulumi.output(10) },
      ],
      rollout: { version: pulumi.output("green"), steps: pulumi.output([20, 100]) },
    });
    expect(await outputValue(ep.scoringUri)).toBe("http://r/api/v1/service/later/score");
    expect(await outputValue(ep.tokenAudience)).toBeUndefined();
  });
});
