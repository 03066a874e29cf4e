/**
 * `aksml regen-key <service> --key primary|secondary [--value V]`: a new key in one slot;
 * the other slot is untouched and keeps working (Azure ML `regen_key(key, set_key)`,
 * `az ml service regen-key`). docs/day2.md has the zero-downtime rotation procedure.
 */
import { Day2Error } from "../day2/target.js";
import { printJson, runDay2Command } from "../day2/commandLine.js";
import type { KeySlot } from "../day2/model.js";

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "regen-key",
    synopsis: "aksml regen-key <service> --key primary|secondary [--value KEY] [options]",
    description:
      'Replaces one key of a key-auth service with a new random one (or --value); the other key keeps\nworking throughout, so clients on it see no failed request (Azure ML: service.regen_key("Primary"),\naz ml service regen-key). In a cluster the key is written to the <service>-keys Secret, which owns\nthe keys after the first pulumi up; with --local, to the config file (or this run only).',
    options: { key: { type: "string" }, value: { type: "string" } },
    optionsHelp: `options:
      --key primary|secondary   the slot to replace (required)
      --value KEY               use this key instead of a random one (16-256 characters)`,
    service: "required",
    async run(ctx) {
      const slot = String(ctx.values.key ?? "").toLowerCase();
      if (slot !== "primary" && slot !== "secondary")
        throw new Day2Error(
          `--key must be primary or secondary${ctx.values.key === undefined ? " (it is required)" : `, got ${JSON.stringify(ctx.values.key)}`}`,
          2,
        );
      const other = slot === "primary" ? "secondary" : "primary";
      const report = await ctx.target.regenKey(ctx.service!, slot as KeySlot, ctx.values.value as string | undefined);
      if (ctx.json) printJson(ctx, report);
      else {
        ctx.out(`${ctx.service}: new ${slot} key ${slot === "primary" ? report.primaryKey : report.secondaryKey}`);
        ctx.out(`  the ${other} key is unchanged and keeps working`);
        ctx.out(`  stored in: ${report.persisted}`);
      }
      return 0;
    },
  });
}
