import { describe, expect, it } from "vitest";
import { CHANGE_PASSWORD, errorOf, type GraphQLClient, LOGIN, ME, REVOKE_SESSION, SIGN_UP } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

const PASSWORD = "correct horse battery staple";
let counter = 0;

/** A username and email no other test in the run uses. */
function freshIdentity() {
  counter += 1;
  const username = `in${process.pid}_${counter}_${Math.floor(Math.random() * 1e6)}`;
  return { username, email: `${username}@example.com` };
}

const badInput = (field: string) => ({ code: "BAD_USER_INPUT", field });
/** Control characters, NUL first: PostgreSQL refuses NUL in text, which must never surface as a store error. */
const CONTROL_CHARACTERS = ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085"];

describe.each(STORES)("input rules on $name", (kind) => {
  const fixture = serverPerSuite(kind);
  const signUp = (input: { username: string; email: string; password: string }) => fixture.server.client().request(SIGN_UP, { input });
  const login = (username: string, password: string) => fixture.server.client().request(LOGIN, { input: { username, password } });

  it("refuses usernames that are too short, too long or hold other characters, naming the field", async () => {
    for (const username of ["ab", "a".repeat(33), "has space", "naïve", "semi;colon"]) {
      expect(errorOf(await signUp({ ...freshIdentity(), username, password: PASSWORD })), username).toEqual(badInput("username"));
    }
  });

  it("refuses invalid and over-long email addresses, naming the field", async () => {
    for (const email of [
      "not-an-email",
      "a@b",
      "two@@example.com",
      `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.com`,
    ]) {
      expect(errorOf(await signUp({ ...freshIdentity(), email, password: PASSWORD })), email.slice(0, 20)).toEqual(badInput("email"));
    }
  });

  it("refuses short, common and self-naming passwords (NIST SP 800-63B), naming the field", async () => {
    const identity = freshIdentity();
    for (const password of ["short7!", "password1", "qwertyuiop", identity.username, identity.username.toUpperCase(), identity.email]) {
      expect(errorOf(await signUp({ ...identity, password })), password).toEqual(badInput("password"));
    }
  });

  it("counts password length in code points: 256 astral characters pass, 257 are refused and never truncated", async () => {
    const refused = await signUp({ ...freshIdentity(), password: "😀".repeat(257) });
    expect(errorOf(refused)).toEqual(badInput("password"));
    const identity = freshIdentity();
    const accepted = await signUp({ ...identity, password: "😀".repeat(256) });
    expect(accepted.body.errors).toBeUndefined();
    // Never truncated: the first 255 characters are not the password.
    expect(errorOf(await login(identity.username, "😀".repeat(255)))).toMatchObject({ reason: "INVALID_CREDENTIALS" });
    expect((await login(identity.username, "😀".repeat(256))).body.errors).toBeUndefined();
  });

  it("refuses a username or email already taken under another case", async () => {
    const { username, email } = await signUpUser(fixture.server.client());
    const other = freshIdentity();
    expect(errorOf(await signUp({ ...other, username: username.toUpperCase(), password: PASSWORD }))).toEqual(badInput("username"));
    expect(errorOf(await signUp({ ...other, email: email.toUpperCase(), password: PASSWORD }))).toEqual(badInput("email"));
  });

  it("refuses control characters in every sign-up and login input as BAD_USER_INPUT, never a store error", async () => {
    for (const control of CONTROL_CHARACTERS) {
      // A user per character: refused logins count towards the brute-force limit.
      const { username } = await signUpUser(fixture.server.client());
      const identity = freshIdentity();
      const label = `U+${control.codePointAt(0)?.toString(16)}`;
      expect(errorOf(await signUp({ ...identity, username: `${identity.username}${control}`, password: PASSWORD })), label).toEqual(
        badInput("username"),
      );
      expect(errorOf(await signUp({ ...identity, email: `a${control}${identity.email}`, password: PASSWORD })), label).toEqual(
        badInput("email"),
      );
      expect(errorOf(await signUp({ ...identity, password: `${PASSWORD}${control}` })), label).toEqual(badInput("password"));
      // LoginInput names its identifier field `username`, whether it holds a name or an email.
      expect(errorOf(await login(`${username}${control}`, PASSWORD)), label).toEqual(badInput("username"));
      expect(errorOf(await login(`${username}${control}@example.com`, PASSWORD)), label).toEqual(badInput("username"));
      expect(errorOf(await login(username, `${PASSWORD}${control}`)), label).toEqual(badInput("password"));
    }
  });

  describe("for a signed-in user", () => {
    async function signedIn(): Promise<{ client: GraphQLClient; username: string; email: string; password: string }> {
      const client = fixture.server.client();
      return { client, ...(await signUpUser(client)) };
    }

    it("refuses control characters in changePassword and revokeSession inputs as BAD_USER_INPUT", async () => {
      const { client, password } = await signedIn();
      for (const control of CONTROL_CHARACTERS) {
        const current = await client.request(CHANGE_PASSWORD, {
          input: { currentPassword: `${password}${control}`, newPassword: `${PASSWORD}!` },
        });
        expect(errorOf(current)).toEqual(badInput("currentPassword"));
        const next = await client.request(CHANGE_PASSWORD, { input: { currentPassword: password, newPassword: `${PASSWORD}!${control}` } });
        expect(errorOf(next)).toEqual(badInput("newPassword"));
        expect(errorOf(await client.request(REVOKE_SESSION, { id: `${control}x` }))).toEqual(badInput("id"));
      }
      expect((await client.request(ME)).body.errors).toBeUndefined();
    });

    it("applies the password rules to newPassword, naming that field, and never locks out a user retrying them", async () => {
      const { client, username, password } = await signedIn();
      // More refusals than LOGIN_MAX_FAILURES: each came with the right current password.
      for (const newPassword of ["short7!", "password1", username, "😀".repeat(257), "iloveyou", "sunshine1", "baseball"]) {
        const refused = await client.request(CHANGE_PASSWORD, { input: { currentPassword: password, newPassword } });
        expect(errorOf(refused), newPassword.slice(0, 20)).toEqual(badInput("newPassword"));
      }
      // Nothing changed: the old password still logs in.
      expect((await login(username, password)).body.errors).toBeUndefined();
      const accepted = await client.request(CHANGE_PASSWORD, { input: { currentPassword: password, newPassword: `${PASSWORD} again` } });
      expect(accepted.body.errors).toBeUndefined();
    });
  });

  it("logs in with the email instead of the username, and with either typed in another case", async () => {
    const { username, email } = await signUpUser(fixture.server.client());
    for (const identifier of [email, email.toUpperCase(), username.toUpperCase()]) {
      const res = await login(identifier, PASSWORD);
      expect(res.body.errors, identifier).toBeUndefined();
      expect(res.body.data?.login.user.username).toBe(username);
    }
  });

  it("normalises passwords with NFKC, so one typed in fullwidth characters logs in", async () => {
    const { username } = await signUpUser(fixture.server.client(), "Tall giraffe 42 eats");
    const fullwidth = "Ｔａｌｌ　ｇｉｒａｆｆｅ　４２　ｅａｔｓ";
    expect(fullwidth.normalize("NFKC")).toBe("Tall giraffe 42 eats");
    expect((await login(username, fullwidth)).body.errors).toBeUndefined();

    const other = await signUpUser(fixture.server.client(), fullwidth);
    expect((await login(other.username, "Tall giraffe 42 eats")).body.errors).toBeUndefined();
  });
});
