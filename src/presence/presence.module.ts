import { Module } from '@nestjs/common';
import { PresenceController } from './presence.controller.js';
import { PresenceService } from './presence.service.js';

/**
 * Presence on shared documents. The shared {@link PresenceState} comes from the storage
 * module: in memory for a single process, or Redis (REDIS_URL) so that every instance
 * sees every instance's users.
 */
@Module({
  controllers: [PresenceController],
  providers: [PresenceService],
  exports: [PresenceService],
})
export class PresenceModule {}
