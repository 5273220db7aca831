import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Redis } from 'ioredis';
import {
  RateLimitCounters,
  type IncrementArgs,
  type IncrementResult,
} from '../rate-limit-counters.js';
import { KEY_PREFIX } from './redis-connections.js';

/**
 * The publish rate limits counted in Redis (on the instance's command connection), under
 * the service's key prefix, so that every instance draws on one budget.
 */
export class RedisRateLimitCounters extends RateLimitCounters {
  private readonly counters: ThrottlerStorageRedisService;

  constructor(redis: Redis) {
    super();
    this.counters = new ThrottlerStorageRedisService(redis);
  }

  increment(...[key, ...rest]: IncrementArgs): IncrementResult {
    return this.counters.increment(`${KEY_PREFIX}${key}`, ...rest);
  }
}
