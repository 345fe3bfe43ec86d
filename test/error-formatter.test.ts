import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { AuthError } from "../src/errors.js";
import { createErrorFormatter, GENERIC_MESSAGE, isUnexpected } from "../src/graphql/error-formatter.js";

/** What a resolver's error looks like by the time Apollo hands it to formatError. */
function located(original: Error) {
  const error = new GraphQLError(original.message, { path: ["me"], originalError: original });
  // Apollo codes any error without its own code INTERNAL_SERVER_ERROR, AuthError included.
  const formatted = { message: error.message, path: ["me"], extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["at somewhere"] } };
  return { error, formatted };
}

describe("formatError", () => {
  const format = (exposeDetails: boolean, hideSuggestions = false) => createErrorFormatter({ exposeDetails, hideSuggestions });

  it("passes an AuthError's code and reason through without a stack, even in development", () => {
    const { error, formatted } = located(AuthError.unauthenticated("TOKEN_EXPIRED"));
    for (const expose of [true, false]) {
      const out = format(expose)(formatted, error);
      expect(out.extensions).toEqual({ code: "UNAUTHENTICATED", reason: "TOKEN_EXPIRED" });
    }
    expect(isUnexpected(error)).toBe(false);
  });

  it("masks a driver error outside development and counts it unexpected, so it is logged (guards against store messages reaching clients)", () => {
    const { error, formatted } = located(new Error('duplicate key value violates unique constraint "users_pkey"'));
    const out = format(false)(formatted, error);
    expect(out).toEqual({ message: GENERIC_MESSAGE, path: ["me"], extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(isUnexpected(error)).toBe(true);
  });

  it("keeps an unexpected error's detail in development, coded INTERNAL_SERVER_ERROR", () => {
    const { error, formatted } = located(new Error("boom"));
    const out = format(true)(formatted, error);
    expect(out.message).toBe("boom");
    expect(out.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(out.extensions?.stacktrace).toBeDefined();
  });

  it("drops graphql-js's suggestions from request refusals when told to, and keeps the rest of the message", () => {
    const cases: [message: string, hidden: string, code: string][] = [
      [
        'Cannot query field "mee" on type "Query". Did you mean "me"?',
        'Cannot query field "mee" on type "Query".',
        "GRAPHQL_VALIDATION_FAILED",
      ],
      [
        'Variable "$input" got invalid value { usernme: "a" }; Field "usernme" is not defined by type "LoginInput". Did you mean "username" or "password"?',
        'Variable "$input" got invalid value { usernme: "a" }; Field "usernme" is not defined by type "LoginInput".',
        "BAD_USER_INPUT",
      ],
    ];
    for (const [message, hidden, code] of cases) {
      const formatted = { message, extensions: { code } };
      expect(format(false, true)(formatted, new GraphQLError(message)).message).toBe(hidden);
      expect(format(false, false)(formatted, new GraphQLError(message)).message).toBe(message);
    }
  });

  it("drops a suggestion in linear time, whatever the quoted values hold (no ReDoS, CWE-1333)", () => {
    // A refused variable's message quotes its value; this one would take a backtracking pattern
    // billions of steps, far past the test's time limit.
    const hostile = `Variable "$input" got invalid value "${"Did you mean ".repeat(20_000)}x"; Expected type "String".`;
    const format = createErrorFormatter({ exposeDetails: false, hideSuggestions: true });
    expect(format({ message: hostile, extensions: { code: "BAD_USER_INPUT" } }, new GraphQLError(hostile)).message).toBe(hostile);
    const suggested = `${hostile} Did you mean "username"?`;
    expect(format({ message: suggested, extensions: { code: "BAD_USER_INPUT" } }, new GraphQLError(suggested)).message).toBe(hostile);
  });
});
