import { Writable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { createLogger, terminalDestination } from "../src/logger.js";
import { CHANGE_PASSWORD, type GraphQLResponse, LOGIN, LOGOUT, REFRESH, SIGN_UP } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { execSql } from "./support/store-sql.js";
import { STORES } from "./support/stores.js";

const PASSWORD = "logged flow passphrase 4521";
const NEW_PASSWORD = "replacement passphrase 9173";
const WRONG_PASSWORD = "wrong guess passphrase 3388";

/**
 * What the server writes to its log while a whole session runs, at the chattiest levels: request
 * ids on every request, and never a password, access token or refresh token (OWASP ASVS 16.2.1,
 * 16.2.5), whether the secret came in variables, inline in the query, or in a header or cookie.
 */
describe.each(["debug", "trace"].flatMap((level) => STORES.map((kind) => ({ level, kind }))))(
  "logs at $level on $kind.name",
  ({ level, kind }) => {
    const lines: string[] = [];
    const fixture = serverPerSuite(kind, { logger: createLogger(level, { write: (line: string) => void lines.push(line) }) });
    const secrets = new Set<string>([PASSWORD, NEW_PASSWORD, WRONG_PASSWORD]);
    const responses: { name: string; response: GraphQLResponse }[] = [];

    beforeAll(async () => {
      const { server } = fixture;
      const client = server.client();
      const step = async (name: string, run: () => Promise<GraphQLResponse>) => {
        const response = await run();
        responses.push({ name, response });
        const payload = Object.values(response.body.data ?? {})[0] as { accessToken?: string } | undefined;
        if (payload?.accessToken) client.accessToken = payload.accessToken;
        if (client.accessToken) secrets.add(client.accessToken);
        for (const value of client.cookies.values()) secrets.add(value);
        return response;
      };
      const username = `logged_${Date.now()}`;
      await step("signUp", () => client.request(SIGN_UP, { input: { username, email: `${username}@example.com`, password: PASSWORD } }));
      // Anonymous on purpose: the request line of an unnamed operation carries no `operation`.
      await step("me", () => client.request("query { me { id username } }"));
      await step("refresh", () => client.request(REFRESH));
      // The password inline in the document, not in variables: the query text must not be logged either.
      await step("bad login", () =>
        server.client().request(`mutation { login(input: {username: "${username}", password: "${WRONG_PASSWORD}"}) { accessToken } }`),
      );
      await step("changePassword", () =>
        client.request(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } }),
      );
      await step("logout", () => client.request(LOGOUT));
      // A stale token and cookie after logout: refused, and the refusal is logged without them.
      await step("refresh after logout", () =>
        client.request(REFRESH, undefined, { cookie: [...secrets].map((s, i) => `c${i}=${s}`).join("; ") }),
      );
      // Last, since it breaks the store: a right login then fails unexpectedly at the MFA lookup.
      await execSql(fixture.store, "drop table mfa_factors");
      await step("login, store broken", () => server.client().request(LOGIN, { input: { username, password: NEW_PASSWORD } }));
    });

    it("ran the whole flow, so the log had every secret to leak (control)", () => {
      expect(responses.map(({ name, response }) => [name, response.body.errors === undefined])).toEqual([
        ["signUp", true],
        ["me", true],
        ["refresh", true],
        ["bad login", false],
        ["changePassword", true],
        ["logout", true],
        ["refresh after logout", false],
        ["login, store broken", false],
      ]);
      // Two passwords, three access tokens, three refresh cookies at least.
      expect(secrets.size).toBeGreaterThanOrEqual(9);
      expect(lines.length).toBeGreaterThan(responses.length);
    });

    it("writes no password, access token or refresh token, nor a token's signature alone", () => {
      const log = lines.join("");
      for (const secret of secrets) {
        expect(log.includes(secret), `${secret.slice(0, 12)}… reached the log`).toBe(false);
        const tail = secret.split(".").at(-1) as string;
        if (tail.length >= 20) expect(log.includes(tail)).toBe(false);
      }
    });

    it("tags the request line and the app's own lines with the response's X-Request-Id", () => {
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const { name, response } of responses) {
        const requestId = response.headers.get("x-request-id");
        expect(requestId, name).toMatch(/^[0-9a-f-]{36}$/);
        const mine = parsed.filter((entry) => entry.requestId === requestId);
        expect(
          mine.some((entry) => entry.msg === "request"),
          name,
        ).toBe(true);
      }
      const badLoginId = responses.find(({ name }) => name === "bad login")?.response.headers.get("x-request-id");
      expect(parsed.some((entry) => entry.event === "login_failed" && entry.requestId === badLoginId)).toBe(true);
    });

    it("logs an unexpected error's detail once, with the request id of the response that hid it", () => {
      const broken = responses.find(({ name }) => name === "login, store broken")?.response;
      expect(broken?.body.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      const requestId = broken?.headers.get("x-request-id");
      const errors = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.level === 50);
      expect(errors.map((entry) => [entry.msg, entry.requestId])).toEqual([["unexpected error in GraphQL operation", requestId]]);
    });

    it("keeps each line's fields to itself (guards against an audit line's fields bleeding into the request line)", () => {
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const requestLines = parsed.filter((entry) => entry.msg === "request");
      expect(requestLines.length).toBeGreaterThan(0);
      for (const entry of requestLines) expect(entry).not.toHaveProperty("event");
    });

    it("names the GraphQL operation and the error codes sent on the request line (regression: it had neither)", () => {
      const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const requestLine = (name: string) => {
        const requestId = responses.find((step) => step.name === name)?.response.headers.get("x-request-id");
        return parsed.find((entry) => entry.msg === "request" && entry.requestId === requestId);
      };
      expect(requestLine("signUp")).toMatchObject({ operation: "SignUp", status: 200 });
      expect(requestLine("signUp")).not.toHaveProperty("errorCodes");
      expect(requestLine("me")).not.toHaveProperty("operation");
      expect(requestLine("bad login")).toMatchObject({ errorCodes: ["UNAUTHENTICATED"] });
      expect(requestLine("refresh after logout")).toMatchObject({ errorCodes: ["UNAUTHENTICATED"] });
    });

    it("ignores a client-chosen X-Request-Id, so clients cannot forge log entries (ASVS 16.4.1)", async () => {
      const response = await fetch(`${fixture.server.url}/healthz`, { headers: { "x-request-id": "client-chosen-id" } });
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(lines.join("")).not.toContain("client-chosen-id");
    });
  },
);

describe("logs on a terminal", () => {
  it("are pretty-printed outside production, and stay JSON lines in production or when not a terminal", async () => {
    let written = "";
    const output = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString("utf8");
        done();
      },
    });
    const pretty = await terminalDestination({ isProduction: false, isTTY: true, output });
    createLogger("info", pretty).info({ requestId: "r-1", status: 200 }, "request");
    expect(written).toMatch(/INFO.*request/);
    expect(written).toContain('requestId: "r-1"');
    expect(written.trimStart().startsWith("{")).toBe(false);

    // Given an output, JSON goes to it as pino's default; without one, to standard output (async).
    expect(await terminalDestination({ isProduction: true, isTTY: true, output })).toBeUndefined();
    expect(await terminalDestination({ isProduction: false, isTTY: false, output })).toBeUndefined();
    expect(await terminalDestination({ isProduction: true, isTTY: false })).toBeDefined();
  });
});
