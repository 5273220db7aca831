import type { InboxItem, InboxPage } from '@notification-hub/client/protocol';
import type { Notification, NotificationDraft } from '../notifications/notification.js';

/** A notification as listed in a user's inbox, and a page of them: the wire shapes. */
export type { InboxItem, InboxPage };

/**
 * What `GET /notifications` asks for (CONTRACT.md, "The inbox"). Every filter combines
 * with the others and with paging: `nextBefore` pages through exactly the filtered list.
 * The fields added with archive, types and preferences are optional so that a caller
 * that knows nothing of them gets the default listing.
 */
export interface InboxQuery {
  /** Only notifications the user has not read. */
  unreadOnly: boolean;
  /** Only notifications older than this cursor. */
  before: string | null;
  /** At most this many items (the route bounds it to 1–100). */
  limit: number;
  /** true: only the user's archived notifications; false (default): archived ones are left out. */
  archived?: boolean;
  /** Only notifications of these types; null (default) for every type. */
  types?: readonly string[] | null;
  /**
   * Types left out whatever else is asked: the user's turned-off types
   * (PreferenceStore.mutedTypes). Default none.
   */
  muted?: readonly string[];
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
 * users; read and archive state are kept per user, apart from the notification, and go
 * with it when it is pruned. "A user's notifications" are those addressed to them and the
 * broadcasts of others: an actor never sees their own.
 *
 * A notification is read or unread, and archived or not, independently: archiving marks
 * it read, and it may be marked unread again while archived; an archived notification
 * is never counted as unread and is listed only when asked for. Muted types (the user's
 * preferences) are passed in by the caller; the store keeps no preferences here.
 *
 * The writes publish on the {@link LiveFeed} as part of the write (see live-feed.ts for
 * why the store and not its caller): append every stored notification, in cursor order;
 * markRead, markUnread, setArchived (when they change something) and markAllRead the user
 * whose read state changed.
 */
export abstract class NotificationStore {
  /** Stores the drafts, in order, all or none, and publishes them; resolves once they are durable. */
  abstract append(drafts: readonly NotificationDraft[]): Promise<Notification[]>;

  /**
   * Up to `limit` of the user's notifications after `cursor`, oldest first, of every type
   * and archived or not (the stream's replay; a caller that leaves out muted types pages
   * on with the last cursor returned here, not the last one it kept).
   */
  abstract readAfter(userId: string, cursor: string, limit: number): Promise<Notification[]>;

  /** 'expired' when notifications after `cursor` may have been pruned, 'unknown' when it was never issued. */
  abstract cursorState(cursor: string): Promise<CursorState>;

  /** The cursor of the user's newest notification, or null. */
  abstract latestCursor(userId: string): Promise<string | null>;

  /** The user's notifications, newest first. */
  abstract inbox(userId: string, query: InboxQuery): Promise<InboxPage>;

  /**
   * How many of the user's notifications are unread, leaving out archived ones and those
   * of the `muted` types (default none); `asOf` is the newest cursor issued when counted,
   * whoever it was for, so that a caller can add what it sees arrive after it.
   */
  abstract unreadCount(userId: string, muted?: readonly string[]): Promise<UnreadCount>;

  /**
   * Marks one of the user's notifications read; false when the user has no such
   * notification (another user's, their own, pruned, never issued, malformed). Idempotent.
   */
  abstract markRead(userId: string, cursor: string): Promise<boolean>;

  /** Marks one of the user's notifications unread again (archived or not); false as for {@link markRead}. */
  abstract markUnread(userId: string, cursor: string): Promise<boolean>;

  /** Marks every notification the user has (archived or not) read, also those marked unread. */
  abstract markAllRead(userId: string): Promise<void>;

  /**
   * Archives (and marks read) or unarchives (leaving it read) one of the user's
   * notifications, broadcasts included, for that user only; false as for {@link markRead}.
   * Idempotent.
   */
  abstract setArchived(userId: string, cursor: string, archived: boolean): Promise<boolean>;

  /**
   * Every notification type the service knows, sorted: the built-in ones
   * (BUILT_IN_NOTIFICATION_TYPES) and every type ever appended. A type is recorded in the
   * same atomic write as the first notification of it, so whoever sees that notification
   * (live, on any instance, or in a read) finds its type here. Kept in the store: it
   * survives a restart and, on Redis, is shared by every instance. It outlives pruning.
   */
  abstract knownTypes(): Promise<string[]>;

  /**
   * Deletes, in cursor order, every notification up to the newest one created before
   * `cutoff` (so that "expired" is one cursor boundary even if the clock stepped back);
   * resolves with how many. Every user's read and archive state of what it deletes
   * goes with it.
   */
  abstract prune(cutoff: Date): Promise<number>;
}
