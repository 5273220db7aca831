import { Module } from '@nestjs/common';
import { DomainEventBus } from '../events/domain-event-bus.js';
import { AnnouncementsController } from './announcements.controller.js';
import { AnnouncementsService } from './announcements.service.js';

@Module({
  controllers: [AnnouncementsController],
  providers: [AnnouncementsService, DomainEventBus],
})
export class AnnouncementsModule {}
