import { print } from "graphql";
import {
  CompleteOidcLoginDocument,
  LinkedIdentitiesDocument,
  OidcProvidersDocument,
  StartOidcLoginDocument,
  UnlinkIdentityDocument,
} from "../../client/generated/operations.js";
import type { GraphQLClient, GraphQLResponse } from "./graphql-client.js";
import { type OidcTestProvider, type ProviderAccount, TEST_CLIENT } from "./oidc-test-provider.js";

export const OIDC_PROVIDERS = print(OidcProvidersDocument);
export const START_OIDC = print(StartOidcLoginDocument);
export const COMPLETE_OIDC = print(CompleteOidcLoginDocument);
export const LINKED_IDENTITIES = print(LinkedIdentitiesDocument);
export const UNLINK_IDENTITY = print(UnlinkIdentityDocument);

/** The callback page the test server allows; a browser is sent back to it with code, state and iss. */
export const REDIRECT_URI = "http://localhost:3000/auth/callback";

/** The settings that register `provider` as "test" ("Test ID") on a server. */
export function oidcEnv(provider: OidcTestProvider): Record<string, string> {
  return {
    OIDC_PROVIDERS: "test",
    OIDC_TEST_ISSUER: provider.issuer,
    OIDC_TEST_CLIENT_ID: TEST_CLIENT.id,
    OIDC_TEST_CLIENT_SECRET: TEST_CLIENT.secret,
    OIDC_TEST_NAME: "Test ID",
    OIDC_REDIRECT_URIS: REDIRECT_URI,
    OIDC_HTTP_TIMEOUT: "1s",
  };
}

export function startOidc(client: GraphQLClient, provider = "test", redirectUri = REDIRECT_URI): Promise<GraphQLResponse> {
  return client.request(START_OIDC, { provider, redirectUri });
}

/** completeOidcLogin with the callback's parameters; `overrides` replaces any of them. */
export function completeOidc(client: GraphQLClient, callback: URL, overrides: Record<string, unknown> = {}): Promise<GraphQLResponse> {
  const input = {
    provider: "test",
    code: callback.searchParams.get("code"),
    state: callback.searchParams.get("state"),
    iss: callback.searchParams.get("iss"),
    redirectUri: `${callback.origin}${callback.pathname}`,
    ...overrides,
  };
  return client.request(COMPLETE_OIDC, { input });
}

/** startOidcLogin, then the provider's sign-in page as `sub`: the callback URL the browser lands on. */
export async function authorizeAt(client: GraphQLClient, provider: OidcTestProvider, sub: string): Promise<URL> {
  const started = await startOidc(client);
  const url = started.body.data?.startOidcLogin.url as string | undefined;
  if (!url) throw new Error(`startOidcLogin failed: ${JSON.stringify(started.body.errors)}`);
  return provider.signIn(url, sub);
}

/** The whole sign-in: the client then holds the access token and refresh cookie. */
export async function signInWithProvider(client: GraphQLClient, provider: OidcTestProvider, sub: string): Promise<GraphQLResponse> {
  const completed = await completeOidc(client, await authorizeAt(client, provider, sub));
  const token = completed.body.data?.completeOidcLogin?.accessToken as string | undefined;
  if (token) client.accessToken = token;
  return completed;
}

let accounts = 0;

/** A new account at the provider with a verified address, named uniquely across files, stores and runs. */
export function newProviderAccount(provider: OidcTestProvider, label: string, overrides: Partial<ProviderAccount> = {}): ProviderAccount {
  accounts += 1;
  const name = `${label}${process.pid}_${accounts}`;
  return provider.addAccount({
    sub: `sub-${name}`,
    email: `${name}@example.org`,
    email_verified: true,
    preferred_username: name,
    ...overrides,
  });
}
