import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { describe, expect, it } from "vitest";
import { LoginDocument, MeDocument, RefreshTokenDocument, SignUpDocument } from "../client/generated/operations.js";
import type { GraphQLClient } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { SQLITE } from "./support/stores.js";

/** What a typed frontend does: send a generated document, get a result typed by codegen. */
async function send<R, V extends Record<string, unknown>>(
  client: GraphQLClient,
  document: TypedDocumentNode<R, V>,
  variables?: V,
): Promise<R> {
  const response = await client.request<R>(print(document), variables);
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data as R;
}

describe("typed client documents from graphql-codegen", () => {
  const fixture = serverPerSuite(SQLITE);

  it("runs the generated operations against the live schema (guards against documents drifting from schema.graphql)", async () => {
    const client = fixture.server.client();
    const input = { username: "typed_frontend", email: "typed@example.com", password: "a long typed passphrase" };
    const signedUp = await send(client, SignUpDocument, { input });
    expect(signedUp.signUp.tokenType).toBe("Bearer");

    const loggedIn = await send(client, LoginDocument, { input: { username: input.email, password: input.password } });
    client.accessToken = loggedIn.login.accessToken;
    const me = await send(client, MeDocument);
    expect(me.me.username).toBe(input.username);
    expect(me.me.roles).toEqual(["USER"]);

    const refreshed = await send(client, RefreshTokenDocument);
    expect(refreshed.refreshToken.user.id).toBe(me.me.id);
  });
});
