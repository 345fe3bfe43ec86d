import type { Redis } from "ioredis";
import { AccountDeletionService } from "./account/account-deletion-service.js";
import type { AccountDeps } from "./account/account-deps.js";
import { AccountLinks } from "./account/account-links.js";
import { EmailVerificationService } from "./account/email-verification-service.js";
import { LinkRepository } from "./account/link-repository.js";
import { PasswordResetService } from "./account/password-reset-service.js";
import { AccessTokens } from "./auth/access-tokens.js";
import { AuthService } from "./auth/auth-service.js";
import { OwnerProof } from "./auth/owner-proof.js";
import { PasswordReplacement } from "./auth/password-replacement.js";
import { RefreshCookie } from "./auth/refresh-cookie.js";
import { RefreshTokens } from "./auth/refresh-tokens.js";
import { createRevocationBus } from "./auth/revocation-bus-factory.js";
import { SealedBox } from "./auth/sealed-box.js";
import { SessionRepository } from "./auth/session-repository.js";
import { SessionRevocations } from "./auth/session-revocations.js";
import { SessionService } from "./auth/session-service.js";
import { createSigningKeys, type SigningKeys } from "./auth/signing-keys.js";
import type { Clock } from "./clock.js";
import { accessTokenAcceptedMs, type Config } from "./config.js";
import type { Services } from "./context.js";
import { AuthEvents } from "./events/auth-events.js";
import { OutageLog } from "./faults/outage-log.js";
import { redisRetryDelay } from "./faults/redis-retry.js";
import { OriginPolicy } from "./http/origin-policy.js";
import { createRateLimits } from "./limits/flexible-rate-limits.js";
import type { Logger } from "./logger.js";
import { MailOutbox } from "./mail/mail-outbox.js";
import { createMailTransport } from "./mail/mail-transport.js";
import { MailWorker } from "./mail/mail-worker.js";
import { OutboxRepository } from "./mail/outbox-repository.js";
import type { Metrics } from "./metrics/metrics.js";
import { MfaChallenges } from "./mfa/mfa-challenges.js";
import { MfaRepository } from "./mfa/mfa-repository.js";
import { MfaService } from "./mfa/mfa-service.js";
import { SecretKeyRing } from "./mfa/secret-key-ring.js";
import { Totp } from "./mfa/totp.js";
import { IdentityRepository } from "./oidc/identity-repository.js";
import { OidcLoginRepository } from "./oidc/oidc-login-repository.js";
import { OidcProtocol } from "./oidc/oidc-protocol.js";
import { OidcService } from "./oidc/oidc-service.js";
import { OidcStateCookie } from "./oidc/oidc-state-cookie.js";
import { openStore, type Store } from "./store/database.js";
import { deploymentNamespace } from "./store/deployment-namespace.js";
import { migrateToLatest } from "./store/migrations.js";
import { retentionSettings } from "./store/retention.js";
import { RetentionJob } from "./store/retention-job.js";
import { createPasswordHasher, type PasswordHasher } from "./users/password-hasher.js";
import { UserRepository } from "./users/user-repository.js";
import { UserService } from "./users/user-service.js";

/** Everything the HTTP layer needs, built for one app instance (never at module level). */
export interface Runtime {
  readonly services: Services;
  readonly accessTokens: AccessTokens;
  readonly revocations: SessionRevocations;
  readonly store: Store;
  readonly keys: SigningKeys;
  /** Deletes ended sessions, old audit events and dead links and logins, hourly. */
  readonly retention: RetentionJob;
  /** Throws when the store, or Redis when configured, does not answer. */
  checkReady(): Promise<void>;
  /** Closes the retention job, the mail worker, revocations, Redis and the store, in that order. */
  close(): Promise<void>;
}

/** Opens the store (migrated) and Redis when configured, and wires the services onto them. */
export async function createServices(
  config: Config,
  deps: { logger: Logger; clock: Clock; hasher?: PasswordHasher; metrics?: Metrics | undefined },
): Promise<Runtime> {
  const { logger, clock } = deps;
  const keys = createSigningKeys(config.jwt);
  const store = await openStore(config.databaseUrl, logger, { preparedStatements: config.databasePreparedStatements });
  const redisOutage = config.redisUrl
    ? new OutageLog(logger, {
        what: "redis",
        meanwhile: "rate limits use per-process insurance and revocations are caught up from the store when it returns",
      })
    : undefined;
  const redis = config.redisUrl && redisOutage ? await connectRedis(config.redisUrl, redisOutage) : undefined;
  try {
    await migrateToLatest(store.db, store.dialect);
  } catch (error) {
    await store.close();
    redis?.disconnect();
    throw error;
  }

  const events = new AuthEvents(store.db, clock, logger, store.outage, deps.metrics);
  const sessionRepository = new SessionRepository(store.db, store.dialect);
  const namespace = deploymentNamespace(config.databaseUrl);
  const bus = await createRevocationBus({ store, redis, redisUrl: config.redisUrl, redisOutage, namespace, logger });
  // Revocations are kept as long as any access token of the session could still be accepted.
  const revocations = new SessionRevocations(sessionRepository, bus, clock, logger, accessTokenAcceptedMs(config.jwt));
  await revocations.start();

  const accessTokens = new AccessTokens(keys, config.jwt, clock);
  const refreshTokens = new RefreshTokens(config.refresh.secret);
  const sessions = new SessionService(
    sessionRepository,
    refreshTokens,
    revocations,
    events,
    config.refresh,
    config.limits.sessionsPerUser,
    clock,
  );
  const hasher = deps.hasher ?? createPasswordHasher();
  await hasher.warmUp();
  const userRepository = new UserRepository(store.db);
  const users = new UserService(userRepository, hasher, clock, config.passwordMinLength);
  const limits = createRateLimits(config.limits, redis, `auth:${namespace}`);
  const mfaRepository = new MfaRepository(store.db);
  const keyRing = new SecretKeyRing(config.mfa.encryptionKeys);
  const mfa = new MfaService(mfaRepository, new Totp(config.mfa.issuer), keyRing, events, clock, logger);
  const challenges = new MfaChallenges(mfaRepository, clock);
  const outboxRepository = new OutboxRepository(store.db);
  const outbox = new MailOutbox(store.db, outboxRepository, new SealedBox(config.refresh.secret, "mail-outbox"), clock);
  const transport = createMailTransport(config.mail, logger);
  const mailWorker = new MailWorker(outbox, outboxRepository, transport, clock, logger, store.outage, deps.metrics);
  deps.metrics?.watchOutbox(() => outboxRepository.countByStatus());
  mailWorker.start();
  const retention = new RetentionJob(store, retentionSettings(config), clock, logger, store.outage);
  retention.start();
  const proof = new OwnerProof(users, mfa, limits, events);
  const passwords = new PasswordReplacement(store.db, userRepository, sessionRepository, mfaRepository, revocations, clock);
  const links = new AccountLinks(store.db, new LinkRepository(store.db), outbox, clock);
  const account: AccountDeps = {
    db: store.db,
    links,
    users,
    userRows: userRepository,
    sessions,
    limits,
    events,
    outbox,
    proof,
    passwords,
    settings: config.mail,
    clock,
  };
  const passwordReset = new PasswordResetService(account);
  const emailVerification = new EmailVerificationService(account);
  const accountDeletion = new AccountDeletionService(account);
  const auth = new AuthService(
    users,
    sessions,
    accessTokens,
    limits,
    events,
    mfa,
    challenges,
    outbox,
    emailVerification,
    proof,
    passwords,
    config.allowSignup,
  );
  const oidc = new OidcService(
    config.oidc,
    new OidcProtocol(config.oidc, logger),
    new OidcLoginRepository(store.db),
    new IdentityRepository(store.db, store.dialect),
    users,
    sessions,
    auth,
    events,
    clock,
    config.allowSignup,
  );
  const services: Services = {
    auth,
    users,
    sessions,
    oidc,
    mfa,
    passwordReset,
    emailVerification,
    accountDeletion,
    refreshCookie: new RefreshCookie(config.cookie),
    oidcStateCookie: new OidcStateCookie(config.cookie),
    origins: new OriginPolicy(config),
    clock,
  };

  return {
    services,
    accessTokens,
    revocations,
    store,
    keys,
    retention,
    async checkReady() {
      await store.ping();
      if (redis && (await redis.ping()) !== "PONG") throw new Error("redis did not answer");
    },
    async close() {
      await retention.stop();
      await mailWorker.stop();
      await revocations.close();
      redis?.disconnect();
      await store.close();
    },
  };
}

/**
 * Fails fast while Redis is away (no offline queue, a command timeout), so the rate limits fall
 * back to their per-process insurance instead of holding requests. Redis down at start does not
 * stop the start: the client keeps reconnecting and is used as soon as it is ready.
 */
async function connectRedis(url: string, outage: OutageLog): Promise<Redis> {
  // Loaded only when REDIS_URL is set: a single instance never holds the client's ~1 MB of heap.
  const { Redis } = await import("ioredis");
  const redis = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: redisRetryDelay,
  });
  redis.on("ready", () => outage.recovered());
  redis.on("error", (error) => outage.failed(error));
  // A dropped connection that comes back before a reconnect attempt fails emits no "error".
  redis.on("reconnecting", () => outage.failed(new Error("connection lost; reconnecting")));
  return redis;
}
