import { print } from "graphql";
import { Secret, TOTP } from "otpauth";
import { VerifyMfaDocument } from "../../client/generated/operations.js";
import type { Clock } from "../../src/clock.js";
import { type GraphQLClient, type GraphQLResponse, LOGIN } from "./graphql-client.js";

export const BEGIN_TOTP = `mutation Begin($p: String!) { beginTotpEnrollment(currentPassword: $p) { secret otpauthUri qrCodeSvg } }`;
export const CONFIRM_TOTP = "mutation Confirm($code: String!) { confirmTotpEnrollment(code: $code) }";
export const DISABLE_TOTP = "mutation Disable($code: String!) { disableTotp(code: $code) }";
export const REGENERATE_CODES = "mutation Regenerate($code: String!) { regenerateRecoveryCodes(code: $code) }";
export const VERIFY_MFA = print(VerifyMfaDocument);
export const MFA_ENABLED = "query { me { mfaEnabled } }";

export const STEP_MS = 30_000;

/** The code an authenticator app shows at the injected clock's time, `steps` time steps away. */
export function totpCode(secret: string, clock: Clock, steps = 0): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: clock.now() + steps * STEP_MS });
}

/** Turns MFA on for the client's account, through the API; returns the secret and the recovery codes. */
export async function enableMfa(client: GraphQLClient, password: string, clock: Clock & { advance(ms: number): void }) {
  const begun = await client.request(BEGIN_TOTP, { p: password });
  const secret = begun.body.data?.beginTotpEnrollment.secret as string;
  if (!secret) throw new Error(`beginTotpEnrollment failed: ${JSON.stringify(begun.body.errors)}`);
  const confirmed = await client.request(CONFIRM_TOTP, { code: totpCode(secret, clock) });
  const recoveryCodes = confirmed.body.data?.confirmTotpEnrollment as string[];
  if (!recoveryCodes) throw new Error(`confirmTotpEnrollment failed: ${JSON.stringify(confirmed.body.errors)}`);
  // The next code must come from a later time step: each is accepted once.
  clock.advance(STEP_MS);
  return { secret, recoveryCodes, begun };
}

/** A login's first step; the mfaToken it answered with (fails the test if it did not). */
export async function mfaTokenFor(client: GraphQLClient, username: string, password: string): Promise<string> {
  const res = await client.request(LOGIN, { input: { username, password } });
  const token = res.body.errors?.[0]?.extensions?.mfaToken;
  if (typeof token !== "string") throw new Error(`login did not ask for MFA: ${JSON.stringify(res.body)}`);
  return token;
}

export function verifyMfa(client: GraphQLClient, mfaToken: string, code: string): Promise<GraphQLResponse> {
  return client.request(VERIFY_MFA, { input: { mfaToken, code } });
}
