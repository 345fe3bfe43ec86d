import { AsyncLocalStorage } from "node:async_hooks";
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

/** The request a log line was written for, carried through async calls without passing it down. */
const requestScope = new AsyncLocalStorage<{ readonly requestId: string }>();

/** Runs `fn` (an Express `next`, typically) so every log line it leads to carries `requestId`. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requestScope.run({ requestId }, fn);
}

/**
 * The app's pino logger. Every line written while a request is being served carries its request
 * id (OWASP ASVS 16.2.1), so a log search can follow one request from HTTP to store.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      base: undefined,
      // A fresh object each time: pino merges each line's own fields into what mixin returns, so
      // handing it the stored scope would carry one line's fields into the next.
      mixin: () => {
        const scope = requestScope.getStore();
        return scope ? { requestId: scope.requestId } : {};
      },
    },
    destination,
  );
}

/**
 * Where a server's log goes: pretty-printed lines (pino-pretty) when a person reads a terminal
 * outside production, else undefined, meaning pino's JSON lines on standard output, which is what
 * log collectors read. pino-pretty is a development dependency; without it, JSON it is.
 */
export async function terminalDestination(options: {
  readonly isProduction: boolean;
  readonly isTTY: boolean;
  /** For tests; standard output otherwise. */
  readonly output?: NodeJS.WritableStream;
}): Promise<pino.DestinationStream | undefined> {
  if (options.isProduction || !options.isTTY) return undefined;
  try {
    const { default: pretty } = await import("pino-pretty");
    return pretty({ colorize: options.output === undefined, sync: true, translateTime: "HH:MM:ss.l", destination: options.output ?? 1 });
  } catch {
    return undefined;
  }
}

export type { Logger };
