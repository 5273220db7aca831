import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import {
  BUILT_IN_NOTIFICATION_TYPES,
  type Notification,
  type NotificationDraft,
} from '../../notifications/notification.js';
import { formatCursor, parseCursor } from '../../cursor.js';
import {
  CursorState,
  InboxPage,
  InboxQuery,
  NotificationStore,
  UnreadCount,
} from '../notification-store.js';
import { LocalLiveFeed } from '../memory/local-live-feed.js';
import { SqliteDatabase } from './sqlite-database.js';
import { settle } from './settle.js';

interface Row {
  id: number;
  recipient: string;
  actor_id: string | null;
  type: string;
  title: string;
  body: string;
  data: string;
  created_at: string;
}

/** The rows a user sees: addressed to them or broadcast, and not of their own doing. */
const VISIBLE = `(n.recipient IN (@user, '*') AND n.actor_id IS NOT @user)`;
const READ_THROUGH = `coalesce((SELECT read_through FROM read_marks WHERE user_id = @user), 0)`;
/** Read: up to the user's read-through and not marked unread since, or marked read above it. */
const IS_READ = `((n.id <= ${READ_THROUGH} AND NOT EXISTS (
    SELECT 1 FROM notification_unreads u WHERE u.user_id = @user AND u.notification_id = n.id))
  OR EXISTS (
    SELECT 1 FROM notification_reads r WHERE r.user_id = @user AND r.notification_id = n.id))`;
const IS_ARCHIVED = `EXISTS (
  SELECT 1 FROM notification_archives a WHERE a.user_id = @user AND a.notification_id = n.id)`;
/** @types: a JSON array of the types asked for, or NULL for all; @muted: a JSON array. */
const OF_TYPES = `(@types IS NULL OR n.type IN (SELECT value FROM json_each(@types)))
  AND n.type NOT IN (SELECT value FROM json_each(@muted))`;
const PRUNED_THROUGH = 'pruned_through';

/**
 * The embedded {@link NotificationStore}: SQLite through better-sqlite3. Its writes hand
 * what they wrote to the in-process feed once committed, in the order they were made.
 */
@Injectable()
export class SqliteNotificationStore extends NotificationStore {
  private readonly statements: ReturnType<typeof prepare>;

  constructor(
    private readonly database: SqliteDatabase,
    private readonly feed: LocalLiveFeed,
  ) {
    super();
    this.statements = prepare(database);
  }

  /**
   * Joins the next group commit (group-commit.ts): resolves once the transaction holding
   * these drafts committed, after the feed got them, so that feed order is cursor order.
   */
  append(drafts: readonly NotificationDraft[]): Promise<Notification[]> {
    return this.database.groupCommit.submit(
      () => {
        const createdAt = new Date().toISOString();
        for (const type of new Set(drafts.map((draft) => draft.type))) {
          this.statements.recordType.run({ type });
        }
        return drafts.map((draft) => {
          const { lastInsertRowid } = this.statements.insert.run({
            recipient: draft.recipient,
            actor: draft.actorId,
            type: draft.type,
            title: draft.title,
            body: draft.body,
            data: JSON.stringify(draft.data),
            createdAt,
          });
          return toNotification(Number(lastInsertRowid), draft, createdAt);
        });
      },
      (stored) => this.feed.notificationsAppended(stored),
    );
  }

  readAfter(userId: string, cursor: string, limit: number): Promise<Notification[]> {
    return settle(() =>
      (
        this.statements.after.all({ user: userId, after: parseCursor(cursor) ?? 0, limit }) as Row[]
      ).map(fromRow),
    );
  }

  cursorState(cursor: string): Promise<CursorState> {
    return settle(() => {
      const sequence = parseCursor(cursor);
      if (sequence === null || sequence > this.lastIssued()) return 'unknown';
      return sequence < this.prunedThrough() ? 'expired' : 'ok';
    });
  }

  latestCursor(userId: string): Promise<string | null> {
    return settle(() => {
      const row = this.statements.latest.get({ user: userId }) as { id: number | null };
      return row.id === null ? null : formatCursor(row.id);
    });
  }

  inbox(userId: string, query: InboxQuery): Promise<InboxPage> {
    return settle(() => {
      const statement = this.statements.inbox(query.unreadOnly, query.archived ?? false);
      const rows = statement.all({
        user: userId,
        before: query.before === null ? null : (parseCursor(query.before) ?? 0),
        limit: query.limit + 1,
        types: query.types == null ? null : JSON.stringify(query.types),
        muted: JSON.stringify(query.muted ?? []),
      }) as (Row & { read: number })[];
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((row) => ({ ...fromRow(row), read: row.read === 1 })),
        nextBefore: rows.length > query.limit ? formatCursor(page[page.length - 1].id) : null,
      };
    });
  }

  unreadCount(userId: string, muted: readonly string[] = []): Promise<UnreadCount> {
    return settle(() =>
      this.database.db.transaction(() => {
        const { count } = this.statements.unread.get({
          user: userId,
          muted: JSON.stringify(muted),
        }) as { count: number };
        const last = this.lastIssued();
        return { count, asOf: last === 0 ? null : formatCursor(last) };
      })(),
    );
  }

  markRead(userId: string, cursor: string): Promise<boolean> {
    return this.change(userId, cursor, (mark) => this.read(mark));
  }

  markUnread(userId: string, cursor: string): Promise<boolean> {
    return this.change(userId, cursor, (mark) => {
      this.statements.forgetRead.run(mark);
      this.statements.markUnread.run(mark);
    });
  }

  setArchived(userId: string, cursor: string, archived: boolean): Promise<boolean> {
    return this.change(userId, cursor, (mark) => {
      if (!archived) {
        this.statements.unarchive.run(mark);
        return;
      }
      this.read(mark);
      this.statements.archive.run(mark);
    });
  }

  knownTypes(): Promise<string[]> {
    return settle(() => {
      const recorded = (this.statements.types.all() as { type: string }[]).map(({ type }) => type);
      return [...new Set([...BUILT_IN_NOTIFICATION_TYPES, ...recorded])].sort();
    });
  }

  async markAllRead(userId: string): Promise<void> {
    await settle(() => {
      this.database.db.transaction(() => {
        const through = this.lastIssued();
        this.statements.setReadThrough.run({ user: userId, through });
        this.statements.forgetReadsThrough.run({ user: userId, through });
        this.statements.forgetUnreads.run({ user: userId });
      })();
    });
    this.feed.readChanged(userId);
  }

  prune(cutoff: Date): Promise<number> {
    return settle(() =>
      this.database.db.transaction(() => {
        const { id } = this.statements.newestBefore.get({ cutoff: cutoff.toISOString() }) as {
          id: number | null;
        };
        if (id === null) return 0;
        // Per-user state goes with what it refers to; a read-through at or below what is
        // deleted now marks nothing.
        for (const statement of this.statements.deleteStateThrough) statement.run({ through: id });
        const { changes } = this.statements.deleteThrough.run({ through: id });
        this.statements.setMeta.run({ key: PRUNED_THROUGH, value: id });
        return changes;
      })(),
    );
  }

  /**
   * Runs `apply` in one transaction if the user can see the notification, then tells the
   * live feed that the user's read state changed; false when not (malformed, another
   * user's, their own, pruned, never issued).
   */
  private async change(
    userId: string,
    cursor: string,
    apply: (mark: { user: string; id: number }) => void,
  ): Promise<boolean> {
    const changed = await settle(() =>
      this.database.db.transaction(() => {
        const id = parseCursor(cursor);
        if (id === null || !this.statements.visible.get({ user: userId, id })) return false;
        apply({ user: userId, id });
        return true;
      })(),
    );
    if (changed) this.feed.readChanged(userId);
    return changed;
  }

  private read(mark: { user: string; id: number }): void {
    this.statements.forgetUnread.run(mark);
    this.statements.markRead.run(mark);
  }

  /** The highest cursor ever issued (AUTOINCREMENT never reuses one, even after pruning). */
  private lastIssued(): number {
    const row = this.statements.lastIssued.get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  private prunedThrough(): number {
    const row = this.statements.getMeta.get({ key: PRUNED_THROUGH }) as
      { value: number } | undefined;
    return row?.value ?? 0;
  }
}

function prepare({ db }: SqliteDatabase) {
  const inboxes = new Map<string, Statement>();
  /** The listing's statement for these flags, prepared once. */
  const inbox = (unreadOnly: boolean, archived: boolean): Statement => {
    const key = `${unreadOnly}:${archived}`;
    let statement = inboxes.get(key);
    if (!statement) {
      statement = db.prepare(`
        SELECT n.*, ${IS_READ} AS read FROM notifications n
        WHERE ${VISIBLE} AND (@before IS NULL OR n.id < @before) AND ${OF_TYPES}
          AND ${archived ? '' : 'NOT'} ${IS_ARCHIVED} ${unreadOnly ? `AND NOT ${IS_READ}` : ''}
        ORDER BY n.id DESC LIMIT @limit`);
      inboxes.set(key, statement);
    }
    return statement;
  };
  return {
    insert: db.prepare(`
      INSERT INTO notifications (recipient, actor_id, type, title, body, data, created_at)
      VALUES (@recipient, @actor, @type, @title, @body, @data, @createdAt)`),
    recordType: db.prepare(`INSERT OR IGNORE INTO notification_types (type) VALUES (@type)`),
    types: db.prepare(`SELECT type FROM notification_types`),
    after: db.prepare(
      `SELECT n.* FROM notifications n WHERE n.id > @after AND ${VISIBLE} ORDER BY n.id LIMIT @limit`,
    ),
    latest: db.prepare(`SELECT max(n.id) AS id FROM notifications n WHERE ${VISIBLE}`),
    inbox,
    unread: db.prepare(`
      SELECT count(*) AS count FROM notifications n
      WHERE ${VISIBLE} AND NOT ${IS_READ} AND NOT ${IS_ARCHIVED}
        AND n.type NOT IN (SELECT value FROM json_each(@muted))`),
    visible: db.prepare(`SELECT 1 FROM notifications n WHERE n.id = @id AND ${VISIBLE}`),
    markRead: db.prepare(
      `INSERT OR IGNORE INTO notification_reads (user_id, notification_id)
       SELECT @user, @id WHERE @id > ${READ_THROUGH}`,
    ),
    forgetUnread: db.prepare(
      `DELETE FROM notification_unreads WHERE user_id = @user AND notification_id = @id`,
    ),
    forgetRead: db.prepare(
      `DELETE FROM notification_reads WHERE user_id = @user AND notification_id = @id`,
    ),
    markUnread: db.prepare(
      `INSERT OR IGNORE INTO notification_unreads (user_id, notification_id)
       SELECT @user, @id WHERE @id <= ${READ_THROUGH}`,
    ),
    forgetUnreads: db.prepare(`DELETE FROM notification_unreads WHERE user_id = @user`),
    archive: db.prepare(
      `INSERT OR IGNORE INTO notification_archives (user_id, notification_id) VALUES (@user, @id)`,
    ),
    unarchive: db.prepare(
      `DELETE FROM notification_archives WHERE user_id = @user AND notification_id = @id`,
    ),
    setReadThrough: db.prepare(`
      INSERT INTO read_marks (user_id, read_through) VALUES (@user, @through)
      ON CONFLICT (user_id) DO UPDATE SET read_through = max(read_through, excluded.read_through)`),
    forgetReadsThrough: db.prepare(
      `DELETE FROM notification_reads WHERE user_id = @user AND notification_id <= @through`,
    ),
    newestBefore: db.prepare(`SELECT max(id) AS id FROM notifications WHERE created_at < @cutoff`),
    deleteStateThrough: [
      'DELETE FROM notification_reads WHERE notification_id <= @through',
      'DELETE FROM notification_unreads WHERE notification_id <= @through',
      'DELETE FROM notification_archives WHERE notification_id <= @through',
      'DELETE FROM read_marks WHERE read_through <= @through',
    ].map((sql) => db.prepare(sql)),
    deleteThrough: db.prepare(`DELETE FROM notifications WHERE id <= @through`),
    lastIssued: db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'notifications'`),
    getMeta: db.prepare(`SELECT value FROM store_meta WHERE key = @key`),
    setMeta: db.prepare(`
      INSERT INTO store_meta (key, value) VALUES (@key, @value)
      ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`),
  };
}

function toNotification(id: number, draft: NotificationDraft, createdAt: string): Notification {
  return {
    id: formatCursor(id),
    type: draft.type,
    recipient: draft.recipient,
    actorId: draft.actorId,
    title: draft.title,
    body: draft.body,
    data: draft.data,
    createdAt,
  };
}

function fromRow(row: Row): Notification {
  return toNotification(
    row.id,
    {
      type: row.type,
      recipient: row.recipient,
      actorId: row.actor_id,
      title: row.title,
      body: row.body,
      data: JSON.parse(row.data) as Record<string, unknown>,
    },
    row.created_at,
  );
}
