import { Injectable } from '@nestjs/common';
import type { Notification } from '../notifications/notification.js';
import { NotificationFeed } from './notification-feed.js';
import type { TimelineEvent } from './timeline-store.js';

/** The single-process feed: publishing is delivering. */
@Injectable()
export class LocalNotificationFeed extends NotificationFeed {
  publish(notifications: readonly Notification[]): void {
    for (const notification of notifications) {
      this.emit('notification', notification, JSON.stringify(notification));
    }
  }

  publishTimeline(workflowId: string, events: readonly TimelineEvent[]): void {
    for (const event of events) this.emit('timeline', workflowId, event);
  }

  publishRead(userId: string): Promise<void> {
    this.emit('read', userId);
    return Promise.resolve();
  }
}
