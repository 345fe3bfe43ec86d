import { type Logger, pino } from "pino";
import { withoutSecrets } from "./log-redaction.js";

/**
 * The app's pino logger. Lines about a request carry its `requestId` (OWASP ASVS 16.2.1), so a log
 * search can follow one request from HTTP to store; every line's fields pass through
 * `withoutSecrets` first.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      formatters: { log: withoutSecrets },
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
