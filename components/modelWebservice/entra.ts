/**
 * What Entra ID needs so that a token-auth service accepts real Entra ID tokens (Azure ML
 * issued its own; here the tenant does): one application registration per service (so a
 * token for one service is not valid for another), its identifier URI, an app role, a
 * delegated scope pre-authorized for the Azure CLI (so `az login` users get tokens with
 * `aksml token` / DefaultAzureCredential without a consent prompt), and a service principal.
 *
 * The application asks for v2.0 access tokens (`requestedAccessTokenVersion: 2`): their
 * `aud` is the application's client id and their `iss` is
 * `https://login.microsoftonline.com/<tenant>/v2.0`, which is what the router is told to
 * expect (the identifier URI is accepted as an audience too, for v1.0-style requests).
 * With `tokenRequiredRole`, the service principal requires an assignment, so Entra ID
 * issues tokens only to callers assigned the role, and the router checks the `roles` claim.
 *
 * Creating it needs Microsoft Graph rights for the identity running `pulumi up`:
 * Application.ReadWrite.OwnedBy (or the Application Developer / Administrator role).
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** The Azure CLI's public client id, pre-authorized for the service's delegated scope. */
export const AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/** The app role defined on every service's application; the one required unless `tokenRequiredRole` names another. */
export const DEFAULT_APP_ROLE = "Score";
/** The delegated scope users' tokens carry (`scp`). */
export const USER_SCOPE = "user_impersonation";

export interface EntraRegistration {
  /** The `aud` of v2.0 tokens. */
  clientId: pulumi.Output<string>;
  identifierUri: pulumi.Output<string>;
  /** `https://login.microsoftonline.com/<tenant>/v2.0`. */
  issuer: pulumi.Output<string>;
  /** What a client asks for: `<identifier URI>/.default`. */
  scope: pulumi.Output<string>;
  /** For `azuread.AppRoleAssignment`: the app role's id and the service principal's object id. */
  appRoleId: pulumi.Output<string>;
  servicePrincipalObjectId: pulumi.Output<string>;
}

export interface EntraRegistrationInputs {
  /** The identifier URI; default `api://<client id>`. */
  identifierUri?: pulumi.Input<string>;
  /** The app role the router requires; none required when undefined. */
  requiredRole?: pulumi.Input<string>;
}

export function registerEntraApplication(
  name: string,
  inputs: EntraRegistrationInputs,
  opts: pulumi.CustomResourceOptions,
): EntraRegistration {
  const client = azuread.getClientConfigOutput({ parent: opts.parent });
  const roleId = new random.RandomUuid(`${name}-entra-role-id`, {}, opts);
  const scopeId = new random.RandomUuid(`${name}-entra-scope-id`, {}, opts);
  const role = pulumi.output(inputs.requiredRole).apply((r) => r ?? DEFAULT_APP_ROLE);
  const app = new azuread.Application(
    `${name}-entra-app`,
    {
      displayName: `aksml ${name}`,
      description: `Scoring API of the aksml model service ${name}`,
      signInAudience: "AzureADMyOrg",
      owners: [client.objectId],
      api: {
        requestedAccessTokenVersion: 2,
        oauth2PermissionScopes: [
          {
            id: scopeId.result,
            value: USER_SCOPE,
            type: "User",
            enabled: true,
            adminConsentDisplayName: `Score with ${name}`,
            adminConsentDescription: `Send scoring requests to the model service ${name}.`,
            userConsentDisplayName: `Score with ${name}`,
            userConsentDescription: `Send scoring requests to the model service ${name} for you.`,
          },
        ],
      },
      appRoles: [
        {
          id: roleId.result,
          value: role,
          displayName: role,
          description: `May send scoring requests to the model service ${name}.`,
          allowedMemberTypes: ["User", "Application"],
          enabled: true,
        },
      ],
    },
    // The identifier URI is its own resource (it contains the client id, known only after creation).
    { ...opts, ignoreChanges: ["identifierUris"] },
  );
  const uri = new azuread.ApplicationIdentifierUri(
    `${name}-entra-uri`,
    {
      applicationId: app.id,
      identifierUri: pulumi.all([inputs.identifierUri, app.clientId]).apply(([u, id]) => u ?? `api://${id}`),
    },
    opts,
  );
  const sp = new azuread.ServicePrincipal(
    `${name}-entra-sp`,
    {
      clientId: app.clientId,
      appRoleAssignmentRequired: pulumi.output(inputs.requiredRole).apply((r) => r !== undefined),
      owners: [client.objectId],
    },
    opts,
  );
  new azuread.ApplicationPreAuthorized(
    `${name}-entra-azure-cli`,
    { applicationId: app.id, authorizedClientId: AZURE_CLI_CLIENT_ID, permissionIds: [scopeId.result] },
    opts,
  );
  return {
    clientId: app.clientId,
    identifierUri: uri.identifierUri,
    issuer: pulumi.interpolate`https://login.microsoftonline.com/${client.tenantId}/v2.0`,
    scope: pulumi.interpolate`${uri.identifierUri}/.default`,
    appRoleId: roleId.result,
    servicePrincipalObjectId: sp.objectId,
  };
}
