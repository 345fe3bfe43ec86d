import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import ms from "ms";
import { z } from "zod";

/**
 * The values `.env.example` shows for each secret. Production refuses them, so a copied example
 * file can never reach a deployment. `test/config.test.ts` keeps this list and the file in step.
 */
export const EXAMPLE_SECRETS: Readonly<Record<string, string>> = Object.freeze({
  ACCESS_TOKEN_SECRET: "replace-me-with-at-least-32-random-bytes-access",
  REFRESH_TOKEN_SECRET: "replace-me-with-at-least-32-random-bytes-refresh",
});

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
  readonly redisUrl: string | undefined;
  readonly corsOrigins: readonly string[];
  readonly logLevel: string;
  readonly trustProxy: boolean | number | string;
  readonly allowSignup: boolean;
  readonly passwordMinLength: number;
  readonly enableIntrospection: boolean;
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
  readonly limits: {
    readonly loginFailuresPerUserIp: number;
    readonly loginBlockSeconds: number;
    readonly loginFailuresPerIpPerDay: number;
    readonly signupsPerIpPerHour: number;
    readonly refreshesPerIpPerMinute: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

export interface LoadOptions {
  /** Where development secrets are kept; defaults to `./data`. */
  readonly dataDir?: string;
  /** Receives the single warning line about generated development secrets. */
  readonly warn?: (line: string) => void;
}

type Env = Readonly<Record<string, string | undefined>>;

const duration = (what: string) =>
  z.string().transform((value, ctx) => {
    const parsed = /^\d+$/.test(value) ? Number(value) * 1000 : ms(value as ms.StringValue);
    if (typeof parsed !== "number" || !Number.isFinite(parsed) || parsed <= 0) {
      ctx.addIssue({ code: "custom", message: `accepts a ${what} duration such as 10m, 1d or 30s` });
      return z.NEVER;
    }
    return parsed;
  });

const bool = z.enum(["true", "false", "1", "0"], { message: "accepts true or false" }).transform((v) => v === "true" || v === "1");

const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `accepts a whole number from 1 to ${max}` })
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, { message: `accepts a whole number from 1 to ${max}` });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"], { message: "accepts development, production or test" }).default("development"),
  PORT: z
    .string()
    .regex(/^\d+$/, { message: "accepts a port number from 0 to 65535" })
    .transform(Number)
    .refine((n) => n <= 65535, { message: "accepts a port number from 0 to 65535" })
    .default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, { message: "accepts sqlite:<path> or postgres://…" })
    .default("sqlite:./data/auth.db"),
  REDIS_URL: optionalText.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, { message: "accepts redis://… or rediss://…" })
      .optional(),
  ),
  CORS_ORIGINS: z.string().default(""),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      message: "accepts fatal, error, warn, info, debug, trace or silent",
    })
    .default("info"),
  TRUST_PROXY: z.string().default("false"),
  ALLOW_SIGNUP: bool.default(true),
  PASSWORD_MIN_LENGTH: positiveInt(256)
    .refine((n) => n >= 8, { message: "accepts a whole number from 8 to 256" })
    .default(8),
  ENABLE_INTROSPECTION: bool.optional(),
  ACCESS_TOKEN_SECRET: optionalText,
  ACCESS_TOKEN_PREVIOUS_SECRETS: z.string().default(""),
  REFRESH_TOKEN_SECRET: optionalText,
  JWT_ALGORITHM: z.enum(["HS256", "ES256", "RS256"], { message: "accepts HS256, ES256 or RS256" }).default("HS256"),
  JWT_PRIVATE_KEY: optionalText,
  JWT_PRIVATE_KEY_FILE: optionalText,
  JWT_PREVIOUS_PUBLIC_KEYS: optionalText,
  JWT_PREVIOUS_PUBLIC_KEYS_FILE: optionalText,
  JWT_ISSUER: z.string().min(1).default("http://localhost:4000"),
  JWT_AUDIENCE: z.string().min(1).default("auth-api"),
  ACCESS_TOKEN_TTL: duration("positive").default(ms("10m")),
  REFRESH_TOKEN_TTL: duration("positive").default(ms("1d")),
  SESSION_MAX_AGE: duration("positive").default(ms("30d")),
  REFRESH_REUSE_GRACE: duration("positive").default(ms("10s")),
  JWT_CLOCK_TOLERANCE: duration("positive").default(ms("5s")),
  REFRESH_COOKIE_NAME: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, { message: "accepts letters, digits, _ . and -" })
      .optional(),
  ),
  COOKIE_SAMESITE: z
    .string()
    .transform((v) => v.charAt(0).toUpperCase() + v.slice(1).toLowerCase())
    .pipe(z.enum(["Strict", "Lax", "None"], { message: "accepts Strict, Lax or None" }))
    .default("Lax"),
  COOKIE_SECURE: bool.optional(),
  COOKIE_DOMAIN: optionalText,
  LOGIN_MAX_FAILURES: positiveInt(1000).default(5),
  LOGIN_BLOCK_DURATION: duration("positive").default(ms("15m")),
  LOGIN_MAX_FAILURES_PER_IP_PER_DAY: positiveInt(1_000_000).default(100),
  SIGNUP_MAX_PER_IP_PER_HOUR: positiveInt(1_000_000).default(10),
  REFRESH_MAX_PER_IP_PER_MINUTE: positiveInt(1_000_000).default(60),
});

function parseTrustProxy(value: string): boolean | number | string {
  if (value === "true") return true;
  if (value === "false" || value === "") return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value; // a comma-separated list of addresses or subnets, as Express reads it
}

function readKeyMaterial(inline: string | undefined, file: string | undefined, variable: string, problems: string[]) {
  if (inline !== undefined) return inline.replace(/\\n/g, "\n");
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch {
    problems.push(`${variable}_FILE: cannot read ${file}`);
    return undefined;
  }
}

/** Splits a list of PEM blocks (in one string or file) into single PEMs. */
function splitPems(text: string | undefined): string[] {
  if (!text) return [];
  return text.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g) ?? [];
}

interface DevSecrets {
  ACCESS_TOKEN_SECRET: string;
  REFRESH_TOKEN_SECRET: string;
}

/** Generates development secrets once and keeps them under the data folder (git-ignored). */
function developmentSecrets(dataDir: string, warn: (line: string) => void): DevSecrets {
  const file = resolve(dataDir, "dev-secrets.json");
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, "utf8")) as Partial<DevSecrets>;
    if (stored.ACCESS_TOKEN_SECRET && stored.REFRESH_TOKEN_SECRET) return stored as DevSecrets;
  }
  const secrets: DevSecrets = {
    ACCESS_TOKEN_SECRET: randomBytes(32).toString("base64url"),
    REFRESH_TOKEN_SECRET: randomBytes(32).toString("base64url"),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  warn(`warning: generated development secrets in ${file}; set ACCESS_TOKEN_SECRET and REFRESH_TOKEN_SECRET before production`);
  return secrets;
}

function checkSecret(name: string, value: string | undefined, problems: string[]) {
  if (value === undefined) problems.push(`${name}: missing; set a random value of at least ${MIN_SECRET_BYTES} bytes`);
  else if (value === EXAMPLE_SECRETS[name]) problems.push(`${name}: still the example value from .env.example; set your own random value`);
  else if (Buffer.byteLength(value, "utf8") < MIN_SECRET_BYTES)
    problems.push(`${name}: shorter than ${MIN_SECRET_BYTES} bytes; set a random value of at least ${MIN_SECRET_BYTES} bytes`);
}

function parseOrigins(list: string, problems: string[]): string[] {
  const origins: string[] = [];
  for (const raw of list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    try {
      const url = new URL(raw);
      if (url.origin === "null" || url.origin !== raw.replace(/\/$/, "")) throw new Error("not an origin");
      origins.push(url.origin);
    } catch {
      problems.push(`CORS_ORIGINS: "${raw}" is not an origin; accepts comma-separated origins such as https://app.example.com`);
    }
  }
  return origins;
}

/**
 * Reads every setting once, reports every bad variable in one go, and returns a frozen Config.
 * The only place in the project that looks at the environment.
 */
export function loadConfig(env: Env = readEnvironment(), options: LoadOptions = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError([...new Set(lines)]);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const isProduction = e.NODE_ENV === "production";
  const dataDir = options.dataDir ?? "./data";
  const warn = options.warn ?? ((line: string) => console.warn(line));

  let accessSecret = e.ACCESS_TOKEN_SECRET;
  let refreshSecret = e.REFRESH_TOKEN_SECRET;
  const asymmetric = e.JWT_ALGORITHM !== "HS256";
  const privateKeyPem = readKeyMaterial(e.JWT_PRIVATE_KEY, e.JWT_PRIVATE_KEY_FILE, "JWT_PRIVATE_KEY", problems);
  const previousPublicKeysPem = splitPems(
    readKeyMaterial(e.JWT_PREVIOUS_PUBLIC_KEYS, e.JWT_PREVIOUS_PUBLIC_KEYS_FILE, "JWT_PREVIOUS_PUBLIC_KEYS", problems),
  );

  // Production never falls back to generated secrets: a restart on a fresh disk would silently
  // log everyone out, and several instances would disagree (OWASP ASVS 13.3).
  if (!isProduction && (refreshSecret === undefined || (!asymmetric && accessSecret === undefined))) {
    const generated = developmentSecrets(dataDir, warn);
    accessSecret ??= generated.ACCESS_TOKEN_SECRET;
    refreshSecret ??= generated.REFRESH_TOKEN_SECRET;
  }
  if (isProduction) {
    if (!asymmetric) checkSecret("ACCESS_TOKEN_SECRET", accessSecret, problems);
    checkSecret("REFRESH_TOKEN_SECRET", refreshSecret, problems);
  }
  if (asymmetric && privateKeyPem === undefined && !problems.some((p) => p.startsWith("JWT_PRIVATE_KEY"))) {
    problems.push(`JWT_PRIVATE_KEY: missing; ${e.JWT_ALGORITHM} needs a PEM private key in JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE`);
  }
  const previousSecrets = e.ACCESS_TOKEN_PREVIOUS_SECRETS.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (isProduction) {
    for (const [i, s] of previousSecrets.entries()) checkSecret(`ACCESS_TOKEN_PREVIOUS_SECRETS[${i}]`, s, problems);
  }

  const corsOrigins = parseOrigins(e.CORS_ORIGINS, problems);

  const hostPrefixed = (name: string) => name.startsWith("__Host-");
  const cookieName = e.REFRESH_COOKIE_NAME ?? (isProduction ? "__Host-refresh_token" : "refresh_token");
  // A __Host- cookie is bound to this exact host: Secure, Path=/ and no Domain (RFC 6265bis §4.1.3.2).
  if (hostPrefixed(cookieName) && e.COOKIE_DOMAIN !== undefined) {
    problems.push("COOKIE_DOMAIN: must be empty when REFRESH_COOKIE_NAME starts with __Host-");
  }
  if (e.COOKIE_SECURE === false && (hostPrefixed(cookieName) || e.COOKIE_SAMESITE === "None")) {
    problems.push("COOKIE_SECURE: cannot be false with a __Host- cookie name or COOKIE_SAMESITE=None");
  }
  const secure = isProduction || e.COOKIE_SECURE === true || e.COOKIE_SAMESITE === "None" || hostPrefixed(cookieName);

  if (e.REFRESH_TOKEN_TTL > e.SESSION_MAX_AGE) problems.push("REFRESH_TOKEN_TTL: must not be longer than SESSION_MAX_AGE");

  if (problems.length > 0) throw new ConfigError(problems);

  const config: Config = {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    graphqlPath: "/graphql",
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    corsOrigins,
    logLevel: e.LOG_LEVEL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    allowSignup: e.ALLOW_SIGNUP,
    passwordMinLength: e.PASSWORD_MIN_LENGTH,
    enableIntrospection: e.ENABLE_INTROSPECTION ?? !isProduction,
    jwt: {
      algorithm: e.JWT_ALGORITHM,
      secret: asymmetric ? undefined : accessSecret,
      previousSecrets,
      privateKeyPem,
      previousPublicKeysPem,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTokenTtlSeconds: Math.max(1, Math.floor(e.ACCESS_TOKEN_TTL / 1000)),
      clockToleranceSeconds: Math.floor(e.JWT_CLOCK_TOLERANCE / 1000),
    },
    refresh: {
      secret: refreshSecret as string,
      idleTtlMs: e.REFRESH_TOKEN_TTL,
      sessionMaxAgeMs: e.SESSION_MAX_AGE,
      reuseGraceMs: e.REFRESH_REUSE_GRACE,
    },
    cookie: {
      name: cookieName,
      sameSite: e.COOKIE_SAMESITE,
      secure,
      domain: e.COOKIE_DOMAIN,
      path: hostPrefixed(cookieName) ? "/" : "/graphql",
    },
    limits: {
      loginFailuresPerUserIp: e.LOGIN_MAX_FAILURES,
      loginBlockSeconds: Math.ceil(e.LOGIN_BLOCK_DURATION / 1000),
      loginFailuresPerIpPerDay: e.LOGIN_MAX_FAILURES_PER_IP_PER_DAY,
      signupsPerIpPerHour: e.SIGNUP_MAX_PER_IP_PER_HOUR,
      refreshesPerIpPerMinute: e.REFRESH_MAX_PER_IP_PER_MINUTE,
    },
  };
  return deepFreeze(config);
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
