// The run-time shape check every component runs first: unknown keys (with the nearest
// known name) and values of the wrong kind, which only untyped callers can pass.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { MODEL_WEBSERVICE_ARG_SHAPE } from "../../components/modelWebservice/argShape.js";
import { argShapeProblems, nearestKey } from "../../components/shared/argShape.js";
import { problemList } from "../../components/shared/problems.js";

const problemsOf = (args: unknown) => {
  const { problems, add } = problemList();
  argShapeProblems(MODEL_WEBSERVICE_ARG_SHAPE, args, add);
  return Object.fromEntries(problems.map((p) => [p.propertyPath, p.reason]));
};

describe("nearestKey", () => {
  it("matches across snake_case, kebab-case and case, and small typos", () => {
    const known = Object.keys(MODEL_WEBSERVICE_ARG_SHAPE);
    expect(nearestKey("cpu_cores", known)).toBe("cpuCores");
    expect(nearestKey("memory-gb-limit", known)).toBe("memoryGbLimit");
    expect(nearestKey("AUTH_ENABLED", known)).toBe("authEnabled");
    expect(nearestKey("scoringTimoutMs", known)).toBe("scoringTimeoutMs");
  });
  it("suggests nothing for a key unlike any", () => {
    expect(nearestKey("replicasPerZone", Object.keys(MODEL_WEBSERVICE_ARG_SHAPE))).toBeUndefined();
  });
});

describe("argShapeProblems", () => {
  it("accepts well-formed args, Outputs and promises included", () => {
    expect(
      problemsOf({
        cpuCores: 0.5,
        cpuCoresLimit: pulumi.output(1),
        tags: { team: "ml", owner: pulumi.output("x") },
        models: [{ name: "m", version: 1, path: "./m" }],
        autoscale: { enabled: true, maxReplicas: Promise.resolve(3) },
        inferenceConfig: { entryScript: "s.py", sourceDirectory: ".", environment: { environmentVariables: {} } },
        description: undefined,
      }),
    ).toEqual({});
  });

  it("names unknown keys at any depth, with the nearest known name", () => {
    const p = problemsOf({
      cpu_cores: 1,
      autoscale: { min_replicas: 1 },
      models: [{ name: "m", verison: 1, path: "./m" }],
    });
    expect(p.cpu_cores).toMatch(/^is not an argument here; did you mean "cpuCores"\? \(known: cluster, router, /);
    expect(p["autoscale.min_replicas"]).toMatch(/did you mean "minReplicas"\?/);
    expect(p["models[0].verison"]).toMatch(/did you mean "version"\?/);
  });

  it("names values of the wrong kind and says how to write them", () => {
    const p = problemsOf({
      cpuCores: "1",
      authEnabled: "false",
      tokenIssuer: 5,
      tags: { team: 3 },
      models: { name: "m" },
      autoscale: [1],
      livenessProbe: { periodSeconds: "ten" },
    });
    expect(p).toEqual({
      cpuCores: 'must be a number, not the string "1" (write 1, without quotes).',
      authEnabled: 'must be true or false, not the string "false" (write false, without quotes).',
      tokenIssuer: "must be a string, not number 5.",
      "tags.team": "must be a string, not number 3.",
      models: 'must be a list, not object {"name":"m"}.',
      autoscale: "must be an object, not a list.",
      "livenessProbe.periodSeconds": 'must be a number, not the string "ten".',
    });
  });

  it("rejects args that are not an object at all", () => {
    expect(problemsOf(undefined)).toEqual({ args: "must be an object of arguments, not undefined." });
  });
});
