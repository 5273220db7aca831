import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config.js';
import { StreamAdmission } from './stream-admission.js';

/**
 * The limits:
 * - the publish rate limit's settings and its in-memory counters (per instance: with
 *   several instances each one allows the limit). ThrottlerModule is global, so the
 *   guard on the publish routes of every domain module finds them. The throttler keeps
 *   the name "default" so that a 429 carries the standard `Retry-After` header;
 * - {@link StreamAdmission}, the open-stream limits that every kind of stream shares.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ limit: config.publishRateLimit, ttl: config.publishRateTtlMs }],
        errorMessage: (_context, { limit, ttl, timeToBlockExpire }) =>
          `Too many publish requests: at most ${limit} per ${ttl / 1000} s per user; ` +
          `retry in ${timeToBlockExpire} s`,
      }),
    }),
  ],
  providers: [StreamAdmission],
  exports: [StreamAdmission],
})
export class LimitsModule {}
