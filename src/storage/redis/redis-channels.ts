import type { Notification } from '../../notifications/notification.js';
import type { Position, PresenceEvent } from '../../presence/presence-state.js';
import type { FedNotification } from '../live-feed.js';
import type { TimelineEvent } from '../timeline-store.js';
import { KEY_PREFIX } from './redis-connections.js';

/**
 * Every Redis channel of the service, and the format of its messages. Each message is
 * published by a Lua script in the same atomic step as the write it announces, so that
 * every instance hears the channels it subscribes to in the order of the writes (Redis
 * delivers one subscriber's messages in publish order, whatever their channels).
 *
 * | channel                 | published by                      | message                                  |
 * | ----------------------- | --------------------------------- | ---------------------------------------- |
 * | `notifications:<user>`  | notification append (notification-scripts.ts) | the user's notifications: per notification, joined by `\n`: `<cursor>\n<type>\n<recipient as a JSON string>\n<wire JSON, as stored>` |
 * |                         | mark read, unread, archive, mark all read (notification-scripts.ts) | `read` |
 * |                         | preference change (redis-preference-store.ts) | `{"userId","muted":[types]}` |
 * | `notifications`         | notification append               | broadcasts, and a notification every instance must learn from: the first of a history (a new epoch) or of a type; same format |
 * | `timelines`             | timeline append (redis-timeline-store.ts) | `<workflowId>\n<cursor>\n<{"type","data"} JSON>` |
 * | `presence`              | presence script (presence-script.ts) | `{"documentId","type","userId"[,"x","y"]}` |
 *
 * Every instance subscribes to the shared channels for its lifetime, and to a user's
 * channel ({@link userChannel}) while it holds a stream of that user (redis-live-feed.ts):
 * an instance is not woken for the users of other instances (issue 17). A user's channel
 * tells its three kinds of message apart by their first character: a cursor's digit,
 * `r`, `{`. The append script publishes each run of consecutive notifications on one
 * channel as one message, in cursor order, so that an instance subscribed to several
 * channels still hears cursors in order.
 *
 * The scripts build the messages (a cursor is known only inside the script); the
 * decoders below read them, and {@link encodePresenceMove} builds the one message the
 * script is handed whole.
 */
export interface RedisChannels {
  notifications: string;
  timelines: string;
  presence: string;
}

/** The channels under a key prefix: the service's own, or a test's. */
export function channelsUnder(keyPrefix: string): RedisChannels {
  return {
    notifications: `${keyPrefix}notifications`,
    timelines: `${keyPrefix}timelines`,
    presence: `${keyPrefix}presence`,
  };
}

/**
 * The channel of one user's notifications, read marks and preference changes: the
 * shared notifications channel, `:` and the user id, whatever its characters (a channel
 * name is binary-safe, and SUBSCRIBE matches it literally).
 */
export function userChannel(channels: RedisChannels, userId: string): string {
  return `${channels.notifications}:${userId}`;
}

/** The read-state message of a user's channel (the user is the channel's). */
export const READ_MESSAGE = 'read';

/** The service's channels, under {@link KEY_PREFIX}. */
export const CHANNELS: RedisChannels = channelsUnder(KEY_PREFIX);

/**
 * A message of the notifications channel: the notifications of one append, in cursor
 * order, one per line, each as `<cursor>\n<type>\n<recipient as a JSON string>\n<wire JSON>`
 * (JSON holds no raw line feed). An instance still hears notifications it has no stream
 * for (a user's last stream closed while it was on its way; the first of a type on the
 * shared channel): each header is read with a few `indexOf` and no parse, and a
 * notification itself is parsed only if asked for. The recipient is a
 * JSON string because a user id may hold any character, a line feed too; cursor and type
 * cannot (cursor.ts, NOTIFICATION_TYPE_PATTERN). Throws (SyntaxError) when the message is
 * not of that form.
 */
export function decodeNotificationMessage(message: string): FedNotification[] {
  const notifications: FedNotification[] = [];
  let start = 0;
  do {
    const afterId = message.indexOf('\n', start);
    const afterType = afterId < 0 ? -1 : message.indexOf('\n', afterId + 1);
    const afterRecipient = afterType < 0 ? -1 : message.indexOf('\n', afterType + 1);
    if (afterId <= start || afterRecipient < 0) {
      throw new SyntaxError(`Not a notification message: ${message.slice(start, start + 80)}`);
    }
    const next = message.indexOf('\n', afterRecipient + 1);
    const end = next < 0 ? message.length : next;
    notifications.push(
      new ChannelNotification(
        message.slice(start, afterId),
        message.slice(afterId + 1, afterType),
        decodeRecipient(message.slice(afterType + 1, afterRecipient)),
        message.slice(afterRecipient + 1, end),
      ),
    );
    start = end + 1;
  } while (start < message.length);
  return notifications;
}

/**
 * The message the append script publishes for the notifications it stored (built there, in
 * Lua, where the cursors are known; here for the tests and as its definition). The script
 * encodes recipients with cjson, which escapes a few characters JSON.stringify leaves
 * alone (`/`): the decoder reads either.
 */
export function encodeNotificationMessage(
  stored: readonly {
    notification: Pick<Notification, 'id' | 'type' | 'recipient'>;
    json: string;
  }[],
): string {
  return stored
    .map(
      ({ notification: { id, type, recipient }, json }) =>
        `${id}\n${type}\n${JSON.stringify(recipient)}\n${json}`,
    )
    .join('\n');
}

/** Most user ids need no escape in JSON: those are read by a slice, the rest parsed. */
function decodeRecipient(quoted: string): string {
  if (
    quoted.length >= 2 &&
    quoted[0] === '"' &&
    quoted[quoted.length - 1] === '"' &&
    quoted.indexOf('\\') === -1
  ) {
    return quoted.slice(1, -1);
  }
  const recipient: unknown = JSON.parse(quoted);
  if (typeof recipient !== 'string') throw new SyntaxError(`Not a recipient: ${quoted}`);
  return recipient;
}

class ChannelNotification implements FedNotification {
  private parsed: Notification | null = null;

  constructor(
    readonly id: string,
    readonly type: string,
    readonly recipient: string,
    readonly json: string,
  ) {}

  notification(): Notification {
    return (this.parsed ??= JSON.parse(this.json) as Notification);
  }
}

/** A message of the timelines channel. */
export function decodeTimelineMessage(message: string): {
  workflowId: string;
  event: TimelineEvent;
} {
  const first = message.indexOf('\n');
  const second = message.indexOf('\n', first + 1);
  const { type, data } = JSON.parse(message.slice(second + 1)) as Omit<TimelineEvent, 'id'>;
  return {
    workflowId: message.slice(0, first),
    event: { id: message.slice(first + 1, second), type, data },
  };
}

/** A preferences message of a user's channel: the user and their muted types after the change. */
export function decodePreferencesMessage(message: string): {
  userId: string;
  muted: string[];
} {
  const { userId, muted } = JSON.parse(message) as { userId: string; muted: string[] };
  return { userId, muted };
}

/** The `move` message of the presence channel (join and leave are built by the script). */
export function encodePresenceMove(documentId: string, userId: string, { x, y }: Position): string {
  return JSON.stringify({ documentId, type: 'move', userId, x, y });
}

/**
 * A message of the presence channel; null when its fields are not those of an event.
 * Throws (SyntaxError) when it is not JSON.
 */
export function decodePresenceMessage(
  message: string,
): { documentId: string; event: PresenceEvent } | null {
  const parsed = JSON.parse(message) as { documentId?: unknown } & Partial<PresenceEvent>;
  const { documentId, type, userId } = parsed;
  if (typeof documentId !== 'string' || typeof userId !== 'string') return null;
  if (type === 'move') {
    const { x, y } = parsed as Position;
    return { documentId, event: { type, userId, x, y } };
  }
  if (type === 'join' || type === 'leave') return { documentId, event: { type, userId } };
  return null;
}
