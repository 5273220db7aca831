import { Injectable, OnModuleInit } from '@nestjs/common';
import { LiveFeed } from '../storage/live-feed.js';
import { NotificationRouter } from './notification-router.js';
import { NotificationStreamsService } from './notification-streams.service.js';
import { UnreadCounts } from './unread-counts.js';

/** Connects this instance to the feed: deliveries, read updates, catch-up after an outage. */
@Injectable()
export class FeedListener implements OnModuleInit {
  constructor(
    private readonly feed: LiveFeed,
    private readonly router: NotificationRouter,
    private readonly unread: UnreadCounts,
    private readonly streams: NotificationStreamsService,
  ) {}

  onModuleInit(): void {
    this.feed.subscribe({
      notification: (notification, json) => {
        this.streams.followHistory(notification.id);
        this.router.deliver(notification, json);
      },
      read: (userId) => void this.unread.recount(userId).catch(() => undefined),
      resumed: () => void this.streams.catchUpAll(),
    });
  }
}
