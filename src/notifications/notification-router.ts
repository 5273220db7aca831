import { Injectable } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { frameEvent } from '../streaming/sse-frame.js';
import { StreamHub } from '../streaming/stream-hub.js';
import type { ResumableStream } from '../streaming/resumable-stream.js';
import type { StreamRegistry } from '../streaming/stream-registry.js';
import { MutedTypes } from './muted-types.js';
import { BROADCAST, Notification } from './notification.js';
import { UnreadCounts } from './unread-counts.js';

/**
 * Delivers stored notifications to the open streams that should have them. Each
 * notification is serialized and framed once, then the same string is written to
 * every stream it goes to, with the recipient's new `unread-count` in the same write.
 */
@Injectable()
export class NotificationRouter {
  /** The notification streams, by user. */
  private readonly streams: StreamRegistry;

  constructor(
    hub: StreamHub,
    private readonly unread: UnreadCounts,
    private readonly metrics: MetricsService,
    private readonly muted: MutedTypes,
  ) {
    this.streams = hub.users;
  }

  /**
   * Whether a notification for `recipient` may go to a stream of this instance: a
   * broadcast, or a user with a stream here. Asked before the notification is parsed.
   */
  wants(recipient: string): boolean {
    return recipient === BROADCAST || this.streams.countFor(recipient) > 0;
  }

  /** `json` is the notification's wire JSON, serialized once when it was published. */
  deliver(notification: Notification, json: string): void {
    const receivedAt = performance.now();
    const frame = frameNotification(notification, json);
    this.unread.advance(notification);
    let streams = 0;
    if (notification.recipient === BROADCAST) {
      const send = sendWithCounts(frame, notification.id);
      const { unread, muted } = this;
      const { type } = notification;
      streams = this.streams.sendToAll((stream) => {
        const { userId } = stream;
        const count = unread.frameForBroadcast(userId, notification);
        // Users who turned the type off are skipped (O(1) per stream; nothing while none did).
        const allowed = muted.allows(userId, type);
        if (allowed === true) send(stream, count);
        // Their set is still being read: delivered (or not) once it is known.
        else if (allowed === null) muted.forUser(userId, type, () => send(stream, count));
      }, notification.actorId);
    } else if (notification.recipient !== notification.actorId) {
      const { recipient } = notification;
      const count = this.unread.frameAfter(recipient, notification.id);
      const withCount = count === null ? frame : frame + count;
      const allowed = this.muted.allows(recipient, notification.type);
      if (allowed === true) {
        streams = this.streams.sendTo(recipient, withCount, notification.id, count);
      } else if (allowed === null) {
        // Their set is still being read: delivered (or not) once it is known.
        this.muted.forUser(recipient, notification.type, () =>
          this.streams.sendTo(recipient, withCount, notification.id, count),
        );
      }
    }
    this.metrics.delivered(streams, receivedAt);
  }
}

/**
 * The notification's frame followed by the user's new unread count, in one write per
 * stream. Users mostly share a few count values, so each combination is encoded once per
 * notification and the same Buffer goes to every stream that needs it, as the plain
 * frame does to streams whose count did not move.
 */
function sendWithCounts(
  frame: string,
  cursor: string,
): (stream: ResumableStream, count: string | null) => void {
  const plain = Buffer.from(frame);
  const combined = new Map<string, Buffer>();
  return (stream, count) => {
    if (count === null) {
      stream.send(plain, cursor);
      return;
    }
    let both = combined.get(count);
    if (!both) combined.set(count, (both = Buffer.from(frame + count)));
    stream.send(both, cursor, count);
  };
}

/** A notification as one SSE event: its cursor as `id:`, its type as `event:`. */
export function frameNotification(notification: Notification, json = JSON.stringify(notification)) {
  return frameEvent({ id: notification.id, event: notification.type, data: json });
}
