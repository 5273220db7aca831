import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import type { Notification, NotificationDraft } from '../../notifications/notification.js';
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
const IS_READ = `(n.id <= ${READ_THROUGH} OR EXISTS (
  SELECT 1 FROM notification_reads r WHERE r.user_id = @user AND r.notification_id = n.id))`;
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

  async append(drafts: readonly NotificationDraft[]): Promise<Notification[]> {
    const stored = await this.write(drafts);
    this.feed.notificationsAppended(stored);
    return stored;
  }

  private write(drafts: readonly NotificationDraft[]): Promise<Notification[]> {
    return settle(() => {
      const createdAt = new Date().toISOString();
      const insert = this.database.db.transaction(() =>
        drafts.map((draft) => {
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
        }),
      );
      return insert();
    });
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
      const statement = query.unreadOnly ? this.statements.inboxUnread : this.statements.inbox;
      const rows = statement.all({
        user: userId,
        before: query.before === null ? null : (parseCursor(query.before) ?? 0),
        limit: query.limit + 1,
      }) as (Row & { read: number })[];
      const page = rows.slice(0, query.limit);
      return {
        items: page.map((row) => ({ ...fromRow(row), read: row.read === 1 })),
        nextBefore: rows.length > query.limit ? formatCursor(page[page.length - 1].id) : null,
      };
    });
  }

  unreadCount(userId: string): Promise<UnreadCount> {
    return settle(() =>
      this.database.db.transaction(() => {
        const { count } = this.statements.unread.get({ user: userId }) as { count: number };
        const last = this.lastIssued();
        return { count, asOf: last === 0 ? null : formatCursor(last) };
      })(),
    );
  }

  async markRead(userId: string, cursor: string): Promise<boolean> {
    const marked = await settle(() => {
      const id = parseCursor(cursor);
      if (id === null || !this.statements.visible.get({ user: userId, id })) return false;
      this.statements.markRead.run({ user: userId, id });
      return true;
    });
    if (marked) this.feed.readChanged(userId);
    return marked;
  }

  async markAllRead(userId: string): Promise<void> {
    await settle(() => {
      this.database.db.transaction(() => {
        const through = this.lastIssued();
        this.statements.setReadThrough.run({ user: userId, through });
        this.statements.forgetReadsThrough.run({ user: userId, through });
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
        this.statements.deleteReadsThrough.run({ through: id });
        const { changes } = this.statements.deleteThrough.run({ through: id });
        this.statements.setMeta.run({ key: PRUNED_THROUGH, value: id });
        return changes;
      })(),
    );
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
  const inbox = (unreadOnly: boolean): Statement =>
    db.prepare(`
      SELECT n.*, ${IS_READ} AS read FROM notifications n
      WHERE ${VISIBLE} AND (@before IS NULL OR n.id < @before) ${unreadOnly ? `AND NOT ${IS_READ}` : ''}
      ORDER BY n.id DESC LIMIT @limit`);
  return {
    insert: db.prepare(`
      INSERT INTO notifications (recipient, actor_id, type, title, body, data, created_at)
      VALUES (@recipient, @actor, @type, @title, @body, @data, @createdAt)`),
    after: db.prepare(
      `SELECT n.* FROM notifications n WHERE n.id > @after AND ${VISIBLE} ORDER BY n.id LIMIT @limit`,
    ),
    latest: db.prepare(`SELECT max(n.id) AS id FROM notifications n WHERE ${VISIBLE}`),
    inbox: inbox(false),
    inboxUnread: inbox(true),
    unread: db.prepare(
      `SELECT count(*) AS count FROM notifications n WHERE ${VISIBLE} AND NOT ${IS_READ}`,
    ),
    visible: db.prepare(`SELECT 1 FROM notifications n WHERE n.id = @id AND ${VISIBLE}`),
    markRead: db.prepare(
      `INSERT OR IGNORE INTO notification_reads (user_id, notification_id)
       SELECT @user, @id WHERE @id > ${READ_THROUGH}`,
    ),
    setReadThrough: db.prepare(`
      INSERT INTO read_marks (user_id, read_through) VALUES (@user, @through)
      ON CONFLICT (user_id) DO UPDATE SET read_through = max(read_through, excluded.read_through)`),
    forgetReadsThrough: db.prepare(
      `DELETE FROM notification_reads WHERE user_id = @user AND notification_id <= @through`,
    ),
    newestBefore: db.prepare(`SELECT max(id) AS id FROM notifications WHERE created_at < @cutoff`),
    deleteReadsThrough: db.prepare(
      `DELETE FROM notification_reads WHERE notification_id <= @through`,
    ),
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
