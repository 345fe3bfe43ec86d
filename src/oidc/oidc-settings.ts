import type { Env } from "../env-schema.js";

/** One configured OpenID Connect provider. */
export interface OidcProviderSettings {
  /** Lower-case id used in the API and, upper-cased, in the variable names. */
  readonly id: string;
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface OidcSettings {
  readonly providers: readonly OidcProviderSettings[];
  /** A `redirectUri` must equal one of these exactly (RFC 9700 §4.1.3: no pattern or prefix matching). */
  readonly redirectUris: readonly string[];
  /** Bounds every request to a provider: discovery, token, JWKS, userinfo. */
  readonly httpTimeoutMs: number;
}

const PROVIDER_ID = /^[a-z][a-z0-9_]{0,31}$/;

function split(list: string): string[] {
  return list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function variable(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * Outside production an `http://` URL is allowed (a provider on a laptop, the tests' own); production
 * needs TLS for every exchange with a provider (RFC 9700 §2.6 / OpenID Connect Core §16.17).
 */
function checkUrl(name: string, value: string, isProduction: boolean, problems: string[], what: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name}: not a URL; accepts ${what}`);
    return false;
  }
  const secure = url.protocol === "https:";
  if (!secure && !(url.protocol === "http:" && !isProduction)) {
    problems.push(`${name}: ${isProduction ? "production requires https://" : "accepts https:// or http:// URLs"}; accepts ${what}`);
    return false;
  }
  if (url.hash !== "" || value.includes("#")) {
    problems.push(`${name}: must not carry a fragment; accepts ${what}`);
    return false;
  }
  return true;
}

/**
 * Reads OIDC_PROVIDERS, each provider's OIDC_<ID>_* variables and OIDC_REDIRECT_URIS from the
 * environment config.ts hands in; one problem line per bad variable, as the rest of the settings.
 */
export function parseOidcSettings(
  env: Env,
  values: { providers: string; redirectUris: string; httpTimeoutMs: number },
  isProduction: boolean,
  problems: string[],
): OidcSettings {
  const providers: OidcProviderSettings[] = [];
  const ids = split(values.providers).map((id) => id.toLowerCase());
  for (const id of ids) {
    if (!PROVIDER_ID.test(id)) {
      problems.push(`OIDC_PROVIDERS: "${id}" is not an id; accepts comma-separated ids of letters, digits and _ such as google,keycloak`);
      continue;
    }
    if (providers.some((p) => p.id === id)) {
      problems.push(`OIDC_PROVIDERS: "${id}" is listed twice`);
      continue;
    }
    const prefix = `OIDC_${id.toUpperCase()}_`;
    const issuer = variable(env, `${prefix}ISSUER`);
    const clientId = variable(env, `${prefix}CLIENT_ID`);
    const clientSecret = variable(env, `${prefix}CLIENT_SECRET`);
    for (const [name, value] of [
      ["ISSUER", issuer],
      ["CLIENT_ID", clientId],
      ["CLIENT_SECRET", clientSecret],
    ] as const) {
      if (value === undefined) problems.push(`${prefix}${name}: missing; provider "${id}" is listed in OIDC_PROVIDERS`);
    }
    if (issuer !== undefined) checkUrl(`${prefix}ISSUER`, issuer, isProduction, problems, "the provider's issuer URL");
    if (issuer === undefined || clientId === undefined || clientSecret === undefined) continue;
    providers.push({ id, name: variable(env, `${prefix}NAME`) ?? id, issuer, clientId, clientSecret });
  }
  const redirectUris = split(values.redirectUris);
  for (const uri of redirectUris) {
    checkUrl("OIDC_REDIRECT_URIS", uri, isProduction, problems, "comma-separated absolute URLs of your sign-in callback pages");
  }
  if (ids.length > 0 && redirectUris.length === 0) {
    problems.push("OIDC_REDIRECT_URIS: missing; list the callback pages providers may send users back to");
  }
  return { providers, redirectUris, httpTimeoutMs: values.httpTimeoutMs };
}
