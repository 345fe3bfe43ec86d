import type { Config } from "./config.js";
import { CONFIG_VARIABLES, type Env } from "./env-schema.js";
import { isCrossSite } from "./http/same-site.js";

/** Variables that are ours but read by the commands or the tests, not by the server's config. */
const READ_ELSEWHERE = new Set(["USER_PASSWORD", "TEST_DATABASE_URL", "TEST_REDIS_URL"]);

/**
 * Prefixes only this service's settings use, so an unknown name with one is a misspelt setting
 * (`JWT_SECRET`, `COOKIE_SAME_SITE`). Generic words that other software shares (`NODE_`, `LOG_`,
 * `DATABASE_`, `ENABLE_`) are left out: warning about `NODE_OPTIONS` would be noise.
 */
const OUR_PREFIXES = ["ACCESS_TOKEN_", "COOKIE_", "CORS_", "JWT_", "LOGIN_", "REFRESH_", "SESSION_", "SIGNUP_"];

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The setting an unknown name was probably meant to be: same letters in another case, or within
 * one edit of a short name (up to 7 characters) and two of a longer one. One edit only for short
 * names, since `HOME` is two edits from `HOST`.
 */
function nearestSetting(name: string): string | undefined {
  const upper = name.toUpperCase();
  let best: { setting: string; distance: number } | undefined;
  for (const setting of CONFIG_VARIABLES) {
    const allowed = setting.length >= 8 ? 2 : 1;
    // Each edit changes the length by one at most: names further apart in length cannot be near,
    // and skipping them keeps a start with a large environment from costing ~100 ms here.
    if (Math.abs(setting.length - upper.length) > allowed) continue;
    const distance = editDistance(upper, setting);
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { setting, distance };
  }
  return best?.setting;
}

/** Lines about set variables the configuration ignores but that look meant for it. */
export function unknownVariableWarnings(env: Env): string[] {
  const known = new Set(CONFIG_VARIABLES);
  const lines: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (env[name] === undefined || known.has(name) || READ_ELSEWHERE.has(name)) continue;
    const nearest = nearestSetting(name);
    if (nearest !== undefined) lines.push(`${name} is not a setting and is ignored; did you mean ${nearest}?`);
    else if (OUR_PREFIXES.some((prefix) => name.toUpperCase().startsWith(prefix))) {
      lines.push(`${name} is not a setting and is ignored; docs/settings.md lists them all`);
    }
  }
  return lines;
}

/**
 * Lines about browser settings that load fine but will not work: a production without
 * `CORS_ORIGINS`, where no page may refresh (the Origin check refuses every one), and, in
 * development, a listed origin on another site than the API (its `JWT_ISSUER`), from which
 * browsers never send a `SameSite=Lax`/`Strict` cookie (RFC 6265bis §5.7).
 */
export function browserWarnings(config: Config): string[] {
  if (config.isProduction) {
    return config.corsOrigins.length === 0
      ? ["CORS_ORIGINS is empty: no browser page may call refreshToken or logout, so browsers cannot refresh; set your frontends' origins"]
      : [];
  }
  if (config.env !== "development" || config.cookie.sameSite === "None") return [];
  return config.corsOrigins
    .filter((origin) => isCrossSite(origin, config.jwt.issuer))
    .map(
      (origin) =>
        `CORS_ORIGINS: ${origin} is on another site than the API (${config.jwt.issuer}), so browsers will not send the ` +
        `SameSite=${config.cookie.sameSite} refresh cookie from it; serve both on one site, or use COOKIE_SAMESITE=None over HTTPS (docs/deployment.md)`,
    );
}

/** Everything worth a warning line at start: settings that load but look wrong. */
export function configWarnings(config: Config, env: Env): string[] {
  return [...unknownVariableWarnings(env), ...browserWarnings(config)];
}
