import type { Notification, NotificationDraft } from '../notifications/notification.js';

/** A notification as listed in a user's inbox. */
export interface InboxItem extends Notification {
  read: boolean;
}

export interface InboxQuery {
  unreadOnly: boolean;
  /** Only notifications older than this cursor. */
  before: string | null;
  limit: number;
}

export interface InboxPage {
  items: InboxItem[];
  /** The cursor to pass as `before` for the next page, or null when nothing older exists. */
  nextBefore: string | null;
}

/** Whether the store can replay everything after a cursor. */
export type CursorState = 'ok' | 'expired' | 'unknown';

/** A user's unread count, and the newest cursor it takes into account. */
export interface UnreadCount {
  count: number;
  asOf: string | null;
}

/**
 * Where notifications are kept (CONTRACT.md, "The inbox" and resume). Cursors are
 * strictly increasing in append order. A broadcast is one entry, whatever the number of
 * users; read state is kept per user, apart from the notification. "A user's
 * notifications" are those addressed to them and the broadcasts of others: an actor
 * never sees their own.
 *
 * The writes publish on the {@link LiveFeed} as part of the write (see live-feed.ts for
 * why the store and not its caller): append every stored notification, in cursor order;
 * markRead (when it marks) and markAllRead the user whose read state changed.
 */
export abstract class NotificationStore {
  /** Stores the drafts, in order, all or none, and publishes them; resolves once they are durable. */
  abstract append(drafts: readonly NotificationDraft[]): Promise<Notification[]>;

  /** Up to `limit` of the user's notifications after `cursor`, oldest first. */
  abstract readAfter(userId: string, cursor: string, limit: number): Promise<Notification[]>;

  /** 'expired' when notifications after `cursor` may have been pruned, 'unknown' when it was never issued. */
  abstract cursorState(cursor: string): Promise<CursorState>;

  /** The cursor of the user's newest notification, or null. */
  abstract latestCursor(userId: string): Promise<string | null>;

  /** The user's notifications, newest first. */
  abstract inbox(userId: string, query: InboxQuery): Promise<InboxPage>;

  abstract unreadCount(userId: string): Promise<UnreadCount>;

  /** Marks one of the user's notifications read; false when the user has no such notification. */
  abstract markRead(userId: string, cursor: string): Promise<boolean>;

  /** Marks every notification the user has read. */
  abstract markAllRead(userId: string): Promise<void>;

  /**
   * Deletes, in cursor order, every notification up to the newest one created before
   * `cutoff` (so that "expired" is one cursor boundary even if the clock stepped back);
   * resolves with how many.
   */
  abstract prune(cutoff: Date): Promise<number>;
}
