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
import type { LoginAttempt, RateLimits } from "./rate-limits.js";

const DAY = 86_400;

/**
 * RateLimits on rate-limiter-flexible: in memory by default; on Redis when configured, shared by
 * every instance, with a per-process memory limiter as insurance while Redis is unreachable.
 */
export function createRateLimits(limits: Config["limits"], redis?: Redis, prefix = "auth"): RateLimits {
  const make = (keyPrefix: string, options: Omit<IRateLimiterOptions, "keyPrefix">): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ ...options, keyPrefix });
    if (!redis) return memory;
    return new RateLimiterRedis({
      ...options,
      keyPrefix: `${prefix}:${keyPrefix}`,
      storeClient: redis,
      insuranceLimiter: memory,
      rejectIfRedisNotReady: true,
    });
  };
  // NIST SP 800-63B §3.2.2 / OWASP ASVS 6.3.1: consecutive failures per account and source.
  const loginPair = make("login_pair", {
    points: limits.loginFailuresPerUserIp,
    duration: limits.loginBlockSeconds,
    blockDuration: limits.loginBlockSeconds,
  });
  const loginIpDaily = make("login_ip_day", { points: limits.loginFailuresPerIpPerDay, duration: DAY, blockDuration: DAY });
  const signUp = make("signup_ip", { points: limits.signupsPerIpPerHour, duration: 3600 });
  const refresh = make("refresh_ip", { points: limits.refreshesPerIpPerMinute, duration: 60 });

  return {
    async beginLoginAttempt(usernameKey, ip) {
      const bucket = ipBucket(ip);
      const pairKey = `${usernameKey}|${bucket}`;
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
      };
      return attempt;
    },
    consumeSignUp: (ip) => consume(signUp, ipBucket(ip)),
    consumeRefresh: (ip) => consume(refresh, ipBucket(ip)),
    async close() {},
  };
}

async function consume(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw AuthError.rateLimited(rejection.msBeforeNext / 1000);
    throw rejection;
  }
}
