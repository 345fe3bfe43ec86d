import { findSetCookie } from "../support/set-cookie.js";

/** The few GraphQL calls that prepare a run: a user, its access token, and its sessions. */

export const PASSWORD = "correct horse battery staple";

interface AuthResult {
  readonly accessToken: string;
  /** The refresh cookie's value, read from Set-Cookie. */
  readonly refreshCookie: string;
}

async function authCall(endpoint: string, cookieName: string, query: string, input: Record<string, string>): Promise<AuthResult> {
  const res = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables: { input } }),
  });
  const body = (await res.json()) as {
    data?: Record<string, { accessToken: string }> | null;
    errors?: { extensions?: { code?: string } }[];
  };
  const payload = body.data ? Object.values(body.data)[0] : undefined;
  if (!res.ok || payload === undefined) {
    throw new Error(`setup call failed with HTTP ${res.status}, code ${body.errors?.[0]?.extensions?.code ?? "none"}`);
  }
  const cookie = findSetCookie(res.headers.getSetCookie(), cookieName);
  if (cookie === undefined) throw new Error(`setup call set no ${cookieName} cookie`);
  return { accessToken: payload.accessToken, refreshCookie: cookie.value };
}

export function signUp(endpoint: string, cookieName: string, username: string): Promise<AuthResult> {
  return authCall(endpoint, cookieName, "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }", {
    username,
    email: `${username}@example.com`,
    password: PASSWORD,
  });
}

export function login(endpoint: string, cookieName: string, username: string): Promise<AuthResult> {
  return authCall(endpoint, cookieName, "mutation($input: LoginInput!) { login(input: $input) { accessToken } }", {
    username,
    password: PASSWORD,
  });
}
