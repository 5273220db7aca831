import { Injectable } from '@nestjs/common';
import type { Notification } from '../notifications/notification.js';
import { FeedHandlers, NotificationFeed } from './notification-feed.js';

/** The single-process feed: publishing is delivering. */
@Injectable()
export class LocalNotificationFeed extends NotificationFeed {
  private handlers: FeedHandlers | null = null;

  subscribe(handlers: FeedHandlers): void {
    this.handlers = handlers;
  }

  publish(notifications: readonly Notification[]): void {
    for (const notification of notifications) {
      this.handlers?.notification(notification, JSON.stringify(notification));
    }
  }

  publishRead(userId: string): Promise<void> {
    this.handlers?.read(userId);
    return Promise.resolve();
  }
}
