import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { splitCursor, type CursorParts } from '../../cursor.js';
import {
  BUILT_IN_NOTIFICATION_TYPES,
  type Notification,
  type NotificationDraft,
} from '../../notifications/notification.js';
import {
  CursorState,
  InboxPage,
  InboxQuery,
  NotificationStore,
  UnreadCount,
} from '../notification-store.js';
import { currentRequestWrites } from '../request-writes.js';
import type { LuaScript } from './lua-script.js';
import { ScriptBatcher } from './script-batcher.js';
import { channelsUnder, type RedisChannels, userChannel } from './redis-channels.js';
import {
  APPEND,
  CURSOR_STATE,
  INBOX,
  LATEST,
  MARK_ALL_READ,
  MARK_READ,
  MARK_UNREAD,
  PRUNE_STATE_STEP,
  PRUNE_STEP,
  READ_AFTER,
  SET_ARCHIVED,
  UNREAD_COUNT,
} from './notification-scripts.js';

export interface RedisNotificationStoreOptions {
  /**
   * Shared with the service's other keys: this store keeps its own under
   * `<keyPrefix>notifications:`, and publishes on the channels under it (redis-channels.ts).
   */
  keyPrefix: string;
  /** Told the number of appends of every pipeline sent (script-batcher.ts): a metric. */
  onBatch?: (appends: number) => void;
}

/** How many notifications one prune step may take as old; bounds how long Redis is busy. */
const PRUNE_BATCH = 500;
/** How many users' read and archive state one prune step may clean. */
const PRUNE_STATE_BATCH = 200;

/**
 * The shared {@link NotificationStore}: every instance reads and appends through one
 * Redis, with the same behaviour as the embedded SQLite store. Layout and atomicity are
 * described with the scripts (notification-scripts.ts). Append publishes every stored
 * notification, and the read marks the user, in the same script as the write.
 */
export class RedisNotificationStore extends NotificationStore {
  private readonly namespace: string;
  /** Where an append made by a request that may run again is recorded (request-writes.ts). */
  private readonly writesNamespace: string;
  private readonly channels: RedisChannels;
  /** Concurrent appends go to Redis as one pipeline. */
  private readonly appends: ScriptBatcher;

  constructor(
    private readonly redis: Redis,
    options: RedisNotificationStoreOptions,
  ) {
    super();
    this.namespace = `${options.keyPrefix}notifications:`;
    this.writesNamespace = `${options.keyPrefix}request-writes:`;
    this.channels = channelsUnder(options.keyPrefix);
    this.appends = new ScriptBatcher(redis, options.onBatch);
  }

  async append(drafts: readonly NotificationDraft[]): Promise<Notification[]> {
    if (drafts.length === 0) return [];
    // From this process's clock, like the SQLite store, so that cutoffs computed here agree.
    const createdAt = new Date();
    const tails = drafts.map((draft) => wireTail(draft, createdAt.toISOString()));
    const args = drafts.flatMap((draft, i) => [
      draft.recipient,
      draft.actorId === null ? '0' : '1',
      draft.actorId ?? '',
      draft.type,
      tails[i],
    ]);
    const writes = currentRequestWrites();
    const stored = (await this.appends.run(
      APPEND,
      [],
      [
        this.namespace,
        this.channels.notifications,
        createdAt.getTime(),
        newEpoch(),
        writes ? `${this.writesNamespace}${writes.next('notifications.append')}` : '',
        writes?.ttlMs ?? 0,
        ...args,
      ],
    )) as string[];
    return stored.map((json) => JSON.parse(json) as Notification);
  }

  async readAfter(userId: string, cursor: string, limit: number): Promise<Notification[]> {
    const after = splitCursor(cursor) ?? NOWHERE;
    const rows = (await this.run(
      READ_AFTER,
      userId,
      after.sequence,
      after.epoch,
      limit,
    )) as string[];
    return rows.map((json) => JSON.parse(json) as Notification);
  }

  async cursorState(cursor: string): Promise<CursorState> {
    const parts = splitCursor(cursor);
    if (parts === null) return 'unknown';
    return (await this.run(CURSOR_STATE, parts.sequence, parts.epoch)) as CursorState;
  }

  async latestCursor(userId: string): Promise<string | null> {
    return ((await this.run(LATEST, userId)) as string | null) ?? null;
  }

  async inbox(userId: string, query: InboxQuery): Promise<InboxPage> {
    const before = query.before === null ? null : (splitCursor(query.before) ?? NOWHERE);
    const rows = (await this.run(
      INBOX,
      userId,
      before === null ? '+inf' : `(${before.sequence}`,
      query.limit + 1,
      query.unreadOnly ? '1' : '0',
      before?.epoch ?? '',
      query.archived ? '1' : '0',
      query.types == null ? '' : JSON.stringify(query.types),
      JSON.stringify(query.muted ?? []),
    )) as (string | number)[];
    const items = [];
    for (let i = 0; i < rows.length; i += 2) {
      items.push({ ...(JSON.parse(rows[i] as string) as Notification), read: rows[i + 1] === 1 });
    }
    const page = items.slice(0, query.limit);
    return {
      items: page,
      nextBefore: items.length > query.limit ? page[page.length - 1].id : null,
    };
  }

  async unreadCount(userId: string, muted: readonly string[] = []): Promise<UnreadCount> {
    const [count, last] = (await this.run(UNREAD_COUNT, userId, JSON.stringify(muted))) as [
      number,
      string,
    ];
    return { count, asOf: last === '0' ? null : last };
  }

  markRead(userId: string, cursor: string): Promise<boolean> {
    return this.change(MARK_READ, userId, cursor);
  }

  markUnread(userId: string, cursor: string): Promise<boolean> {
    return this.change(MARK_UNREAD, userId, cursor);
  }

  setArchived(userId: string, cursor: string, archived: boolean): Promise<boolean> {
    return this.change(SET_ARCHIVED, userId, cursor, archived ? '1' : '0');
  }

  async knownTypes(): Promise<string[]> {
    const recorded = await this.redis.smembers(`${this.namespace}types`);
    return [...new Set([...BUILT_IN_NOTIFICATION_TYPES, ...recorded])].sort();
  }

  async markAllRead(userId: string): Promise<void> {
    await this.run(MARK_ALL_READ, userId, userChannel(this.channels, userId));
  }

  async prune(cutoff: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const [count, more] = (await this.run(PRUNE_STEP, cutoff.getTime(), PRUNE_BATCH)) as [
        number,
        number,
      ];
      deleted += count;
      if (more === 0) break;
    }
    while ((await this.run(PRUNE_STATE_STEP, PRUNE_STATE_BATCH)) === 1);
    return deleted;
  }

  /**
   * Runs a script that changes the user's state of one notification (ARGV user, id, epoch,
   * the user's channel, extra); the script publishes `read` on that channel when it does.
   */
  private async change(
    script: LuaScript,
    userId: string,
    cursor: string,
    ...extra: string[]
  ): Promise<boolean> {
    const id = splitCursor(cursor);
    if (id === null) return false;
    return (
      (await this.run(
        script,
        userId,
        String(id.sequence),
        id.epoch,
        userChannel(this.channels, userId),
        ...extra,
      )) === 1
    );
  }

  private run(script: LuaScript, ...args: (string | number)[]): Promise<unknown> {
    return script.run(this.redis, [], [this.namespace, ...args]);
  }
}

/** Stands for a cursor that is not one: before everything, and of no history. */
const NOWHERE: CursorParts = { sequence: 0, epoch: '' };

/**
 * A candidate epoch for the append that may start a history: fresh for every append, so
 * that a history started again (after a loss) never gets the epoch of the one it replaces.
 */
function newEpoch(): string {
  return randomBytes(5).toString('hex');
}

/**
 * The notification's JSON after its opening brace and id: the fields in wire order
 * (CONTRACT.md), with the id put in front by the append script.
 */
function wireTail(draft: NotificationDraft, createdAt: string): string {
  const { type, recipient, actorId, title, body, data } = draft;
  return JSON.stringify({ type, recipient, actorId, title, body, data, createdAt }).slice(1);
}
