import { describe, expect, it } from "vitest";
import { endsSession, isRefreshable, readAnswer } from "../client/src/graphql-answer.js";

const json = (body: unknown, type = "application/json; charset=utf-8") =>
  new Response(JSON.stringify(body), { headers: { "content-type": type } });

describe("what the client reads from an answer", () => {
  it("leaves login's MFA_REQUIRED (with its mfaToken) to the app: neither a refresh nor a session end", async () => {
    const response = json({
      data: null,
      errors: [{ message: "Second factor required", extensions: { code: "UNAUTHENTICATED", reason: "MFA_REQUIRED", mfaToken: "mfa.123" } }],
    });
    const answer = await readAnswer(response);
    expect(answer).toEqual({ token: undefined, loggedOut: false, reason: "MFA_REQUIRED" });
    expect(isRefreshable(answer?.reason)).toBe(false);
    expect(endsSession(answer?.reason)).toBe(false);
    // Read from a clone: the app still gets the whole body, mfaToken included.
    expect(((await response.json()) as any).errors[0].extensions.mfaToken).toBe("mfa.123");
  });

  it("finds a token under any field name (verifyMfa, an alias) and in a batched answer", async () => {
    const token = { accessToken: "t", expiresIn: 600, tokenType: "Bearer" };
    expect((await readAnswer(json({ data: { verifyMfa: token } })))?.token).toEqual({ accessToken: "t", expiresIn: 600 });
    expect((await readAnswer(json([{ data: { me: { id: "1" } } }, { data: { fresh: token } }])))?.token?.accessToken).toBe("t");
  });

  it("ignores what is not a GraphQL JSON answer (guards against reading an HTML error page as one)", async () => {
    expect(await readAnswer(new Response("<html>502</html>", { headers: { "content-type": "text/html" } }))).toBeUndefined();
    expect(await readAnswer(json("not an object"))).toBeUndefined();
  });
});
