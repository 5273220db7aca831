import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config.js';
import { RedisConnections } from '../storage/redis/redis-connections.js';
import { isServicePublisher } from './publish-throttler.guard.js';
import { StreamAdmission } from './stream-admission.js';

/**
 * The limits:
 * - the publish rate limits: PUBLISH_RATE_LIMIT for people and SERVICE_PUBLISH_RATE_LIMIT
 *   for `service` tokens, per PUBLISH_RATE_TTL_MS. Counted in memory with the embedded
 *   store; with REDIS_URL, in Redis (on the instance's command connection), so that
 *   every instance draws on one budget instead of each allowing the whole limit.
 *   ThrottlerModule is global, so the guard on the publish routes of every domain module
 *   finds them. The throttler keeps the name "default" so that a 429 carries the
 *   standard `Retry-After` header;
 * - {@link StreamAdmission}, the open-stream limits that every kind of stream shares.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, { token: RedisConnections, optional: true }],
      useFactory: (config: AppConfig, redis?: RedisConnections) => ({
        throttlers: [
          {
            limit: (context) =>
              isServicePublisher(context)
                ? config.servicePublishRateLimit
                : config.publishRateLimit,
            ttl: config.publishRateTtlMs,
          },
        ],
        storage: redis ? new ThrottlerStorageRedisService(redis.commands) : undefined,
        errorMessage: (context, { limit, ttl, timeToBlockExpire }) =>
          `Too many publish requests: at most ${limit} per ${ttl / 1000} s per ` +
          (isServicePublisher(context)
            ? 'service (SERVICE_PUBLISH_RATE_LIMIT)'
            : 'user (PUBLISH_RATE_LIMIT)') +
          `; retry in ${timeToBlockExpire} s`,
      }),
    }),
  ],
  providers: [StreamAdmission],
  exports: [StreamAdmission],
})
export class LimitsModule {}
