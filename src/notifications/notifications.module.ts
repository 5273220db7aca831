import { Module } from '@nestjs/common';
import { StreamingModule } from '../streaming/streaming.module.js';
import { NotifyOnDomainEventsListener } from './notify-on-domain-events.listener.js';
import { FeedListener } from './feed-listener.js';
import { InboxService } from './inbox.service.js';
import { MutedTypes } from './muted-types.js';
import { NotificationTypes } from './notification-types.js';
import { PreferencesService } from './preferences.service.js';
import { RetentionService } from './retention.service.js';
import { UnreadCounts } from './unread-counts.js';
import { NotificationRouter } from './notification-router.js';
import { NotificationStreamsService } from './notification-streams.service.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsService } from './notifications.service.js';

@Module({
  imports: [StreamingModule],
  controllers: [NotificationsController],
  providers: [
    NotificationRouter,
    NotificationsService,
    NotificationStreamsService,
    NotifyOnDomainEventsListener,
    UnreadCounts,
    InboxService,
    RetentionService,
    FeedListener,
    NotificationTypes,
    MutedTypes,
    PreferencesService,
  ],
  exports: [UnreadCounts],
})
export class NotificationsModule {}
