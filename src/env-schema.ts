import { isIP } from "node:net";
import ms from "ms";
import { z } from "zod";

/** The environment as read: a variable's text, or undefined when it is unset. */
export type Env = Readonly<Record<string, string | undefined>>;

export const SECONDS = 1000;

export const DAY = 24 * 60 * 60 * SECONDS;

/** A `ms`-style duration (`10m`, `1d`; a bare number is seconds) of at least `minMs`. */
const duration = (
  minMs: number,
  message = minMs > 0
    ? "accepts a duration of at least 1s such as 30s, 10m or 1d"
    : "accepts a duration such as 0, 5s or 1m (a bare number is seconds)",
) => {
  return z.string().transform((value, ctx) => {
    const parsed = /^\d+$/.test(value) ? Number(value) * SECONDS : ms(value as ms.StringValue);
    if (typeof parsed !== "number" || !Number.isFinite(parsed) || parsed < minMs) {
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    return parsed;
  });
};

const bool = z.enum(["true", "false", "1", "0"], { message: "accepts true or false" }).transform((v) => v === "true" || v === "1");

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `accepts a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `accepts a whole number from ${min} to ${max}` });

const text = (message: string, pattern: RegExp) => z.string().regex(pattern, { message });

/** A page of the frontend that mail links point at; the token is added as the query parameter `token`. */
const webUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.protocol === "http:") && url.hash === "";
    } catch {
      return false;
    }
  },
  { message: "accepts an http(s) URL without a #fragment, such as https://app.example.com/reset-password" },
);

/**
 * Every variable the configuration reads. A blank value counts as unset (see `withoutBlanks`), so
 * an empty line in `.env` or a compose file means "use the default".
 */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"], { message: "accepts development, production or test" }).default("development"),
  PORT: wholeNumber(0, 65535).default(4000),
  HOST: text("accepts a host name or IP address such as 127.0.0.1 or 0.0.0.0", /^[^\s/]+$/).default("127.0.0.1"),
  // No default here: production refuses to run without one (config.ts supplies development's).
  DATABASE_URL: text("accepts sqlite:<path> or postgres://…", /^(sqlite:.+|postgres(ql)?:\/\/.+)$/).optional(),
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  REDIS_URL: text("accepts redis://… or rediss://…", /^rediss?:\/\/.+/).optional(),
  // At least a day: a bare "90" would be 90 seconds, and an audit trail that short is none.
  AUDIT_RETENTION: duration(DAY, "accepts a duration of at least 1d such as 30d, 90d or 365d").default(ms("90d")),
  CORS_ORIGINS: z.string().default(""),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      message: "accepts fatal, error, warn, info, debug, trace or silent",
    })
    .default("info"),
  TRUST_PROXY: z.string().default("false"),
  ALLOW_SIGNUP: bool.default(true),
  PASSWORD_MIN_LENGTH: wholeNumber(8, 256).default(8),
  ENABLE_INTROSPECTION: bool.optional(),
  METRICS_ENABLED: bool.optional(),
  ACCESS_TOKEN_SECRET: z.string().optional(),
  ACCESS_TOKEN_PREVIOUS_SECRETS: z.string().default(""),
  REFRESH_TOKEN_SECRET: z.string().optional(),
  JWT_ALGORITHM: z.enum(["HS256", "ES256", "RS256"], { message: "accepts HS256, ES256 or RS256" }).default("HS256"),
  JWT_PRIVATE_KEY: z.string().optional(),
  JWT_PRIVATE_KEY_FILE: z.string().optional(),
  JWT_PREVIOUS_PUBLIC_KEYS: z.string().optional(),
  JWT_PREVIOUS_PUBLIC_KEYS_FILE: z.string().optional(),
  // No default here: production refuses to run without one (config.ts supplies development's).
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().default("auth-api"),
  ACCESS_TOKEN_TTL: duration(SECONDS).default(ms("10m")),
  REFRESH_TOKEN_TTL: duration(SECONDS).default(ms("1d")),
  SESSION_MAX_AGE: duration(SECONDS).default(ms("30d")),
  REFRESH_REUSE_GRACE: duration(0).default(ms("10s")),
  JWT_CLOCK_TOLERANCE: duration(0).default(ms("5s")),
  REFRESH_COOKIE_NAME: text("accepts letters, digits, _ . and -", /^[A-Za-z0-9_.-]+$/).optional(),
  COOKIE_SAMESITE: z
    .string()
    .transform((v) => v.charAt(0).toUpperCase() + v.slice(1).toLowerCase())
    .pipe(z.enum(["Strict", "Lax", "None"], { message: "accepts Strict, Lax or None" }))
    .default("Lax"),
  COOKIE_SECURE: bool.optional(),
  COOKIE_DOMAIN: text("accepts a domain name such as example.com", /^\.?(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+$/).optional(),
  LOGIN_MAX_FAILURES: wholeNumber(1, 1000).default(5),
  LOGIN_BLOCK_DURATION: duration(SECONDS).default(ms("15m")),
  LOGIN_MAX_FAILURES_PER_IP_PER_DAY: wholeNumber(1, 1_000_000).default(100),
  LOGIN_MAX_PER_IP_PER_MINUTE: wholeNumber(1, 1_000_000).default(60),
  MAX_SESSIONS_PER_USER: wholeNumber(1, 10_000).default(50),
  SIGNUP_MAX_PER_IP_PER_HOUR: wholeNumber(1, 1_000_000).default(10),
  REFRESH_MAX_PER_IP_PER_MINUTE: wholeNumber(1, 1_000_000).default(60),
  // Each provider's own OIDC_<ID>_* variables are read by src/oidc/oidc-settings.ts.
  OIDC_PROVIDERS: z.string().default(""),
  OIDC_REDIRECT_URIS: z.string().default(""),
  OIDC_HTTP_TIMEOUT: duration(SECONDS).default(ms("5s")),
  MFA_ISSUER: text("accepts a name without ':' such as graphql-auth-api or Example Inc", /^[^:\u0000-\u001f]{1,64}$/).default(
    "graphql-auth-api",
  ),
  MFA_ENCRYPTION_KEY: z.string().optional(),
  MFA_PREVIOUS_ENCRYPTION_KEYS: z.string().default(""),
  SMTP_URL: text("accepts smtp://user:pass@host:587 or smtps://user:pass@host:465", /^smtps?:\/\/[^\s]+$/).optional(),
  MAIL_FROM: text("accepts a sender such as Auth <no-reply@example.com>", /^[^\r\n]*@[^\r\n]+$/).default("Auth <no-reply@localhost>"),
  PASSWORD_RESET_URL: webUrl.default("http://localhost:3000/reset-password"),
  EMAIL_VERIFICATION_URL: webUrl.default("http://localhost:3000/verify-email"),
  PASSWORD_RESET_TTL: duration(SECONDS).default(ms("30m")),
  EMAIL_VERIFICATION_TTL: duration(SECONDS).default(ms("24h")),
});

/** The names of every variable the configuration reads; `.env.example` documents each. */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

export type ParsedEnv = z.output<typeof envSchema>;

function withoutBlanks(env: Env): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") kept[name] = value;
  }
  return kept;
}

/**
 * Parses the environment, one line per bad variable, naming it and what it accepts. The bad ones
 * fall back to their defaults so the checks that follow can still report their own problems.
 */
export function parseEnv(env: Env): { values: ParsedEnv; problems: string[] } {
  const given = withoutBlanks(env);
  const parsed = envSchema.safeParse(given);
  if (parsed.success) return { values: parsed.data, problems: [] };
  const lines = new Map<string, string>();
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0]);
    if (!lines.has(name)) lines.set(name, `${name}: ${issue.message}`);
    delete given[name];
  }
  return { values: envSchema.parse(given), problems: [...lines.values()] };
}

const TRUST_PROXY_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/** Express's `trust proxy`: true, false, a hop count, or a list of names, addresses and subnets. */
export function parseTrustProxy(value: string, problems: string[]): boolean | number | string {
  if (value === "true") return true;
  if (value === "false") return false;
  if (/^\d+$/.test(value)) return Number(value);
  const valid = value.split(",").every((raw) => {
    const entry = raw.trim();
    if (TRUST_PROXY_NAMES.has(entry)) return true;
    const [address = "", prefix, ...rest] = entry.split("/");
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (prefix === undefined) return true;
    if (/^\d+$/.test(prefix)) return Number(prefix) <= (family === 4 ? 32 : 128);
    return family === 4 && isIP(prefix) === 4; // a netmask, as proxy-addr also reads
  });
  if (!valid) {
    problems.push(
      "TRUST_PROXY: accepts true, false, a hop count, or comma-separated addresses, subnets, loopback, linklocal or uniquelocal",
    );
  }
  return value;
}

export function parseOrigins(list: string, problems: string[]): string[] {
  const origins: string[] = [];
  const bad: string[] = [];
  for (const raw of list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    try {
      const url = new URL(raw);
      if (url.origin === "null" || url.origin !== raw.replace(/\/$/, "")) throw new Error("not an origin");
      origins.push(url.origin);
    } catch {
      bad.push(`"${raw}"`);
    }
  }
  if (bad.length > 0) {
    problems.push(`CORS_ORIGINS: ${bad.join(", ")} not an origin; accepts comma-separated origins such as https://app.example.com`);
  }
  return origins;
}
