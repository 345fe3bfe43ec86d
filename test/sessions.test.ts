import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isClearing } from "../support/set-cookie.js";
import {
  CHANGE_PASSWORD,
  errorOf,
  type GraphQLClient,
  LOGIN,
  LOGOUT,
  LOGOUT_ALL,
  ME,
  REFRESH,
  REVOKE_SESSION,
  SESSIONS,
} from "./support/graphql-client.js";
import { claimsOf } from "./support/jwt.js";
import { ManualClock } from "./support/manual-clock.js";
import { refreshCookieOf, refreshWith, serverPerSuite, setRefreshCookie } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { logInUser, signUpUser } from "./support/test-server.js";

const sidOf = (client: GraphQLClient) => claimsOf(client.accessToken as string).sid as string;

describe.each(STORES)("sessions on $name", (kind) => {
  const clock = new ManualClock();
  const fixture = serverPerSuite(kind, { clock });

  /** One user signed in on `count` devices, a second apart; the first device is the oldest. */
  async function signedInDevices(count: number) {
    const first = fixture.server.client();
    const account = await signUpUser(first);
    const devices = [first];
    for (let i = 1; i < count; i += 1) {
      clock.advance(1_000);
      const device = fixture.server.client();
      await logInUser(device, account.username, account.password);
      devices.push(device);
    }
    return { account, devices };
  }

  /** Checks that a device's refresh token (by default the one in its jar) and access token both stop working. */
  async function expectEnded(device: GraphQLClient, label: string, refreshToken = refreshCookieOf(fixture, device)) {
    expect(errorOf(await refreshWith(fixture, refreshToken)), label).toEqual({ code: "UNAUTHENTICATED", reason: "REFRESH_INVALID" });
    expect(errorOf(await device.request(ME)), label).toEqual({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
  }

  async function expectAlive(device: GraphQLClient, label: string) {
    expect((await device.request(ME)).body.errors, label).toBeUndefined();
    expect((await device.request(REFRESH)).body.errors, label).toBeUndefined();
  }

  it("lists the caller's active sessions newest first, marking only the caller's own as current", async () => {
    const { devices } = await signedInDevices(3);
    const [oldest, middle, newest] = devices as [GraphQLClient, GraphQLClient, GraphQLClient];
    await signedInDevices(1); // someone else's session must not show up
    const res = await middle.request(SESSIONS);
    const sessions = res.body.data?.sessions as { id: string; current: boolean; createdAt: string }[];
    expect(sessions.map((s) => s.id)).toEqual([sidOf(newest), sidOf(middle), sidOf(oldest)]);
    expect(sessions.map((s) => s.current)).toEqual([false, true, false]);

    await oldest.request(LOGOUT);
    const after: { id: string }[] = (await middle.request(SESSIONS)).body.data?.sessions ?? [];
    expect(after.map((s) => s.id)).toEqual([sidOf(newest), sidOf(middle)]);
  });

  it("revokeSession ends another of the caller's sessions: its refresh cookie and access token stop working", async () => {
    const [caller, other] = (await signedInDevices(2)).devices as [GraphQLClient, GraphQLClient];
    const revoked = await caller.request(REVOKE_SESSION, { id: sidOf(other) });
    expect(revoked.body).toEqual({ data: { revokeSession: true } });
    await expectEnded(other, "revoked session");
    await expectAlive(caller, "caller");
    // Already ended: nothing left to revoke.
    expect((await caller.request(REVOKE_SESSION, { id: sidOf(other) })).body).toEqual({ data: { revokeSession: false } });
  });

  it("revokeSession ends the caller's current session too, after which its access token gets SESSION_REVOKED", async () => {
    const [caller] = (await signedInDevices(1)).devices as [GraphQLClient];
    expect((await caller.request(REVOKE_SESSION, { id: sidOf(caller) })).body).toEqual({ data: { revokeSession: true } });
    await expectEnded(caller, "current session");
  });

  it("revokeSession answers false for an unknown id, a garbage id or another user's session, which stays alive", async () => {
    const [caller] = (await signedInDevices(1)).devices as [GraphQLClient];
    const [stranger] = (await signedInDevices(1)).devices as [GraphQLClient];
    for (const id of [randomUUID(), "not-a-session", "x".repeat(2_000), "' or 1=1 --", sidOf(stranger)]) {
      expect((await caller.request(REVOKE_SESSION, { id })).body, id.slice(0, 20)).toEqual({ data: { revokeSession: false } });
    }
    await expectAlive(stranger, "other user's session");
  });

  it("logoutAll ends every session of the caller and returns how many it ended", async () => {
    const { devices } = await signedInDevices(3);
    const [stranger] = (await signedInDevices(1)).devices as [GraphQLClient];
    const caller = devices[2] as GraphQLClient;
    const tokens = devices.map((device) => refreshCookieOf(fixture, device));
    const res = await caller.request(LOGOUT_ALL);
    expect(res.body).toEqual({ data: { logoutAll: 3 } });
    const cleared = setRefreshCookie(fixture, res);
    expect(cleared && isClearing(cleared)).toBe(true);
    for (const [i, device] of devices.entries()) await expectEnded(device, `device ${i}`, tokens[i]);
    await expectAlive(stranger, "other user's session");
  });

  it("changePassword with a wrong current password is UNAUTHENTICATED INVALID_CREDENTIALS and ends nothing", async () => {
    const { devices } = await signedInDevices(2);
    const [caller, other] = devices as [GraphQLClient, GraphQLClient];
    const res = await caller.request(CHANGE_PASSWORD, {
      input: { currentPassword: "not my password", newPassword: "a brand new passphrase" },
    });
    expect(errorOf(res)).toEqual({ code: "UNAUTHENTICATED", reason: "INVALID_CREDENTIALS" });
    await expectAlive(other, "other session");
  });

  it("changePassword ends every other session, keeps the caller signed in with a new cookie, and swaps which password logs in", async () => {
    const { account, devices } = await signedInDevices(3);
    const [caller, ...others] = devices as [GraphQLClient, ...GraphQLClient[]];
    const before = refreshCookieOf(fixture, caller);
    const newPassword = "a brand new passphrase";

    const res = await caller.request(CHANGE_PASSWORD, { input: { currentPassword: account.password, newPassword } });
    expect(res.body.errors).toBeUndefined();
    const renewed = setRefreshCookie(fixture, res)?.value;
    expect(renewed).toBeTruthy();
    expect(renewed).not.toBe(before);

    for (const [i, device] of others.entries()) await expectEnded(device, `other device ${i}`);
    caller.accessToken = res.body.data?.changePassword.accessToken;
    await expectAlive(caller, "caller");
    expect(((await caller.request(SESSIONS)).body.data?.sessions ?? []).map((s: { id: string }) => s.id)).toEqual([sidOf(caller)]);

    const login = (password: string) => fixture.server.client().request(LOGIN, { input: { username: account.username, password } });
    expect(errorOf(await login(account.password))).toEqual({ code: "UNAUTHENTICATED", reason: "INVALID_CREDENTIALS" });
    expect((await login(newPassword)).body.errors).toBeUndefined();
  });

  it("after changePassword the pre-change cookie is refused without ending the caller's session (guards against a second tab logging the user out as 'theft')", async () => {
    const { account } = await signedInDevices(1);
    const caller = fixture.server.client();
    await logInUser(caller, account.username, account.password);
    const before = refreshCookieOf(fixture, caller) as string;
    const res = await caller.request(CHANGE_PASSWORD, {
      input: { currentPassword: account.password, newPassword: "another brand new passphrase" },
    });
    expect(res.body.errors).toBeUndefined();
    caller.accessToken = res.body.data?.changePassword.accessToken;

    const stale = await refreshWith(fixture, before);
    expect(errorOf(stale)).toEqual({ code: "UNAUTHENTICATED", reason: "REFRESH_INVALID" });
    await expectAlive(caller, "caller after a stale-cookie refresh");
  });
});
