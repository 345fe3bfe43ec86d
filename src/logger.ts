import { type Logger, pino } from "pino";

const SECRET_FIELDS = ["password", "currentPassword", "newPassword", "accessToken", "refreshToken", "token", "authorization", "cookie"];
const HEADER_PATHS = ["authorization", "cookie", '["set-cookie"]'].flatMap((h) => {
  const member = h.startsWith("[") ? h : `.${h}`;
  return [`headers${member}`, `*.headers${member}`, `req.headers${member}`, `res.headers${member}`];
});

/**
 * Paths pino blanks out wherever they appear in a log line, at the top level and two levels down:
 * tokens, cookies and passwords never reach a log (OWASP ASVS 16.2.5). Nothing in this codebase
 * logs headers, bodies or variables; this is the net under that rule, not the rule itself.
 */
const REDACTED_PATHS = [
  ...HEADER_PATHS,
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  "variables",
  "*.variables",
  "*.*.variables",
];

/**
 * The app's pino logger. Lines about a request carry its `requestId` (OWASP ASVS 16.2.1), so a log
 * search can follow one request from HTTP to store.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      base: undefined,
    },
    destination,
  );
}

/**
 * Where a server's log goes: pretty-printed lines (pino-pretty) when a person reads a terminal
 * outside production, else pino's JSON lines on standard output, which is what log collectors
 * read. Those are written asynchronously: under load, lines queued while a write is in flight go
 * out together in one system call instead of one each (issue 8 profile: `writev` was ~4% of a
 * request). pino flushes what is queued when the process exits. pino-pretty is a development
 * dependency; without it, JSON it is.
 */
export async function terminalDestination(options: {
  readonly isProduction: boolean;
  readonly isTTY: boolean;
  /** For tests; standard output otherwise. */
  readonly output?: NodeJS.WritableStream;
}): Promise<pino.DestinationStream | undefined> {
  const json = () => (options.output === undefined ? pino.destination({ dest: 1, sync: false }) : undefined);
  if (options.isProduction || !options.isTTY) return json();
  try {
    const { default: pretty } = await import("pino-pretty");
    return pretty({ colorize: options.output === undefined, sync: true, translateTime: "HH:MM:ss.l", destination: options.output ?? 1 });
  } catch {
    return json();
  }
}

export type { Logger };
