import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { errorOf } from "./support/graphql-client.js";
import { ManualClock } from "./support/manual-clock.js";
import { enableMfa, mfaTokenFor, STEP_MS, totpCode, verifyMfa } from "./support/mfa-steps.js";
import { restartingServerPerSuite, serverPerSuite } from "./support/server-fixture.js";
import { SQLITE, STORES } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

const KEY_A = "mfa-encryption-key-a-0123456789abcdef-0123456789";
const KEY_B = "mfa-encryption-key-b-0123456789abcdef-0123456789";

describe("TOTP secrets, recovery codes and mfaTokens at rest and in logs", () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const fixture = serverPerSuite(SQLITE, { clock, logger: createLogger("trace", { write: (line: string) => void lines.push(line) }) });

  it("leaves none of them readable in the SQLite files or the trace log (ASVS 6.5.2, 11.3.2, 16.2.5)", async () => {
    const client = fixture.server.client();
    const { username, password } = await signUpUser(client);
    const { secret, recoveryCodes } = await enableMfa(client, password, clock);
    const mfaToken = await mfaTokenFor(fixture.server.client(), username, password);
    const code = totpCode(secret, clock);
    expect((await verifyMfa(fixture.server.client(), mfaToken, code)).body.data?.verifyMfa).toBeTruthy();
    await verifyMfa(fixture.server.client(), await mfaTokenFor(fixture.server.client(), username, password), "999999");
    const pending = await mfaTokenFor(fixture.server.client(), username, password);

    const dir = dirname(fixture.store.url.slice("sqlite:".length));
    const files = readdirSync(dir).map((name) => readFileSync(join(dir, name)).toString("latin1"));
    const secrets = [secret, ...recoveryCodes, ...recoveryCodes.map((c) => c.replaceAll("-", "")), mfaToken, pending];
    const log = lines.join("");
    expect(lines.some((line) => line.includes('"mfa_enabled"'))).toBe(true); // the log saw the enrolment (control)
    for (const value of secrets) {
      for (const file of files) expect(file.includes(value), `${value.slice(0, 6)}… is in the database`).toBe(false);
      expect(log.includes(value), `${value.slice(0, 6)}… reached the log`).toBe(false);
    }
    for (const totp of [code, "999999"]) expect(log.includes(`"${totp}"`)).toBe(false);
  });
});

describe.each(STORES)("rotating MFA_ENCRYPTION_KEY on $name", (kind) => {
  const clock = new ManualClock();
  const restart = restartingServerPerSuite(kind, {}, { clock });

  it("keeps every second factor working through a rotation, and moves each secret to the new key on use", async () => {
    let server = await restart({ MFA_ENCRYPTION_KEY: KEY_A });
    const client = server.client();
    const { username, password } = await signUpUser(client);
    const { secret } = await enableMfa(client, password, clock);
    const logIn = async () => verifyMfa(server.client(), await mfaTokenFor(server.client(), username, password), totpCode(secret, clock));

    // Control: under a key that never sealed it, the secret cannot be opened.
    server = await restart({ MFA_ENCRYPTION_KEY: KEY_B });
    expect(errorOf(await logIn()).code).toBe("INTERNAL_SERVER_ERROR");

    server = await restart({ MFA_ENCRYPTION_KEY: KEY_B, MFA_PREVIOUS_ENCRYPTION_KEYS: KEY_A });
    expect((await logIn()).body.errors).toBeUndefined();

    // That use sealed it again under KEY_B, so KEY_A can go.
    clock.advance(STEP_MS);
    server = await restart({ MFA_ENCRYPTION_KEY: KEY_B });
    expect((await logIn()).body.errors).toBeUndefined();

    // Introducing MFA_ENCRYPTION_KEY keeps secrets sealed under REFRESH_TOKEN_SECRET working.
    server = await restart({});
    const other = server.client();
    const second = await signUpUser(other);
    const factor = await enableMfa(other, second.password, clock);
    server = await restart({ MFA_ENCRYPTION_KEY: KEY_A });
    const token = await mfaTokenFor(server.client(), second.username, second.password);
    const last = await verifyMfa(server.client(), token, totpCode(factor.secret, clock));
    expect(last.body.errors).toBeUndefined();
  });
});
