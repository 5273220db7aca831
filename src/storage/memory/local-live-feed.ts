import { Injectable } from '@nestjs/common';
import type { Notification } from '../../notifications/notification.js';
import { LiveFeed } from '../live-feed.js';
import type { TimelineEvent } from '../timeline-store.js';

/**
 * The single-process {@link LiveFeed}: this instance is every instance, so a write is
 * delivered by a direct call. Only the embedded stores call these, right after their write.
 */
@Injectable()
export class LocalLiveFeed extends LiveFeed {
  notificationsAppended(notifications: readonly Notification[]): void {
    for (const notification of notifications) {
      const { id, type, recipient } = notification;
      const json = JSON.stringify(notification);
      this.emit('notification', { id, type, recipient, json, notification: () => notification });
    }
  }

  timelineAppended(workflowId: string, events: readonly TimelineEvent[]): void {
    for (const event of events) this.emit('timeline', workflowId, event);
  }

  readChanged(userId: string): void {
    this.emit('read', userId);
  }

  preferencesChanged(userId: string, muted: readonly string[]): void {
    this.emit('preferences', userId, muted);
  }
}
