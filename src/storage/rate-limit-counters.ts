import type { ThrottlerStorage } from '@nestjs/throttler';

/**
 * Where the publish rate limits count their hits (the throttler's storage): in this
 * process with the embedded store, or in Redis with REDIS_URL, so that every instance
 * draws on one budget instead of each allowing the whole limit. Chosen by the storage
 * module; handed to @nestjs/throttler by the limits module.
 */
export abstract class RateLimitCounters implements ThrottlerStorage {
  abstract increment(...args: IncrementArgs): IncrementResult;
}

/** The throttler's arguments: key, ttl, limit, blockDuration, throttlerName. */
export type IncrementArgs = Parameters<ThrottlerStorage['increment']>;
export type IncrementResult = ReturnType<ThrottlerStorage['increment']>;
