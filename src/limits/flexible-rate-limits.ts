import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import {
  type IRateLimiterOptions,
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import type { Config } from "../config.js";
import { AuthError } from "../errors.js";
import { ipBucket } from "./ip-bucket.js";
import type { AccountMailRule, LoginAttempt, RateLimits } from "./rate-limits.js";

const HOUR = 3600;
const DAY = 86_400;

/**
 * RateLimits on rate-limiter-flexible: in memory by default; on Redis when configured, shared by
 * every instance, with a per-process memory limiter as insurance while Redis is unreachable, so
 * an outage neither fails logins with a 500 nor lifts the limits.
 *
 * `keyPrefix` keeps deployments (and test apps) that share one Redis apart.
 */
export function createRateLimits(limits: Config["limits"], redis?: Redis, keyPrefix = "auth"): RateLimits {
  const make = (name: string, options: Omit<IRateLimiterOptions, "keyPrefix">): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ ...options, keyPrefix: name });
    if (!redis) return memory;
    return new RateLimiterRedis({
      ...options,
      keyPrefix: `${keyPrefix}:${name}`,
      storeClient: redis,
      insuranceLimiter: memory,
      // Go to the insurance at once instead of queueing behind a dead connection.
      rejectIfRedisNotReady: true,
    });
  };
  // NIST SP 800-63B §3.2.2 / OWASP ASVS 6.3.1: consecutive failures per account and source. The
  // count lives a day unless a success clears it; once spent, the pair is blocked for the block
  // duration, whether or not the username exists, so the limit reveals nothing about accounts.
  const loginPair = make("login_pair", {
    points: limits.loginFailuresPerUserIp,
    duration: Math.max(DAY, limits.loginBlockSeconds),
    blockDuration: limits.loginBlockSeconds,
  });
  // One source spraying many usernames (OWASP ASVS 6.3.1, credential stuffing).
  const loginIpDaily = make("login_ip_day", { points: limits.loginFailuresPerIpPerDay, duration: DAY, blockDuration: DAY });
  const loginIpMinute = make("login_ip_minute", { points: limits.loginsPerIpPerMinute, duration: 60 });
  // One row per key and block: the first refusal of a block marks the key until the block ends.
  const refusalSeen = make("refusal_seen", { points: 1, duration: 60 });
  const consume = async (limiter: RateLimiterAbstract, key: string): Promise<void> => {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      const first = await refusalSeen
        .consume(`${limiter.keyPrefix}:${key}`, 1, { customDuration: seconds })
        .then(() => true)
        .catch(() => false);
      throw AuthError.rateLimited(rejection.msBeforeNext / 1000, first);
    }
  };
  const signUp = make("signup_ip", { points: limits.signupsPerIpPerHour, duration: HOUR });
  const refresh = make("refresh_ip", { points: limits.refreshesPerIpPerMinute, duration: 60 });
  // The contract's account-lifecycle limits (OWASP Forgot Password Cheat Sheet: limit requests per
  // address and per source, whether or not the address has an account).
  const accountMail: Record<AccountMailRule, RateLimiterAbstract> = {
    reset_request_ip: make("reset_request_ip", { points: 20, duration: HOUR }),
    reset_request_address: make("reset_request_address", { points: 5, duration: HOUR }),
    reset_ip: make("reset_ip", { points: 30, duration: HOUR }),
    verify_ip: make("verify_ip", { points: 30, duration: HOUR }),
    resend_account: make("resend_account", { points: 3, duration: HOUR }),
  };

  return {
    async beginLoginAttempt(usernameKey, ip) {
      const bucket = ipBucket(ip);
      // Hashed so that Redis holds no usernames or email addresses.
      const pairKey = `${digest(usernameKey)}|${bucket}`;
      // Reserved before any password is checked, so concurrent or aliased attempts each count.
      await consume(loginIpDaily, bucket);
      try {
        await consume(loginPair, pairKey);
      } catch (error) {
        await loginIpDaily.reward(bucket).catch(() => {});
        throw error;
      }
      const attempt: LoginAttempt = {
        async succeeded() {
          await Promise.all([loginPair.delete(pairKey), loginIpDaily.reward(bucket)]).catch(() => {});
        },
        async refunded() {
          await Promise.all([loginPair.reward(pairKey), loginIpDaily.reward(bucket)]).catch(() => {});
        },
      };
      return attempt;
    },
    consumeLoginRequest: (ip) => consume(loginIpMinute, ipBucket(ip)),
    consumeSignUp: (ip) => consume(signUp, ipBucket(ip)),
    consumeRefresh: (ip) => consume(refresh, ipBucket(ip)),
    // IPs by their bucket; addresses and account ids hashed, so Redis holds no addresses.
    consumeAccountMail: (rule, key) => consume(accountMail[rule], rule.endsWith("_ip") ? ipBucket(key) : digest(key ?? "")),
  };
}

function digest(value: string): string {
  return createHash("sha256").update(value).digest("base64url").slice(0, 22);
}
