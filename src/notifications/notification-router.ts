import { Injectable } from '@nestjs/common';
import { frameEvent } from '../streaming/sse-frame.js';
import { StreamRegistry } from '../streaming/stream-registry.js';
import { BROADCAST, Notification } from './notification.js';
import { UnreadCounts } from './unread-counts.js';

/**
 * Delivers stored notifications to the open streams that should have them. Each
 * notification is serialized and framed once, then the same string is written to
 * every stream it goes to; the recipients' unread counts follow.
 */
@Injectable()
export class NotificationRouter {
  constructor(
    private readonly streams: StreamRegistry,
    private readonly unread: UnreadCounts,
  ) {}

  /** `json` is the notification's wire JSON, serialized once when it was published. */
  deliver(notification: Notification, json: string): void {
    const frame = frameNotification(notification, json);
    if (notification.recipient === BROADCAST) {
      this.streams.sendToAll(frame, notification.id, notification.actorId);
    } else if (notification.recipient !== notification.actorId) {
      this.streams.sendToUser(notification.recipient, frame, notification.id);
    }
    this.unread.delivered(notification);
  }
}

/** A notification as one SSE event: its cursor as `id:`, its type as `event:`. */
export function frameNotification(notification: Notification, json = JSON.stringify(notification)) {
  return frameEvent({ id: notification.id, event: notification.type, data: json });
}
