import { Module } from '@nestjs/common';
import { MemoryNotificationStore } from '../storage/memory-notification-store.js';
import { NotificationStore } from '../storage/notification-store.js';
import { StreamRegistry } from '../streaming/stream-registry.js';
import { DomainEventsListener } from './domain-events.listener.js';
import { NotificationRouter } from './notification-router.js';
import { NotificationStreamsService } from './notification-streams.service.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsService } from './notifications.service.js';

@Module({
  controllers: [NotificationsController],
  providers: [
    { provide: NotificationStore, useClass: MemoryNotificationStore },
    StreamRegistry,
    NotificationRouter,
    NotificationsService,
    NotificationStreamsService,
    DomainEventsListener,
  ],
  exports: [StreamRegistry],
})
export class NotificationsModule {}
