import { describe, expect, it } from "vitest";
import { errorOf } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { execSql } from "./support/store-sql.js";
import { STORES } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";
import { userReadsDuring } from "./support/user-reads.js";

const ME_FROM_TOKEN = "query { me { id username } }";
const ME_STORED = "query { me { id username email emailVerified roles createdAt mfaEnabled } }";

/**
 * `me` answers `id` and `username` from the verified access token (neither ever changes) and reads
 * the user from the store, once a request, for any other field (issue 8).
 */
describe.each(STORES)("me's fields on $name", (kind) => {
  const fixture = serverPerSuite(kind);

  it("answers id and username without reading the store, and every other field with one read", async () => {
    const client = fixture.server.client();
    const { username, email, user } = await signUpUser(client);

    const fromToken = await userReadsDuring(fixture.server, () => client.request(ME_FROM_TOKEN));
    expect(fromToken.reads).toBe(0);
    expect(fromToken.result.body.data).toEqual({ me: { id: user.id, username } });

    const stored = await userReadsDuring(fixture.server, () => client.request(ME_STORED));
    expect(stored.reads).toBe(1);
    const { me } = stored.result.body.data;
    expect(me).toMatchObject({ id: user.id, username, email, emailVerified: false, roles: ["USER"], mfaEnabled: false });
    expect(Date.parse(me.createdAt)).toBeGreaterThan(0);
  });

  it("refuses a field it must read with SESSION_REVOKED once the account is gone, before its revocation arrives", async () => {
    const client = fixture.server.client();
    const { username, user } = await signUpUser(client);
    // As another instance would see it before the deletion's revocation reaches it (within a
    // second): the row is gone, the token not yet refused. Only what the token itself says is shown.
    await execSql(fixture.store, "delete from users where id = ?", [user.id]);
    expect((await client.request(ME_FROM_TOKEN)).body.data).toEqual({ me: { id: user.id, username } });
    const stored = await client.request(ME_STORED);
    expect(stored.body.data).toBeNull();
    expect(errorOf(stored)).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
  });
});
