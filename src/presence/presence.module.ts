import { Module } from '@nestjs/common';
import { StreamingModule } from '../streaming/streaming.module.js';
import { PresenceController } from './presence.controller.js';
import { PresenceService } from './presence.service.js';

/**
 * Presence on shared documents. The shared {@link PresenceState} comes from the storage
 * module: in memory for a single process, or Redis (REDIS_URL) so that every instance
 * sees every instance's users. Its streams are the stream hub's.
 */
@Module({
  imports: [StreamingModule],
  controllers: [PresenceController],
  providers: [PresenceService],
  exports: [PresenceService],
})
export class PresenceModule {}
