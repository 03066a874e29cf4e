/**
 * `aksml token <service>`: an access token for a token-auth service and its `refreshBy`
 * time (Azure ML `get_token()` -> (token, refresh_by), `az ml service get-access-token`).
 * In a cluster: an Entra ID token from DefaultAzureCredential; with --local: a token
 * from aksml local's own issuer.
 */
import { printJson, runDay2Command } from "../day2/commandLine.js";

export function run(argv: string[]): Promise<number> {
  return runDay2Command(argv, {
    name: "token",
    synopsis: "aksml token <service> [options]",
    description:
      'Prints an access token for a token-auth service on stdout (so TOKEN=$(aksml token svc) works) and\nwhen to refresh it on stderr; request a new one after refreshBy (Azure ML: service.get_token(),\naz ml service get-access-token). In a cluster the token comes from Entra ID through\nDefaultAzureCredential (az login, a managed or workload identity, or AZURE_* variables);\nwith --local, from aksml local\'s built-in issuer.\n--json: {"accessToken", "tokenType", "refreshBy", "expiresOn"}.',
    service: "required",
    async run(ctx) {
      const token = await ctx.target.token(ctx.service!);
      if (ctx.json) printJson(ctx, token);
      else {
        ctx.out(token.accessToken);
        ctx.err(`refresh by ${token.refreshBy} (expires ${token.expiresOn})`);
      }
      return 0;
    },
  });
}
