import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import { AuthError } from "../errors.js";
import type { AuthEvents } from "../events/auth-events.js";
import { fitTo } from "../store/field-limits.js";
import type { Account } from "../users/account.js";
import type { User } from "../users/user.js";
import type { ClientInfo } from "./client-info.js";
import { RefreshTokens } from "./refresh-tokens.js";
import type { Session, SessionRecord } from "./session.js";
import type { RevokeReason, SessionRepository } from "./session-repository.js";
import type { SessionRevocations } from "./session-revocations.js";

/** How a session was signed in; carried into every access token of the session. */
export interface SignInMethod {
  readonly idp?: string;
  readonly amr?: readonly string[];
}

/** The account a session is for, at the credential version its owner proved. */
export type SessionOwner = Pick<Account, "user" | "credentialVersion">;

/** A session together with the refresh token the client must hold next. */
export interface RotatedSession {
  readonly session: Session;
  readonly refreshToken: string;
}

/** A refreshed session and its owner as the store held them, for the next access token's claims. */
export interface RefreshedSession extends RotatedSession {
  readonly owner: User;
}

/**
 * Sessions and the rotation of their refresh tokens (RFC 9700 §4.14.2, OWASP ASVS 7.2 and 7.4):
 * - every refresh moves the session one generation on, by compare-and-set in the store, so two
 *   racing requests (in one process or several sharing PostgreSQL) cannot both win;
 * - within REFRESH_REUSE_GRACE the immediate parent yields the same successor, so concurrent tabs
 *   and retried requests converge on one working token;
 * - any other replay (the parent after its window, or an older ancestor) is theft: the whole
 *   session ends, for the thief and the owner alike.
 */
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly tokens: RefreshTokens,
    private readonly revocations: SessionRevocations,
    private readonly events: AuthEvents,
    private readonly settings: Config["refresh"],
    private readonly maxSessionsPerUser: number,
    private readonly clock: Clock,
  ) {}

  /**
   * Starts a session for `owner` as of the credential version its proof was checked against; a
   * password change since then refuses it (INVALID_CREDENTIALS: what was checked is no longer the
   * account's password). `signIn` says how the user proved who they are.
   */
  async start(owner: SessionOwner, client: ClientInfo, signIn: SignInMethod = {}): Promise<RotatedSession> {
    const userId = owner.user.id;
    const now = this.clock.now();
    const absoluteExpiresAt = now + this.settings.sessionMaxAgeMs;
    const record: SessionRecord = {
      session: {
        id: randomUUID(),
        userId,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: Math.min(now + this.settings.idleTtlMs, absoluteExpiresAt),
        userAgent: fitTo("userAgent", client.userAgent),
        ipAddress: fitTo("ipAddress", client.ip),
        idp: signIn.idp ?? null,
        amr: storableAmr(signIn.amr),
      },
      seed: RefreshTokens.newSeed(),
      generation: 0,
      absoluteExpiresAt,
      parentValidUntil: 0,
      revokedAt: null,
      credentialVersion: owner.credentialVersion,
    };
    if (!(await this.sessions.insertIfCredentialCurrent(record))) throw AuthError.unauthenticated("INVALID_CREDENTIALS");
    await this.endLeastRecentlyUsed(userId, now, client);
    return { session: record.session, refreshToken: this.tokens.mint(record.session.id, 0, record.seed) };
  }

  /** OWASP ASVS 2.4.1 / CWE-770: an account holds at most MAX_SESSIONS_PER_USER live sessions. */
  private async endLeastRecentlyUsed(userId: string, now: number, client: ClientInfo): Promise<void> {
    const ended = await this.sessions.revokeLeastRecentlyUsed(userId, this.maxSessionsPerUser, now);
    if (ended.length === 0) return;
    await this.revocations.announce(ended, now);
    for (const sessionId of ended) {
      await this.events.record({ type: "session_revoked", userId, sessionId, ...client, detail: "session_cap" });
    }
  }

  /** Trades a refresh token for its successor; throws UNAUTHENTICATED with the reason. */
  async rotate(presented: string | undefined, client: ClientInfo): Promise<RefreshedSession> {
    if (presented === undefined) throw AuthError.unauthenticated("REFRESH_MISSING");
    const { token, record, owner } = await this.authenticate(presented);
    return { ...(await this.successor(token.generation, record, client)), owner };
  }

  /** The session after a token of `generation` is presented: moved on, or judged as a replay. */
  private async successor(generation: number, record: SessionRecord, client: ClientInfo): Promise<RotatedSession> {
    const { session } = record;
    const now = this.clock.now();

    if (generation === record.generation) {
      const expiresAt = Math.min(now + this.settings.idleTtlMs, record.absoluteExpiresAt);
      const advanced = await this.sessions.advance(session.id, record.generation, now, {
        expiresAt,
        parentValidUntil: now + this.settings.reuseGraceMs,
        userAgent: fitTo("userAgent", client.userAgent),
        ipAddress: fitTo("ipAddress", client.ip),
      });
      if (advanced) {
        await this.events.record({ type: "refreshed", userId: session.userId, sessionId: session.id, ...client });
        return {
          session: { ...session, expiresAt, lastUsedAt: now },
          refreshToken: this.tokens.mint(session.id, record.generation + 1, record.seed),
        };
      }
      // Another request rotated it first: judge this one against what the store holds now.
      const latest = await this.sessions.find(session.id);
      if (!latest || !this.isLive(latest, now)) throw AuthError.unauthenticated("REFRESH_INVALID");
      return this.replay(generation, latest, now, client);
    }
    return this.replay(generation, record, now, client);
  }

  /** Ends the session a refresh token belongs to; quietly does nothing for an unusable token. */
  async endByToken(presented: string | undefined, client: ClientInfo): Promise<void> {
    if (presented === undefined) return;
    const found = await this.authenticate(presented).catch(() => undefined);
    if (found) await this.end(found.record.session.userId, found.record.session.id, "logout", client);
  }

  /** Ends one of the user's own sessions; false for an unknown, foreign or already-ended id. */
  async end(userId: string, sessionId: string, reason: RevokeReason, client: ClientInfo): Promise<boolean> {
    const record = await this.sessions.find(sessionId);
    if (!record || record.session.userId !== userId) return false;
    const now = this.clock.now();
    if (!this.isLive(record, now) || !(await this.sessions.revoke(sessionId, now, reason))) return false;
    await this.revocations.announce([sessionId], now);
    await this.events.record({ type: reason === "logout" ? "logout" : "session_revoked", userId, sessionId, ...client, detail: reason });
    return true;
  }

  /** Ends all the user's live sessions, or all but `keepSessionId`; returns how many. */
  async endAll(userId: string, reason: RevokeReason, client: ClientInfo, keepSessionId?: string): Promise<number> {
    const now = this.clock.now();
    const ended = await this.sessions.revokeAllForUser(userId, now, reason, keepSessionId);
    await this.revocations.announce(ended, now);
    if (reason === "logout_all") await this.events.record({ type: "logout_all", userId, ...client, detail: `${ended.length} sessions` });
    return ended.length;
  }

  listActive(userId: string): Promise<Session[]> {
    return this.sessions.listActive(userId, this.clock.now());
  }

  private isLive(record: SessionRecord, now: number = this.clock.now()): boolean {
    return record.revokedAt === null && record.session.expiresAt > now;
  }

  /**
   * Finds the session a token names, with its owner, and checks its MAC; a forged token never
   * touches a session.
   */
  private async authenticate(presented: string) {
    const token = RefreshTokens.parse(presented);
    if (!token) throw AuthError.unauthenticated("REFRESH_INVALID");
    const found = await this.sessions.findWithOwner(token.sessionId);
    if (!found || !this.tokens.matches(token, found.record.seed) || token.generation > found.record.generation) {
      throw AuthError.unauthenticated("REFRESH_INVALID");
    }
    if (!this.isLive(found.record)) throw AuthError.unauthenticated("REFRESH_INVALID");
    return { token, ...found };
  }

  /** A token that is not the current one: the same successor within grace, else theft. */
  private async replay(generation: number, record: SessionRecord, now: number, client: ClientInfo): Promise<RotatedSession> {
    const { session } = record;
    const isParent = generation === record.generation - 1;
    if (isParent && now <= record.parentValidUntil) {
      await this.events.record({ type: "refresh_reuse_concurrent", userId: session.userId, sessionId: session.id, ...client });
      return { session, refreshToken: this.tokens.mint(session.id, record.generation, record.seed) };
    }
    if (generation === record.generation) {
      throw AuthError.unauthenticated("REFRESH_INVALID");
    }
    // RFC 9700 §4.14.2: a replayed, already-rotated token means it leaked; end the whole session.
    if (await this.sessions.revoke(session.id, now, "reuse")) await this.revocations.announce([session.id], now);
    await this.events.record({
      type: "refresh_reuse_theft",
      userId: session.userId,
      sessionId: session.id,
      ...client,
      detail: isParent ? "parent replayed after grace" : `ancestor ${record.generation - generation} generations back`,
    });
    throw AuthError.unauthenticated("REFRESH_REUSED");
  }
}

/**
 * The method references as the session stores them: comma-separated, cut to the column, so the
 * first access token says what every refresh will read back.
 */
function storableAmr(amr: readonly string[] | undefined): string[] {
  const stored = fitTo("amr", amr?.join(","));
  return stored ? stored.split(",") : [];
}
