import { type Logger, pino } from "pino";

/**
 * Paths pino blanks out wherever they appear in a log line: tokens, cookies and passwords never
 * reach a log (OWASP ASVS 16.2.5).
 */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
  'headers["set-cookie"]',
  "*.password",
  "*.currentPassword",
  "*.newPassword",
  "*.accessToken",
  "*.refreshToken",
  "*.token",
  "variables",
  "*.variables",
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" }, base: undefined }, destination);
}

export type { Logger };
