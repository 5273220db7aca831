import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config.js';
import { RateLimitCounters } from '../storage/rate-limit-counters.js';
import { isServicePublisher } from './publish-throttler.guard.js';
import { StreamAdmission } from './stream-admission.js';

/**
 * The limits:
 * - the publish rate limits: PUBLISH_RATE_LIMIT for people and SERVICE_PUBLISH_RATE_LIMIT
 *   for `service` tokens, per PUBLISH_RATE_TTL_MS, counted in the storage module's
 *   {@link RateLimitCounters} (in memory, or in Redis with REDIS_URL).
 *   ThrottlerModule is global, so the guard on the publish routes of every domain module
 *   finds them. The throttler keeps the name "default" so that a 429 carries the
 *   standard `Retry-After` header;
 * - {@link StreamAdmission}, the open-stream limits that every kind of stream shares.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RateLimitCounters],
      useFactory: (config: AppConfig, counters: RateLimitCounters) => ({
        throttlers: [
          {
            limit: (context) =>
              isServicePublisher(context)
                ? config.servicePublishRateLimit
                : config.publishRateLimit,
            ttl: config.publishRateTtlMs,
          },
        ],
        storage: counters,
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
