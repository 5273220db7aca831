import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../../src/config.js';
import { BROADCAST } from '../../src/notifications/notification.js';
import { LocalLiveFeed } from '../../src/storage/memory/local-live-feed.js';
import { SqliteDatabase } from '../../src/storage/sqlite/sqlite-database.js';
import { SqliteDocumentStore } from '../../src/storage/sqlite/sqlite-document-store.js';
import { SqliteIdempotencyStore } from '../../src/storage/sqlite/sqlite-idempotency-store.js';
import { SqliteTimelineStore } from '../../src/storage/sqlite/sqlite-timeline-store.js';
import { SqliteNotificationStore } from '../../src/storage/sqlite/sqlite-notification-store.js';
import { draft } from '../support/drafts.js';
import { SqlitePreferenceStore } from '../../src/storage/sqlite/sqlite-preference-store.js';
import { makeDataDir, removeDataDir } from '../support/app.js';
import { describeDocumentStore } from './document-store.contract.js';
import { describeIdempotencyStore } from './idempotency-store.contract.js';
import { describeNotificationStore } from './notification-store.contract.js';
import { describePreferenceStore } from './preference-store.contract.js';
import { describeRateLimitCounters } from './rate-limit-counters.contract.js';
import { MemoryRateLimitCounters } from '../../src/storage/memory/memory-rate-limit-counters.js';
import { describeTimelineStore } from './timeline-store.contract.js';

beforeAll(() => {
  // SqliteDatabase logs its file on every open.
  Logger.overrideLogger(false);
});

/** A SQLite database in a fresh DATA_DIR, removed again on close. */
function openDatabase(): { database: SqliteDatabase; close(): Promise<void> } {
  const dir = makeDataDir();
  const database = new SqliteDatabase(loadConfig({ DATA_DIR: dir }));
  return {
    database,
    close: () => {
      database.onApplicationShutdown();
      removeDataDir(dir);
      return Promise.resolve();
    },
  };
}

/** Per-user read and archive entries: rows of every table that refers to notifications by user. */
function userStateSize({ db }: SqliteDatabase): Promise<number> {
  const tables = [
    'notification_reads',
    'notification_unreads',
    'notification_archives',
    'read_marks',
  ];
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return Promise.resolve(tables.reduce((sum, table) => sum + count(table), 0));
}

describeNotificationStore(SqliteNotificationStore.name, () => {
  const { database, close } = openDatabase();
  return Promise.resolve({
    store: new SqliteNotificationStore(database, new LocalLiveFeed()),
    close,
    userStateSize: () => userStateSize(database),
  });
});

describePreferenceStore(SqlitePreferenceStore.name, () => {
  const { database, close } = openDatabase();
  return Promise.resolve({
    store: new SqlitePreferenceStore(database, new LocalLiveFeed()),
    close,
  });
});

describeDocumentStore(SqliteDocumentStore.name, () => {
  const { database, close } = openDatabase();
  return Promise.resolve({ store: new SqliteDocumentStore(database), close });
});

describeTimelineStore(SqliteTimelineStore.name, () => {
  const { database, close } = openDatabase();
  return Promise.resolve({ store: new SqliteTimelineStore(database, new LocalLiveFeed()), close });
});

describeIdempotencyStore(SqliteIdempotencyStore.name, () => {
  const { database, close } = openDatabase();
  return Promise.resolve({ store: new SqliteIdempotencyStore(database), close });
});

describe('SQLite stores and the in-process live feed', () => {
  let opened: ReturnType<typeof openDatabase>;
  beforeEach(() => {
    opened = openDatabase();
  });
  afterEach(() => opened.close());

  it('get every write the stores make, once committed, in cursor order', async () => {
    const feed = new LocalLiveFeed();
    const heard: unknown[] = [];
    feed.subscribe({
      notification: (fed) => heard.push(['notification', fed.id, fed.json]),
      timeline: (workflowId, event) => heard.push(['timeline', workflowId, event.id]),
      read: (userId) => heard.push(['read', userId]),
      preferences: (userId, muted) => heard.push(['preferences', userId, muted]),
    });
    const notifications = new SqliteNotificationStore(opened.database, feed);
    const preferences = new SqlitePreferenceStore(opened.database, feed);
    const timelines = new SqliteTimelineStore(opened.database, feed);

    const stored = await Promise.all([
      notifications.append([draft('alice'), draft(BROADCAST)]),
      notifications.append([draft('bob')]),
    ]);
    await timelines.append('w1', [
      { type: 'log', data: { line: 'a' } },
      { type: 'log', data: { line: 'b' } },
    ]);
    expect(await notifications.markRead('bob', stored[0][0].id)).toBe(false);
    expect(await notifications.markRead('alice', stored[0][0].id)).toBe(true);
    await notifications.markAllRead('carol');
    await preferences.setTypes('dave', { 'invoice.paid': false, 'a.b': false });
    await preferences.setTypes('dave', { 'a.b': true });

    expect(heard).toEqual([
      ...stored.flat().map((n) => ['notification', n.id, JSON.stringify(n)]),
      ['timeline', 'w1', '1'],
      ['timeline', 'w1', '2'],
      ['read', 'alice'],
      ['read', 'carol'],
      ['preferences', 'dave', ['a.b', 'invoice.paid']],
      ['preferences', 'dave', ['invoice.paid']],
    ]);
  });
});

describe(`${SqliteDatabase.name} reopened on the same DATA_DIR`, () => {
  let dir: string;
  const open: SqliteDatabase[] = [];

  function reopen() {
    for (const database of open) database.onApplicationShutdown();
    const database = new SqliteDatabase(loadConfig({ DATA_DIR: dir }));
    open.push(database);
    return {
      notifications: new SqliteNotificationStore(database, new LocalLiveFeed()),
      documents: new SqliteDocumentStore(database),
      preferences: new SqlitePreferenceStore(database, new LocalLiveFeed()),
    };
  }

  beforeEach(() => {
    dir = makeDataDir();
  });
  afterEach(() => {
    for (const database of open.splice(0)) database.onApplicationShutdown();
    removeDataDir(dir);
  });

  const all = { unreadOnly: false, before: null, limit: 50 };

  it('still has every notification', async () => {
    const first = reopen();
    const stored = await first.notifications.append([
      draft('alice'),
      draft(BROADCAST, 'bob'),
      draft('bob'),
    ]);
    const before = await first.notifications.inbox('alice', all);

    const second = reopen();
    expect(await second.notifications.inbox('alice', all)).toEqual(before);
    expect(await second.notifications.readAfter('bob', stored[0].id, 10)).toEqual([stored[2]]);
    expect(await second.notifications.latestCursor('alice')).toBe(stored[1].id);
  });

  it('still has the read state', async () => {
    const first = reopen();
    const stored = await first.notifications.append([draft('alice'), draft(BROADCAST)]);
    await first.notifications.markRead('alice', stored[0].id);
    await first.notifications.markAllRead('bob');
    const [later] = await first.notifications.append([draft(BROADCAST)]);

    const second = reopen();
    const { items } = await second.notifications.inbox('alice', all);
    expect(items.map(({ id, read }) => [id, read])).toEqual([
      [later.id, false],
      [stored[1].id, false],
      [stored[0].id, true],
    ]);
    expect(await second.notifications.unreadCount('bob')).toEqual({ count: 1, asOf: later.id });
  });

  it('still has the archive state, the marks unread, the known types and the preferences', async () => {
    const first = reopen();
    const stored = await first.notifications.append([
      { ...draft('alice'), type: 'invoice.paid' },
      draft(BROADCAST),
      draft('alice'),
    ]);
    await first.notifications.setArchived('alice', stored[1].id, true);
    await first.notifications.markAllRead('alice');
    await first.notifications.markUnread('alice', stored[0].id);
    await first.preferences.setTypes('alice', { 'invoice.paid': false, other: false });
    const types = await first.notifications.knownTypes();

    const second = reopen();
    expect(await second.notifications.knownTypes()).toEqual(types);
    expect(types).toContain('invoice.paid');
    expect(await second.preferences.mutedTypes('alice')).toEqual(['invoice.paid', 'other']);
    const archived = await second.notifications.inbox('alice', { ...all, archived: true });
    expect(archived.items.map(({ id }) => id)).toEqual([stored[1].id]);
    const { items } = await second.notifications.inbox('alice', all);
    expect(items.map(({ id, read }) => [id, read])).toEqual([
      [stored[2].id, true],
      [stored[0].id, false],
    ]);
    expect((await second.notifications.unreadCount('alice')).count).toBe(1);
    expect((await second.notifications.unreadCount('alice', ['invoice.paid'])).count).toBe(0);
  });

  it('keeps issuing greater cursors, even after everything was pruned', async () => {
    const first = reopen();
    const stored = await first.notifications.append([draft('alice'), draft('alice')]);
    expect(await first.notifications.prune(new Date(Date.now() + 60_000))).toBe(2);

    const second = reopen();
    const [next] = await second.notifications.append([draft('alice')]);
    expect(Number(next.id)).toBeGreaterThan(Number(stored[1].id));
    expect(await second.notifications.cursorState(stored[1].id)).toBe('ok');
    expect(await second.notifications.cursorState(stored[0].id)).toBe('expired');
  });

  it('still has every document, as last updated', async () => {
    const first = reopen();
    await first.documents.insert('workflows', { id: 'w1', status: 'pending' });
    await first.documents.insert('messages', { id: 'm1', text: 'hello' });
    await first.documents.update('workflows', 'w1', (current) => ({
      ...(current as { id: string }),
      status: 'approved',
    }));

    const second = reopen();
    expect(await second.documents.get('workflows', 'w1')).toEqual({ id: 'w1', status: 'approved' });
    expect(await second.documents.get('messages', 'm1')).toEqual({ id: 'm1', text: 'hello' });
  });
});

// The embedded default counts publish rate limits in memory, beside the SQLite stores.
describeRateLimitCounters(MemoryRateLimitCounters.name, () => {
  const counters = new MemoryRateLimitCounters();
  return Promise.resolve({
    counters,
    close: () => Promise.resolve(counters.onApplicationShutdown()),
  });
});
