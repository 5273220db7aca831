import { Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
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
    private readonly metrics: MetricsService,
  ) {}

  /** `json` is the notification's wire JSON, serialized once when it was published. */
  deliver(notification: Notification, json: string): void {
    const receivedAt = performance.now();
    const frame = frameNotification(notification, json);
    let streams = 0;
    if (notification.recipient === BROADCAST) {
      streams = this.streams.sendToAll(frame, notification.id, notification.actorId);
    } else if (notification.recipient !== notification.actorId) {
      streams = this.streams.sendToUser(notification.recipient, frame, notification.id);
    }
    this.metrics.delivered(streams, receivedAt);
    this.unread.delivered(notification);
  }
}

/** A notification as one SSE event: its cursor as `id:`, its type as `event:`. */
export function frameNotification(notification: Notification, json = JSON.stringify(notification)) {
  return frameEvent({ id: notification.id, event: notification.type, data: json });
}
