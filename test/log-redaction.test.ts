import { describe, expect, it } from "vitest";
import { REDACTED, withoutSecrets } from "../src/log-redaction.js";
import { createLogger } from "../src/logger.js";

function logged(fields: Record<string, unknown>): Record<string, unknown> {
  const lines: string[] = [];
  createLogger("info", { write: (line: string) => void lines.push(line) }).info(fields, "line");
  return JSON.parse(lines[0] as string);
}

describe("log redaction (OWASP ASVS 16.2.5)", () => {
  it("blanks secret keys at the top level and three levels down, in any letter case", () => {
    const line = logged({
      password: "p1",
      req: { headers: { Authorization: "Bearer abc", cookie: "refresh_token=xyz", "Set-Cookie": ["a=b"], accept: "*/*" } },
      outer: { inner: { deeper: { refreshToken: "r1", mfaToken: "m1", kept: 1 } } },
      body: { variables: { input: { password: "p2" } } },
    });
    expect(line).toMatchObject({
      password: REDACTED,
      req: { headers: { Authorization: REDACTED, cookie: REDACTED, "Set-Cookie": REDACTED, accept: "*/*" } },
      outer: { inner: { deeper: { refreshToken: REDACTED, mfaToken: REDACTED, kept: 1 } } },
      body: { variables: REDACTED },
    });
    expect(JSON.stringify(line)).not.toMatch(/abc|xyz|p1|p2|r1|m1/);
  });

  it("leaves a line without secrets as it is, and errors to pino's serializer", () => {
    const fields = { requestId: "r", status: 200, nested: { ms: 1 } };
    expect(withoutSecrets(fields)).toBe(fields);
    const line = logged({ err: new Error("boom"), requestId: "r" });
    expect(line.err).toMatchObject({ type: "Error", message: "boom" });
    expect((line.err as { stack?: string }).stack).toContain("boom");
  });
});
