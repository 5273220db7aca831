import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config.js';
import { StreamingModule } from '../streaming/streaming.module.js';
import { InMemoryPresenceState } from './in-memory-presence-state.js';
import { PresenceController } from './presence.controller.js';
import { PresenceState } from './presence-state.js';
import { PresenceService } from './presence.service.js';
import { RedisPresenceState } from './redis-presence-state.js';

/**
 * Presence on shared documents. The shared state is chosen once, from the configuration:
 * in memory for a single process, or Redis (REDIS_URL) so that every instance sees every
 * instance's users (the storage module provides the Redis connections).
 */
@Module({})
export class PresenceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PresenceModule,
      imports: [StreamingModule],
      controllers: [PresenceController],
      providers: [
        PresenceService,
        {
          provide: PresenceState,
          useClass: config.redisUrl ? RedisPresenceState : InMemoryPresenceState,
        },
      ],
      exports: [PresenceService],
    };
  }
}
