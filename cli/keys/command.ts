/** `aksml keys <service>`: the primary and secondary key (Azure ML `get_keys()`, `az ml service get-keys`). */
import { printJson, runDay2Command } from "../day2/commandLine.js";

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "keys",
    synopsis: "aksml keys <service> [options]",
    description:
      'Prints a key-auth service\'s primary and secondary key, both accepted at all times\n(Azure ML: service.get_keys(), az ml service get-keys). --json: {"primaryKey", "secondaryKey"}.',
    service: "required",
    async run(ctx) {
      const keys = await ctx.target.keys(ctx.service!);
      if (ctx.json) printJson(ctx, { primaryKey: keys.primaryKey, secondaryKey: keys.secondaryKey });
      else {
        ctx.out(`primaryKey    ${keys.primaryKey}`);
        ctx.out(`secondaryKey  ${keys.secondaryKey}`);
      }
      return 0;
    },
  });
}
