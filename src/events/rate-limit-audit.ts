import type { ClientInfo } from "../auth/client-info.js";
import { AuthError } from "../errors.js";
import type { AuthEvents } from "./auth-events.js";

/**
 * Awaits a limit check and passes its refusal on, recording it in the audit trail once per blocked
 * key and block (`firstRefusal`): a flood of refused requests writes one row and one log line, not
 * one each (OWASP ASVS 16.3.2, CWE-770); the metrics count every refusal. `what` names the operation; `userId` the account, when known.
 */
export async function auditedLimit<T>(
  events: AuthEvents,
  check: Promise<T>,
  what: string,
  client: ClientInfo,
  userId: string | null = null,
): Promise<T> {
  try {
    return await check;
  } catch (error) {
    if (error instanceof AuthError && error.code === "RATE_LIMITED") {
      const event = { type: "rate_limited", userId, ...client, detail: what } as const;
      // Metrics still count every refusal.
      if (error.firstRefusal) await events.record(event);
      else events.tally(event);
    }
    throw error;
  }
}
