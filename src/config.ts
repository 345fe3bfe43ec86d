import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { developmentSecrets } from "./dev-secrets.js";
import { type Env, type ParsedEnv, parseEnv, parseOrigins, parseTrustProxy, SECONDS } from "./env-schema.js";
import { type OidcSettings, parseOidcSettings } from "./oidc/oidc-settings.js";

export { CONFIG_VARIABLES } from "./env-schema.js";

/**
 * The values `.env.example` shows for each secret. Production refuses them, so a copied example
 * file can never reach a deployment. `test/config.test.ts` keeps this list and the file in step.
 */
export const EXAMPLE_SECRETS: Readonly<Record<string, string>> = Object.freeze({
  ACCESS_TOKEN_SECRET: "replace-me-with-at-least-32-random-bytes-access",
  REFRESH_TOKEN_SECRET: "replace-me-with-at-least-32-random-bytes-refresh",
});

/**
 * What development and test fall back to when these are unset. Production refuses to guess them:
 * the issuer must name the real service, and the store must be chosen, not found at ./data.
 */
export const DEVELOPMENT_DEFAULTS = Object.freeze({ DATABASE_URL: "sqlite:./data/auth.db", JWT_ISSUER: "http://localhost:4000" });

/** NIST SP 800-63B §3.1.1.2 and OWASP ASVS 6.2: 256-bit HMAC keys for JWTs and token MACs. */
const MIN_SECRET_BYTES = 32;

export type JwtAlgorithm = "HS256" | "ES256" | "RS256";
export type SameSite = "Strict" | "Lax" | "None";

export interface Config {
  readonly env: "development" | "production" | "test";
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  readonly graphqlPath: "/graphql";
  readonly databaseUrl: string;
  /** PostgreSQL: the hot queries go as named prepared statements (store/named-statements.ts). */
  readonly databasePreparedStatements: boolean;
  readonly redisUrl: string | undefined;
  /** How long audit events (`auth_events`) are kept before the retention sweep deletes them. */
  readonly auditRetentionMs: number;
  readonly corsOrigins: readonly string[];
  readonly logLevel: string;
  readonly trustProxy: boolean | number | string;
  readonly allowSignup: boolean;
  readonly passwordMinLength: number;
  readonly enableIntrospection: boolean;
  /** GET /metrics (Prometheus); off in production unless asked for, since it reveals load and outcomes. */
  readonly metricsEnabled: boolean;
  readonly jwt: {
    readonly algorithm: JwtAlgorithm;
    /** HS256: the current secret and the previous ones still accepted for verification. */
    readonly secret: string | undefined;
    readonly previousSecrets: readonly string[];
    /** ES256 / RS256: the signing key and the public keys of retired signing keys. */
    readonly privateKeyPem: string | undefined;
    readonly previousPublicKeysPem: readonly string[];
    readonly issuer: string;
    readonly audience: string;
    readonly accessTokenTtlSeconds: number;
    readonly clockToleranceSeconds: number;
  };
  readonly refresh: {
    /** Keys the MAC that makes a refresh token; never leaves the server. */
    readonly secret: string;
    readonly idleTtlMs: number;
    readonly sessionMaxAgeMs: number;
    readonly reuseGraceMs: number;
  };
  readonly cookie: {
    readonly name: string;
    readonly sameSite: SameSite;
    readonly secure: boolean;
    readonly domain: string | undefined;
    readonly path: string;
  };
  readonly mfa: {
    /** The issuer authenticator apps show beside the account name. */
    readonly issuer: string;
    /** Keys that seal TOTP secrets: the first seals, every one opens (rotation). */
    readonly encryptionKeys: readonly string[];
  };
  readonly mail: {
    /** Unset outside production: mail is written as .eml files under `dropDir` instead. */
    readonly smtpUrl: string | undefined;
    readonly from: string;
    readonly dropDir: string;
    readonly passwordResetUrl: string;
    readonly emailVerificationUrl: string;
    readonly passwordResetTtlMs: number;
    readonly emailVerificationTtlMs: number;
  };
  readonly limits: {
    readonly loginFailuresPerUserIp: number;
    readonly loginBlockSeconds: number;
    readonly loginFailuresPerIpPerDay: number;
    /** Login, verifyMfa and completeOidcLogin requests per IP and minute, successful or not. */
    readonly loginsPerIpPerMinute: number;
    /** Live sessions an account may hold; a login beyond it ends the least recently used. */
    readonly sessionsPerUser: number;
    readonly signupsPerIpPerHour: number;
    readonly refreshesPerIpPerMinute: number;
  };
  readonly oidc: OidcSettings;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

export interface LoadOptions {
  /** Where development secrets (and, without SMTP_URL, mail files under `mail/`) are kept; defaults to `./data`. */
  readonly dataDir?: string;
  /** Receives the single warning line about generated development secrets. */
  readonly warn?: (line: string) => void;
}

function readKeyMaterial(inline: string | undefined, file: string | undefined, variable: string, problems: string[]) {
  if (inline !== undefined && file !== undefined) {
    problems.push(`${variable}_FILE: set either ${variable} or ${variable}_FILE, not both`);
    return undefined;
  }
  if (inline !== undefined) return inline.replace(/\\n/g, "\n");
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch {
    problems.push(`${variable}_FILE: cannot read ${file}; accepts the path of a readable PEM file`);
    return undefined;
  }
}

/** Splits a list of PEM blocks (in one string or file) into single PEMs. */
function splitPems(text: string | undefined): string[] {
  if (!text) return [];
  return text.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g) ?? [];
}

const EXAMPLE_VALUES = new Set(Object.values(EXAMPLE_SECRETS));

/** Production's rules for one secret; the value itself never appears in the line. */
function checkSecret(name: string, value: string | undefined, problems: string[]) {
  if (value === undefined) problems.push(`${name}: missing; set a random value of at least ${MIN_SECRET_BYTES} bytes`);
  else if (EXAMPLE_VALUES.has(value)) problems.push(`${name}: still the example value from .env.example; set your own random value`);
  else if (Buffer.byteLength(value, "utf8") < MIN_SECRET_BYTES)
    problems.push(`${name}: shorter than ${MIN_SECRET_BYTES} bytes; set a random value of at least ${MIN_SECRET_BYTES} bytes`);
}

const missingDatabaseUrl = `DATABASE_URL: missing; production never falls back to ${DEVELOPMENT_DEFAULTS.DATABASE_URL}; set sqlite:<path> or postgres://…`;

/** Settings that are fine on a laptop and unsafe in production; one line each. */
function refuseUnsafeProductionSettings(e: ParsedEnv, problems: string[]) {
  if (e.JWT_ISSUER === undefined) {
    problems.push(
      `JWT_ISSUER: missing; set the public URL of this service (${DEVELOPMENT_DEFAULTS.JWT_ISSUER} is only the development default)`,
    );
  }
  if (e.DATABASE_URL === undefined) problems.push(missingDatabaseUrl);
  // Trusting every hop lets any client choose its own IP through X-Forwarded-For, and with it the
  // key every per-IP limit counts under (OWASP ASVS 13.2: trust only the configured proxies).
  if (e.TRUST_PROXY === "true") {
    problems.push("TRUST_PROXY: true trusts every hop, so any client picks its own IP; set the hop count or the proxies' addresses");
  }
}

function cookieSettings(e: ParsedEnv, isProduction: boolean, problems: string[]): Config["cookie"] {
  const name = e.REFRESH_COOKIE_NAME ?? (isProduction ? "__Host-refresh_token" : "refresh_token");
  // RFC 6265bis §4.1.3: a __Host- cookie is Secure, Path=/ and has no Domain; a __Secure- one is Secure.
  const hostBound = name.startsWith("__Host-");
  if (hostBound && e.COOKIE_DOMAIN !== undefined) {
    problems.push("COOKIE_DOMAIN: must be unset when REFRESH_COOKIE_NAME starts with __Host-");
  }
  const secureBecause = isProduction
    ? "in production"
    : hostBound || name.startsWith("__Secure-")
      ? `with the cookie name ${name}`
      : e.COOKIE_SAMESITE === "None"
        ? "with COOKIE_SAMESITE=None"
        : undefined;
  // Refused rather than ignored: an operator who asked for a non-Secure cookie should learn why not.
  if (e.COOKIE_SECURE === false && secureBecause) problems.push(`COOKIE_SECURE: cannot be false ${secureBecause}; accepts true or unset`);
  return {
    name,
    sameSite: e.COOKIE_SAMESITE,
    secure: secureBecause !== undefined || e.COOKIE_SECURE === true,
    domain: e.COOKIE_DOMAIN,
    path: hostBound ? "/" : "/graphql",
  };
}

/** ES256 and RS256 sign with a private key; HS256 with a shared secret. */
const isAsymmetric = (e: ParsedEnv) => e.JWT_ALGORITHM !== "HS256";

/** The PEM private key and the retired public keys, inline or from files, checked against the algorithm. */
function keyMaterial(e: ParsedEnv, problems: string[]): Pick<Config["jwt"], "privateKeyPem" | "previousPublicKeysPem"> {
  const privateKeyPem = readKeyMaterial(e.JWT_PRIVATE_KEY, e.JWT_PRIVATE_KEY_FILE, "JWT_PRIVATE_KEY", problems);
  const previousPublicKeysPem = splitPems(
    readKeyMaterial(e.JWT_PREVIOUS_PUBLIC_KEYS, e.JWT_PREVIOUS_PUBLIC_KEYS_FILE, "JWT_PREVIOUS_PUBLIC_KEYS", problems),
  );
  if (isAsymmetric(e) && privateKeyPem === undefined && !problems.some((p) => p.startsWith("JWT_PRIVATE_KEY"))) {
    problems.push(`JWT_PRIVATE_KEY: missing; ${e.JWT_ALGORITHM} needs a PEM private key in JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE`);
  }
  if (!isAsymmetric(e) && privateKeyPem !== undefined) {
    // Otherwise the key is silently unused and tokens are signed with a shared secret instead.
    problems.push("JWT_ALGORITHM: HS256 ignores JWT_PRIVATE_KEY; accepts ES256 or RS256 with a private key, or unset the key");
  }
  return { privateKeyPem, previousPublicKeysPem };
}

function previousSecretsOf(e: ParsedEnv): string[] {
  return e.ACCESS_TOKEN_PREVIOUS_SECRETS.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Production never falls back to generated secrets: a restart on a fresh disk would silently log
 * everyone out, and several instances would disagree (OWASP ASVS 13.3.1).
 */
function checkProductionSecrets(e: ParsedEnv, problems: string[]): void {
  const previousSecrets = previousSecretsOf(e);
  if (!isAsymmetric(e)) checkSecret("ACCESS_TOKEN_SECRET", e.ACCESS_TOKEN_SECRET, problems);
  checkSecret("REFRESH_TOKEN_SECRET", e.REFRESH_TOKEN_SECRET, problems);
  for (const [i, s] of previousSecrets.entries()) checkSecret(`ACCESS_TOKEN_PREVIOUS_SECRETS (entry ${i + 1})`, s, problems);
  const mfaKey = e.MFA_ENCRYPTION_KEY;
  if (mfaKey !== undefined) {
    checkSecret("MFA_ENCRYPTION_KEY", mfaKey, problems);
    // The access secret is handed to resource servers; they must not be able to open TOTP secrets.
    if (mfaKey === e.ACCESS_TOKEN_SECRET || previousSecrets.includes(mfaKey)) {
      problems.push("MFA_ENCRYPTION_KEY: must differ from ACCESS_TOKEN_SECRET and ACCESS_TOKEN_PREVIOUS_SECRETS");
    }
  }
  // The access secret is shared with resource servers; the refresh secret must not be (ASVS 13.3.4).
  const refresh = e.REFRESH_TOKEN_SECRET;
  if (refresh !== undefined && (refresh === e.ACCESS_TOKEN_SECRET || previousSecrets.includes(refresh))) {
    problems.push("REFRESH_TOKEN_SECRET: must differ from ACCESS_TOKEN_SECRET and ACCESS_TOKEN_PREVIOUS_SECRETS");
  }
}

/**
 * The access secret (undefined for ES256/RS256) and the refresh secret. Outside production a
 * missing one comes from the development secrets file; call only once the start will go ahead,
 * since that may write the file.
 */
function secretsOf(e: ParsedEnv, isProduction: boolean, options: LoadOptions): { access: string | undefined; refresh: string } {
  let access = isAsymmetric(e) ? undefined : e.ACCESS_TOKEN_SECRET;
  let refresh = e.REFRESH_TOKEN_SECRET;
  if (!isProduction && (refresh === undefined || (!isAsymmetric(e) && access === undefined))) {
    const generated = developmentSecrets(options.dataDir ?? "./data", options.warn ?? ((line: string) => console.warn(line)));
    if (!isAsymmetric(e)) access ??= generated.ACCESS_TOKEN_SECRET;
    refresh ??= generated.REFRESH_TOKEN_SECRET;
  }
  // Production reached here only with both secrets set (checkProductionSecrets).
  return { access, refresh: refresh as string };
}

function jwtSettings(e: ParsedEnv, keys: ReturnType<typeof keyMaterial>, secret: string | undefined): Config["jwt"] {
  return {
    algorithm: e.JWT_ALGORITHM,
    secret,
    previousSecrets: previousSecretsOf(e),
    ...keys,
    issuer: e.JWT_ISSUER ?? DEVELOPMENT_DEFAULTS.JWT_ISSUER,
    audience: e.JWT_AUDIENCE,
    accessTokenTtlSeconds: Math.floor(e.ACCESS_TOKEN_TTL / SECONDS),
    clockToleranceSeconds: Math.floor(e.JWT_CLOCK_TOLERANCE / SECONDS),
  };
}

/**
 * The longest an access token is accepted after it was issued: its lifetime plus the clock
 * tolerance. An ended session must stay known (revocation list, store) at least this long.
 */
export function accessTokenAcceptedMs(jwt: Config["jwt"]): number {
  return (jwt.accessTokenTtlSeconds + jwt.clockToleranceSeconds) * SECONDS;
}

function previousMfaKeysOf(e: ParsedEnv): string[] {
  return e.MFA_PREVIOUS_ENCRYPTION_KEYS.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * MFA_ENCRYPTION_KEY seals TOTP secrets; without it REFRESH_TOKEN_SECRET does (a key is derived
 * from either by HKDF). Once MFA_ENCRYPTION_KEY is set, REFRESH_TOKEN_SECRET stays accepted for
 * opening, so secrets sealed before it was introduced keep working.
 */
function mfaSettings(e: ParsedEnv, refreshSecret: string): Config["mfa"] {
  const current = e.MFA_ENCRYPTION_KEY ?? refreshSecret;
  const keys = [current, ...previousMfaKeysOf(e), ...(e.MFA_ENCRYPTION_KEY ? [refreshSecret] : [])];
  return { issuer: e.MFA_ISSUER, encryptionKeys: [...new Set(keys)] };
}

function mailSettings(e: ParsedEnv, options: LoadOptions): Config["mail"] {
  return {
    smtpUrl: e.SMTP_URL,
    from: e.MAIL_FROM,
    dropDir: join(options.dataDir ?? "./data", "mail"),
    passwordResetUrl: e.PASSWORD_RESET_URL,
    emailVerificationUrl: e.EMAIL_VERIFICATION_URL,
    passwordResetTtlMs: e.PASSWORD_RESET_TTL,
    emailVerificationTtlMs: e.EMAIL_VERIFICATION_TTL,
  };
}

function limitSettings(e: ParsedEnv): Config["limits"] {
  return {
    loginFailuresPerUserIp: e.LOGIN_MAX_FAILURES,
    loginBlockSeconds: Math.ceil(e.LOGIN_BLOCK_DURATION / SECONDS),
    loginFailuresPerIpPerDay: e.LOGIN_MAX_FAILURES_PER_IP_PER_DAY,
    loginsPerIpPerMinute: e.LOGIN_MAX_PER_IP_PER_MINUTE,
    sessionsPerUser: e.MAX_SESSIONS_PER_USER,
    signupsPerIpPerHour: e.SIGNUP_MAX_PER_IP_PER_HOUR,
    refreshesPerIpPerMinute: e.REFRESH_MAX_PER_IP_PER_MINUTE,
  };
}

/**
 * Reads every setting once, reports every bad variable in one go (one line each, naming it and what
 * it accepts), and returns a frozen Config. The only place in the project that reads the environment.
 *
 * @example
 * const config = loadConfig(); // process.env, after ./.env
 * const config = loadConfig({ NODE_ENV: "test", ACCESS_TOKEN_SECRET: "…" }, { dataDir: tmp });
 */
export function loadConfig(env: Env = readEnvironment(), options: LoadOptions = {}): Config {
  const { values: e, problems } = parseEnv(env);
  const isProduction = e.NODE_ENV === "production";
  const keys = keyMaterial(e, problems);
  const corsOrigins = parseOrigins(e.CORS_ORIGINS, problems);
  const trustProxy = parseTrustProxy(e.TRUST_PROXY, problems);
  const cookie = cookieSettings(e, isProduction, problems);
  const oidc = parseOidcSettings(
    env,
    { providers: e.OIDC_PROVIDERS, redirectUris: e.OIDC_REDIRECT_URIS, httpTimeoutMs: e.OIDC_HTTP_TIMEOUT },
    isProduction,
    problems,
  );
  if (e.REFRESH_TOKEN_TTL > e.SESSION_MAX_AGE) problems.push("REFRESH_TOKEN_TTL: must not be longer than SESSION_MAX_AGE");
  if (isProduction) {
    refuseUnsafeProductionSettings(e, problems);
    checkProductionSecrets(e, problems);
    // Production must reach its users; writing their reset links to local files would lose them.
    if (e.SMTP_URL === undefined) {
      problems.push("SMTP_URL: missing; production sends mail over SMTP, e.g. smtp://user:pass@host:587 or smtps://user:pass@host:465");
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const secrets = secretsOf(e, isProduction, options);
  const config: Config = {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    graphqlPath: "/graphql",
    databaseUrl: e.DATABASE_URL ?? DEVELOPMENT_DEFAULTS.DATABASE_URL,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    redisUrl: e.REDIS_URL,
    auditRetentionMs: e.AUDIT_RETENTION,
    corsOrigins,
    logLevel: e.LOG_LEVEL,
    trustProxy,
    allowSignup: e.ALLOW_SIGNUP,
    passwordMinLength: e.PASSWORD_MIN_LENGTH,
    enableIntrospection: e.ENABLE_INTROSPECTION ?? !isProduction,
    metricsEnabled: e.METRICS_ENABLED ?? !isProduction,
    jwt: jwtSettings(e, keys, secrets.access),
    refresh: {
      secret: secrets.refresh,
      idleTtlMs: e.REFRESH_TOKEN_TTL,
      sessionMaxAgeMs: e.SESSION_MAX_AGE,
      reuseGraceMs: e.REFRESH_REUSE_GRACE,
    },
    cookie,
    mfa: mfaSettings(e, secrets.refresh),
    mail: mailSettings(e, options),
    limits: limitSettings(e),
    oidc,
  };
  return deepFreeze(config);
}

/** What the command-line tools need: where the store is and the password rule, and no secrets. */
export interface StoreConfig {
  readonly env: Config["env"];
  readonly databaseUrl: string;
  readonly passwordMinLength: number;
}

/**
 * The store settings alone, for `npm run migrate` and `npm run user:create`: a migration job holds
 * the database URL and nothing else, so it is never asked for token secrets it does not need
 * (least privilege, OWASP ASVS 13.3.2). Bad values are reported as `loadConfig` reports them.
 */
export function loadStoreConfig(env: Env = readEnvironment()): StoreConfig {
  const { values, problems } = parseEnv(env);
  const relevant = problems.filter((line) => /^(NODE_ENV|DATABASE_URL|PASSWORD_MIN_LENGTH):/.test(line));
  const databaseUrlRefused = relevant.some((line) => line.startsWith("DATABASE_URL:"));
  if (values.NODE_ENV === "production" && values.DATABASE_URL === undefined && !databaseUrlRefused) relevant.push(missingDatabaseUrl);
  if (relevant.length > 0) throw new ConfigError(relevant);
  return Object.freeze({
    env: values.NODE_ENV,
    databaseUrl: values.DATABASE_URL ?? DEVELOPMENT_DEFAULTS.DATABASE_URL,
    passwordMinLength: values.PASSWORD_MIN_LENGTH,
  });
}

/** The process environment, with a `.env` file in the working directory loaded first if present. */
export function readEnvironment(): Env {
  if (existsSync(".env")) process.loadEnvFile(".env");
  return { ...process.env };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
