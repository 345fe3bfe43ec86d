import { describe, expect, it } from "vitest";
import { errorOf, type GraphQLClient, USERS } from "./support/graphql-client.js";
import { ManualClock } from "./support/manual-clock.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { execSql } from "./support/store-sql.js";
import { STORES } from "./support/stores.js";
import { logInUser, signUpUser } from "./support/test-server.js";

type ListedUser = { id: string; username: string; createdAt: string };

describe.each(STORES)("the ADMIN-only users query on $name", (kind) => {
  const clock = new ManualClock();
  const fixture = serverPerSuite(kind, { clock });

  /** Signs a user up, gives it ADMIN in the store (the API has no way to), and logs in again for a token that says so. */
  async function signedInAdmin(): Promise<GraphQLClient> {
    const client = fixture.server.client();
    const { user, username, password } = await signUpUser(client);
    await execSql(fixture.store, "update users set roles = ? where id = ?", ["USER,ADMIN", user.id]);
    const res = await logInUser(client, username, password);
    expect(res.body.data?.login.user.roles).toEqual(["USER", "ADMIN"]);
    return client;
  }

  const listUsers = (client: GraphQLClient, variables: { limit?: number; offset?: number } = {}) => client.request(USERS, variables);

  it("refuses a USER with FORBIDDEN, and a caller without a token with TOKEN_MISSING", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const res = await listUsers(client);
    expect(errorOf(res)).toMatchObject({ code: "FORBIDDEN" });
    expect(res.body.data).toBeNull();
    expect(errorOf(await fixture.server.client().request(USERS))).toEqual({ code: "UNAUTHENTICATED", reason: "TOKEN_MISSING" });
  });

  it("lists users oldest first to an ADMIN, honouring limit and offset", async () => {
    const admin = await signedInAdmin();
    const signedUp: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      clock.advance(1_000);
      signedUp.push((await signUpUser(fixture.server.client())).user.id);
    }
    const all = (await listUsers(admin, { limit: 100 })).body.data?.users as ListedUser[];
    const created = all.map((u) => Date.parse(u.createdAt));
    expect(created).toEqual([...created].sort((a, b) => a - b));
    expect(all.map((u) => u.id).filter((id) => signedUp.includes(id))).toEqual(signedUp);

    const page = await listUsers(admin, { limit: 2, offset: 1 });
    expect(page.body.errors).toBeUndefined();
    expect(((page.body.data?.users ?? []) as ListedUser[]).map((u) => u.id)).toEqual(all.slice(1, 3).map((u) => u.id));
    const past = await listUsers(admin, { limit: 10, offset: all.length });
    expect(past.body.data?.users).toEqual([]);
  });

  it("refuses limit 0, limit 101 and a negative offset with BAD_USER_INPUT", async () => {
    const admin = await signedInAdmin();
    for (const variables of [{ limit: 0 }, { limit: 101 }, { limit: -1 }]) {
      expect(errorOf(await listUsers(admin, variables)), JSON.stringify(variables)).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "limit",
      });
    }
    expect(errorOf(await listUsers(admin, { offset: -1 }))).toMatchObject({ code: "BAD_USER_INPUT", field: "offset" });
    expect((await listUsers(admin, { limit: 100 })).body.errors).toBeUndefined();
    expect((await listUsers(admin, { limit: 1 })).body.data?.users).toHaveLength(1);
  });
});
