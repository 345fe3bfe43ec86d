/**
 * Errors that say the store could not be reached, as opposed to a query it refused: PostgreSQL's
 * connection-exception class (08), shutdowns and start-ups (57P01-57P03), too many connections,
 * the socket errors Node reports, and node-postgres's own messages for a dropped connection.
 */
const SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
const MESSAGES = [/^Connection terminated/, /not queryable/, /timeout exceeded when trying to connect/, /^connect /];

export function isConnectionFault(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // GraphQL and Kysely wrap what the driver threw.
  const wrapped = (error as { originalError?: unknown }).originalError ?? error.cause;
  if (wrapped !== undefined && wrapped !== error && isConnectionFault(wrapped)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (SQLSTATES.has(code) || code.startsWith("08") || ERRNOS.has(code))) return true;
  if (error instanceof AggregateError && error.errors.some(isConnectionFault)) return true;
  return MESSAGES.some((pattern) => pattern.test(error.message));
}
