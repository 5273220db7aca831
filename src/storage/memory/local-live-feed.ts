import { Injectable } from '@nestjs/common';
import type { Notification } from '../../notifications/notification.js';
import { LiveFeed } from '../live-feed.js';
import type { FedNotification } from '../live-feed.js';
import type { TimelineEvent } from '../timeline-store.js';

/**
 * A notification just stored here, as the feed brings it: serialized only when a stream
 * of this instance wants it (most recipients of a targeted publish may have none), and
 * with no closure per notification.
 */
class Stored implements FedNotification {
  readonly id: string;
  readonly type: string;
  readonly recipient: string;
  private serialized: string | undefined;

  constructor(private readonly stored: Notification) {
    ({ id: this.id, type: this.type, recipient: this.recipient } = stored);
  }

  get json(): string {
    return (this.serialized ??= JSON.stringify(this.stored));
  }

  notification(): Notification {
    return this.stored;
  }
}

/**
 * The single-process {@link LiveFeed}: this instance is every instance, so a write is
 * delivered by a direct call. Only the embedded stores call these, right after their write.
 */
@Injectable()
export class LocalLiveFeed extends LiveFeed {
  notificationsAppended(notifications: readonly Notification[]): void {
    for (const notification of notifications) this.emit('notification', new Stored(notification));
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
