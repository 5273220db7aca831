import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { formatCursor, isAfter, splitCursor } from '../../src/cursor.js';
import {
  BROADCAST,
  BUILT_IN_NOTIFICATION_TYPES,
  type Notification,
  type NotificationDraft,
} from '../../src/notifications/notification.js';
import { sleep } from '../support/wait.js';
import {
  NotificationStore,
  type InboxItem,
  type InboxQuery,
} from '../../src/storage/notification-store.js';

export interface OpenedNotificationStore {
  store: NotificationStore;
  close(): Promise<void>;
  /**
   * Loses everything stored, as a Redis restarted without its data does, while the store
   * object lives on. Only for stores whose cursors carry an epoch (src/cursor.ts): they
   * must then tell cursors of the lost history from those of the new one.
   */
  loseHistory?(): Promise<void>;
  /**
   * How many per-user read and archive entries the backend holds (rows, set members,
   * read-through marks), to prove that prune leaves none behind for what it deleted.
   */
  userStateSize(): Promise<number>;
}

/** Strings no backend of this service could have issued as a cursor. */
const GARBAGE_CURSORS = ['abc', '0', '-1', ''];

let drafted = 0;

/** A draft to `recipient` (a user id or '*') by `actorId`, with content unique to it. */
function draft(
  recipient: string,
  actorId: string | null = 'system',
  overrides: Partial<NotificationDraft> = {},
): NotificationDraft {
  drafted += 1;
  return {
    type: 'test.event',
    recipient,
    actorId,
    title: `title ${drafted}`,
    body: `body ${drafted}`,
    data: { n: drafted, nested: { list: [1, 'two', null], flag: true } },
    ...overrides,
  };
}

function times(count: number, make: () => NotificationDraft): NotificationDraft[] {
  return Array.from({ length: count }, make);
}

const ids = (notifications: readonly Notification[]) => notifications.map(({ id }) => id);

/** The cursor one past `cursor`: never issued while `cursor` is the newest. */
function successor(cursor: string): string {
  const parts = splitCursor(cursor);
  if (parts === null) throw new Error(`not a cursor: ${cursor}`);
  return formatCursor(parts.sequence + 1, parts.epoch);
}

function expectIncreasing(cursors: readonly string[]): void {
  expect(cursors.filter((cursor) => splitCursor(cursor) === null)).toEqual([]);
  const outOfOrder = cursors
    .slice(1)
    .map((cursor, i) => [cursors[i], cursor])
    .filter(([before, cursor]) => !isAfter(cursor, before));
  expect(outOfOrder).toEqual([]);
}

/** Waits until the clock is past `createdAt`, so that what is appended next is created later. */
async function after(createdAt: string): Promise<void> {
  while (Date.now() <= Date.parse(createdAt) + 1) await sleep(2);
}

const FAR_FUTURE = () => new Date(Date.now() + 24 * 3600 * 1000);
const FAR_PAST = () => new Date(Date.now() - 24 * 3600 * 1000);

/**
 * The behaviour every {@link NotificationStore} must have (CONTRACT.md, "The
 * notification stream" and "The inbox"). `open` gives a fresh, empty store per test.
 */
export function describeNotificationStore(
  name: string,
  open: () => Promise<OpenedNotificationStore>,
  { losesHistory = false } = {},
): void {
  describe(`${NotificationStore.name} contract: ${name}`, () => {
    let opened: OpenedNotificationStore;
    let store: NotificationStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.close();
    });

    /** A notification to someone else, whose cursor comes before everything appended after it. */
    async function start(): Promise<string> {
      const [marker] = await store.append([draft('zed')]);
      return marker.id;
    }

    describe('append', () => {
      it("returns the drafts' fields with a cursor id and an ISO 8601 createdAt", async () => {
        const drafts = [draft('alice', 'bob'), draft(BROADCAST, null)];
        const stored = await store.append(drafts);
        expect(stored).toHaveLength(2);
        stored.forEach((notification, i) => {
          const { id, createdAt, ...fields } = notification;
          expect(fields).toEqual(drafts[i]);
          expect(splitCursor(id)).not.toBeNull();
          expect(new Date(createdAt).toISOString()).toBe(createdAt);
        });
      });

      it('issues strictly increasing cursors within one batch', async () => {
        const stored = await store.append(times(5, () => draft('alice')));
        expectIncreasing(ids(stored));
      });

      it('issues strictly increasing cursors across calls', async () => {
        const cursors: string[] = [];
        for (let i = 0; i < 4; i += 1) {
          cursors.push(...ids(await store.append([draft('alice'), draft('bob')])));
        }
        expectIncreasing(cursors);
      });

      it('gives concurrent appends distinct cursors', async () => {
        await start();
        const batches = await Promise.all(
          Array.from({ length: 5 }, () => store.append([draft('alice'), draft(BROADCAST)])),
        );
        const cursors = batches.flatMap(ids);
        expect(new Set(cursors).size).toBe(10);
      });
    });

    describe('readAfter', () => {
      it('returns the notifications after the cursor, oldest first, exactly as appended', async () => {
        const from = await start();
        const first = await store.append([draft('alice'), draft('alice')]);
        const second = await store.append([draft('alice')]);
        expect(await store.readAfter('alice', from, 10)).toEqual([...first, ...second]);
      });

      it('leaves out the cursor itself and everything before it', async () => {
        const stored = await store.append(times(4, () => draft('alice')));
        expect(ids(await store.readAfter('alice', stored[1].id, 10))).toEqual(ids(stored.slice(2)));
      });

      it('includes broadcasts by others and by no actor', async () => {
        const from = await start();
        const stored = await store.append([draft(BROADCAST, 'bob'), draft(BROADCAST, null)]);
        expect(ids(await store.readAfter('alice', from, 10))).toEqual(ids(stored));
      });

      it("never returns another user's targeted notifications", async () => {
        const from = await start();
        const [, own] = await store.append([draft('bob'), draft('alice'), draft('alicia')]);
        expect(ids(await store.readAfter('alice', from, 10))).toEqual([own.id]);
      });

      it("leaves out the user's own broadcasts", async () => {
        const from = await start();
        const [, others] = await store.append([draft(BROADCAST, 'alice'), draft(BROADCAST, 'bob')]);
        expect(ids(await store.readAfter('alice', from, 10))).toEqual([others.id]);
      });

      it('leaves out a notification addressed to its own actor, everywhere', async () => {
        const from = await start();
        const [self] = await store.append([draft('alice', 'alice')]);
        expect(await store.readAfter('alice', from, 10)).toEqual([]);
        expect(
          (await store.inbox('alice', { unreadOnly: false, before: null, limit: 10 })).items,
        ).toEqual([]);
        expect((await store.unreadCount('alice')).count).toBe(0);
        expect(await store.markRead('alice', self.id)).toBe(false);
      });

      it('returns at most limit notifications, the oldest ones', async () => {
        const from = await start();
        const stored = await store.append(times(5, () => draft('alice')));
        expect(ids(await store.readAfter('alice', from, 2))).toEqual(ids(stored.slice(0, 2)));
      });

      it('pages through everything without gap or duplicate when resumed from the last cursor', async () => {
        const from = await start();
        const stored = await store.append(
          times(7, () => draft('alice')).map((d, i) =>
            i % 2 ? d : { ...d, recipient: BROADCAST },
          ),
        );
        const seen: string[] = [];
        let cursor = from;
        // Bounded, so that a store that never runs out fails instead of hanging.
        for (let pages = 0; pages < 20; pages += 1) {
          const page = await store.readAfter('alice', cursor, 3);
          if (page.length === 0) break;
          seen.push(...ids(page));
          cursor = page[page.length - 1].id;
        }
        expect(seen).toEqual(ids(stored));
      });

      it('returns nothing after the last cursor', async () => {
        const stored = await store.append([draft('alice'), draft(BROADCAST)]);
        expect(await store.readAfter('alice', stored[1].id, 10)).toEqual([]);
      });
    });

    describe('cursorState', () => {
      it("is 'ok' for every issued cursor", async () => {
        const stored = [
          ...(await store.append([draft('alice'), draft(BROADCAST), draft('bob')])),
          ...(await store.append([draft('carol')])),
        ];
        for (const { id } of stored) expect([id, await store.cursorState(id)]).toEqual([id, 'ok']);
      });

      it("is 'ok' for the latest cursor", async () => {
        await store.append([draft('alice')]);
        const [latest] = await store.append([draft('bob')]);
        expect(await store.cursorState(latest.id)).toBe('ok');
      });

      it("is 'unknown' for a cursor greater than any issued", async () => {
        const stored = await store.append([draft('alice'), draft('bob')]);
        expect(await store.cursorState(successor(stored[1].id))).toBe('unknown');
      });

      it("is 'unknown' for any cursor in an empty store", async () => {
        expect(await store.cursorState('1')).toBe('unknown');
      });

      it.each(GARBAGE_CURSORS)("is 'unknown' for the malformed cursor %j", async (garbage) => {
        await store.append([draft('alice')]);
        expect(await store.cursorState(garbage)).toBe('unknown');
      });

      it("is 'expired' for a cursor after which notifications were pruned", async () => {
        const old = await store.append([draft('alice'), draft('alice')]);
        await after(old[1].createdAt);
        const [kept] = await store.append([draft('alice')]);
        expect(await store.prune(new Date(kept.createdAt))).toBe(2);
        expect(await store.cursorState(old[0].id)).toBe('expired');
      });

      it("stays 'ok' for the newest pruned cursor when nothing after it was pruned", async () => {
        const old = await store.append([draft('alice'), draft('alice')]);
        await after(old[1].createdAt);
        const [kept] = await store.append([draft('alice')]);
        expect(await store.prune(new Date(kept.createdAt))).toBe(2);
        expect(await store.cursorState(old[1].id)).toBe('ok');
      });

      it("stays 'ok' for the newest cursor when everything was pruned", async () => {
        const stored = await store.append(times(3, () => draft('alice')));
        expect(await store.prune(FAR_FUTURE())).toBe(3);
        expect(await store.cursorState(stored[2].id)).toBe('ok');
      });

      it("stays 'ok' for the cursors of kept notifications after a prune", async () => {
        const [old] = await store.append([draft('alice')]);
        await after(old.createdAt);
        const kept = await store.append([draft('alice'), draft('alice')]);
        expect(await store.prune(new Date(kept[0].createdAt))).toBe(1);
        expect(await store.cursorState(kept[0].id)).toBe('ok');
        expect(await store.cursorState(kept[1].id)).toBe('ok');
      });

      it("stays 'unknown' for a never-issued cursor after a prune", async () => {
        const stored = await store.append([draft('alice')]);
        await store.prune(FAR_FUTURE());
        expect(await store.cursorState(successor(stored[0].id))).toBe('unknown');
      });
    });

    describe('latestCursor', () => {
      it('is null when the user has no notification', async () => {
        await store.append([draft('bob')]);
        expect(await store.latestCursor('alice')).toBeNull();
      });

      it("is the cursor of the user's newest notification, targeted or broadcast", async () => {
        const [, broadcast] = await store.append([draft('alice'), draft(BROADCAST, 'bob')]);
        expect(await store.latestCursor('alice')).toBe(broadcast.id);
        const [targeted] = await store.append([draft('alice')]);
        expect(await store.latestCursor('alice')).toBe(targeted.id);
      });

      it("ignores other users' newer targeted notifications", async () => {
        const [own] = await store.append([draft('alice'), draft('bob')]);
        expect(await store.latestCursor('alice')).toBe(own.id);
      });

      it("ignores the user's own broadcasts", async () => {
        const [own] = await store.append([draft('alice'), draft(BROADCAST, 'alice')]);
        expect(await store.latestCursor('alice')).toBe(own.id);
      });

      it('is null when the user has only broadcast themself', async () => {
        await store.append([draft(BROADCAST, 'alice')]);
        expect(await store.latestCursor('alice')).toBeNull();
      });
    });

    describe('inbox', () => {
      const all = { unreadOnly: false, before: null, limit: 50 };

      it('lists the notifications newest first, unread, as stored', async () => {
        const stored = await store.append(times(3, () => draft('alice')));
        const page = await store.inbox('alice', all);
        expect(page.items).toEqual(
          [...stored].reverse().map((notification) => ({ ...notification, read: false })),
        );
        expect(page.nextBefore).toBeNull();
      });

      it('is empty for a user without notifications', async () => {
        await store.append([draft('bob')]);
        expect(await store.inbox('alice', all)).toEqual({ items: [], nextBefore: null });
      });

      it('flags what the user marked read', async () => {
        const [first, second] = await store.append([draft('alice'), draft(BROADCAST)]);
        await store.markRead('alice', first.id);
        const { items } = await store.inbox('alice', all);
        expect(items.map(({ id, read }) => [id, read])).toEqual([
          [second.id, false],
          [first.id, true],
        ]);
      });

      it('lists only unread notifications with unreadOnly', async () => {
        const stored = await store.append(times(4, () => draft('alice')));
        await store.markRead('alice', stored[1].id);
        await store.markRead('alice', stored[3].id);
        const { items } = await store.inbox('alice', { ...all, unreadOnly: true });
        expect(ids(items)).toEqual([stored[2].id, stored[0].id]);
        expect(items.every((item) => !item.read)).toBe(true);
      });

      it('includes broadcasts by others', async () => {
        const stored = await store.append([draft(BROADCAST, 'bob'), draft(BROADCAST, null)]);
        expect(ids((await store.inbox('alice', all)).items)).toEqual(ids(stored).reverse());
      });

      it("leaves out other users' targeted notifications", async () => {
        const [, own] = await store.append([draft('bob'), draft('alice'), draft('alicia')]);
        expect(ids((await store.inbox('alice', all)).items)).toEqual([own.id]);
      });

      it("leaves out the user's own broadcasts", async () => {
        const [, others] = await store.append([draft(BROADCAST, 'alice'), draft(BROADCAST, 'bob')]);
        expect(ids((await store.inbox('alice', all)).items)).toEqual([others.id]);
      });

      it('returns at most limit items, the newest', async () => {
        const stored = await store.append(times(5, () => draft('alice')));
        const page = await store.inbox('alice', { ...all, limit: 2 });
        expect(ids(page.items)).toEqual([stored[4].id, stored[3].id]);
      });

      it('lists only notifications older than before', async () => {
        const stored = await store.append(times(4, () => draft('alice')));
        const page = await store.inbox('alice', { ...all, before: stored[2].id });
        expect(ids(page.items)).toEqual([stored[1].id, stored[0].id]);
      });

      async function pageThrough(userId: string, unreadOnly: boolean, limit: number) {
        const pages: { items: InboxItem[]; nextBefore: string | null }[] = [];
        let before: string | null = null;
        do {
          const page = await store.inbox(userId, { unreadOnly, before, limit });
          pages.push(page);
          before = page.nextBefore;
        } while (before !== null && pages.length < 20);
        return pages;
      }

      it('gives every item exactly once across pages, with nextBefore null on the last', async () => {
        const stored = await store.append(
          times(7, () => draft('alice')).map((d, i) =>
            i % 3 ? d : { ...d, recipient: BROADCAST },
          ),
        );
        const pages = await pageThrough('alice', false, 3);
        expect(pages.map((page) => page.items.length)).toEqual([3, 3, 1]);
        expect(pages.map((page) => page.nextBefore === null)).toEqual([false, false, true]);
        expect(pages.flatMap((page) => ids(page.items))).toEqual(ids(stored).reverse());
      });

      it('gives nextBefore null when the last page is exactly full', async () => {
        const stored = await store.append(times(6, () => draft('alice')));
        const pages = await pageThrough('alice', false, 3);
        expect(pages.map((page) => page.nextBefore === null)).toEqual([false, true]);
        expect(pages.flatMap((page) => ids(page.items))).toEqual(ids(stored).reverse());
      });

      it('pages through unread notifications only, each once', async () => {
        const stored = await store.append(times(7, () => draft('alice')));
        for (const index of [0, 3, 4]) await store.markRead('alice', stored[index].id);
        const pages = await pageThrough('alice', true, 2);
        expect(pages.flatMap((page) => ids(page.items))).toEqual(
          [stored[6], stored[5], stored[2], stored[1]].map(({ id }) => id),
        );
        expect(pages.at(-1)?.nextBefore).toBeNull();
      });
    });

    describe('unreadCount', () => {
      it('is 0 as of null in an empty store', async () => {
        expect(await store.unreadCount('alice')).toEqual({ count: 0, asOf: null });
      });

      it("counts the user's targeted notifications and others' broadcasts only", async () => {
        await store.append([
          draft('alice'),
          draft('alice'),
          draft(BROADCAST, 'bob'),
          draft(BROADCAST, null),
          draft(BROADCAST, 'alice'),
          draft('bob'),
        ]);
        expect((await store.unreadCount('alice')).count).toBe(4);
      });

      it('is as of the newest issued cursor, whoever it is for', async () => {
        await store.append([draft('alice')]);
        const [, newest] = await store.append([draft('alice'), draft('bob')]);
        expect((await store.unreadCount('alice')).asOf).toBe(newest.id);
        expect(await store.unreadCount('carol')).toEqual({ count: 0, asOf: newest.id });
      });

      it('drops by one when a notification is marked read', async () => {
        const [first] = await store.append(times(3, () => draft('alice')));
        await store.markRead('alice', first.id);
        expect((await store.unreadCount('alice')).count).toBe(2);
      });

      it('is 0 after markAllRead', async () => {
        await store.append([draft('alice'), draft(BROADCAST, 'bob'), draft('alice')]);
        await store.markAllRead('alice');
        expect((await store.unreadCount('alice')).count).toBe(0);
      });

      it('counts notifications appended after markAllRead as unread', async () => {
        await store.append([draft('alice'), draft(BROADCAST)]);
        await store.markAllRead('alice');
        const [later] = await store.append([draft('alice')]);
        expect((await store.unreadCount('alice')).count).toBe(1);
        const { items } = await store.inbox('alice', { unreadOnly: true, before: null, limit: 10 });
        expect(ids(items)).toEqual([later.id]);
      });

      it("does not change another user's count when a broadcast is marked read", async () => {
        const [broadcast] = await store.append([draft(BROADCAST)]);
        expect(await store.markRead('alice', broadcast.id)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(0);
        expect((await store.unreadCount('bob')).count).toBe(1);
      });

      it("does not change another user's count on markAllRead", async () => {
        await store.append([draft(BROADCAST), draft('bob')]);
        await store.markAllRead('alice');
        expect((await store.unreadCount('bob')).count).toBe(2);
      });
    });

    describe('markRead', () => {
      it("is true for the user's own targeted notification", async () => {
        const [own] = await store.append([draft('alice')]);
        expect(await store.markRead('alice', own.id)).toBe(true);
      });

      it('is true for a broadcast by someone else', async () => {
        const [broadcast] = await store.append([draft(BROADCAST, 'bob')]);
        expect(await store.markRead('alice', broadcast.id)).toBe(true);
      });

      it("is false for another user's targeted notification, which stays unread", async () => {
        const [bobs] = await store.append([draft('bob')]);
        expect(await store.markRead('alice', bobs.id)).toBe(false);
        expect((await store.unreadCount('bob')).count).toBe(1);
      });

      it("is false for the user's own broadcast", async () => {
        const [own] = await store.append([draft(BROADCAST, 'alice')]);
        expect(await store.markRead('alice', own.id)).toBe(false);
      });

      it('is false for a cursor never issued', async () => {
        const [own] = await store.append([draft('alice')]);
        expect(await store.markRead('alice', successor(own.id))).toBe(false);
      });

      it.each(GARBAGE_CURSORS)('is false for the malformed id %j', async (garbage) => {
        await store.append([draft('alice')]);
        expect(await store.markRead('alice', garbage)).toBe(false);
        expect((await store.unreadCount('alice')).count).toBe(1);
      });

      it('is idempotent: true again, and counted once', async () => {
        const [first] = await store.append([draft('alice'), draft('alice')]);
        expect(await store.markRead('alice', first.id)).toBe(true);
        expect(await store.markRead('alice', first.id)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(1);
      });

      it('is true for a notification already read through markAllRead', async () => {
        const [own] = await store.append([draft('alice')]);
        await store.markAllRead('alice');
        expect(await store.markRead('alice', own.id)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(0);
      });

      it('is false for a pruned notification', async () => {
        const [own] = await store.append([draft('alice')]);
        await store.prune(FAR_FUTURE());
        expect(await store.markRead('alice', own.id)).toBe(false);
      });
    });

    describe('prune', () => {
      it('deletes every notification created before a future cutoff and says how many', async () => {
        const from = await start();
        await store.append([draft('alice'), draft(BROADCAST), draft('bob')]);
        expect(await store.prune(FAR_FUTURE())).toBe(4);
        expect(await store.readAfter('alice', from, 10)).toEqual([]);
        expect(
          (await store.inbox('alice', { unreadOnly: false, before: null, limit: 10 })).items,
        ).toEqual([]);
        expect((await store.unreadCount('alice')).count).toBe(0);
      });

      it('deletes nothing created after a past cutoff and returns 0', async () => {
        const stored = await store.append([draft('alice'), draft(BROADCAST)]);
        expect(await store.prune(FAR_PAST())).toBe(0);
        const { items } = await store.inbox('alice', {
          unreadOnly: false,
          before: null,
          limit: 10,
        });
        expect(ids(items)).toEqual(ids(stored).reverse());
      });

      it('returns 0 in an empty store', async () => {
        expect(await store.prune(FAR_FUTURE())).toBe(0);
      });

      it('deletes only the notifications created before the cutoff', async () => {
        const old = await store.append([draft('alice'), draft(BROADCAST)]);
        await after(old[1].createdAt);
        const kept = await store.append([draft('alice'), draft(BROADCAST)]);
        expect(await store.prune(new Date(kept[0].createdAt))).toBe(2);
        const { items } = await store.inbox('alice', {
          unreadOnly: false,
          before: null,
          limit: 10,
        });
        expect(ids(items)).toEqual(ids(kept).reverse());
        expect(ids(await store.readAfter('alice', old[1].id, 10))).toEqual(ids(kept));
      });

      it('never reuses a cursor: an append after pruning everything gets a greater one', async () => {
        const stored = await store.append(times(3, () => draft('alice')));
        await store.prune(FAR_FUTURE());
        const [next] = await store.append([draft('alice')]);
        expectIncreasing([...ids(stored), next.id]);
        expect(await store.latestCursor('alice')).toBe(next.id);
      });
    });

    describe('inbox filters', () => {
      const all: InboxQuery = { unreadOnly: false, before: null, limit: 50 };
      const list = async (userId: string, query: Partial<InboxQuery>) =>
        ids((await store.inbox(userId, { ...all, ...query })).items);
      const typed = (type: string, recipient = 'alice') => draft(recipient, 'system', { type });

      it('leaves archived notifications out by default and lists only them with archived', async () => {
        const stored = await store.append([draft('alice'), draft(BROADCAST), draft('alice')]);
        await store.setArchived('alice', stored[1].id, true);
        expect(await list('alice', {})).toEqual([stored[2].id, stored[0].id]);
        expect(await list('alice', { archived: false })).toEqual([stored[2].id, stored[0].id]);
        expect(await list('alice', { archived: true })).toEqual([stored[1].id]);
        expect(await list('bob', { archived: true })).toEqual([]);
        expect(await list('bob', {})).toEqual([stored[1].id]);
      });

      it('lists only the given types, targeted and broadcast', async () => {
        const stored = await store.append([
          typed('a'),
          typed('b', BROADCAST),
          typed('c'),
          typed('a', BROADCAST),
          typed('a', 'bob'),
        ]);
        expect(await list('alice', { types: ['a'] })).toEqual([stored[3].id, stored[0].id]);
        expect(await list('alice', { types: ['b', 'a'] })).toEqual(
          [stored[3], stored[1], stored[0]].map(({ id }) => id),
        );
        expect(await list('alice', { types: ['nothing'] })).toEqual([]);
        expect(await list('alice', { types: null })).toHaveLength(4);
      });

      it("leaves out the user's own broadcasts of a given type", async () => {
        const [, others] = await store.append([
          draft(BROADCAST, 'alice', { type: 'a' }),
          draft(BROADCAST, 'bob', { type: 'a' }),
          draft(BROADCAST, 'bob', { type: 'b' }),
        ]);
        expect(await list('alice', { types: ['a'] })).toEqual([others.id]);
      });

      it('leaves out muted types, whatever else is asked', async () => {
        const stored = await store.append([
          typed('a'),
          typed('m', BROADCAST),
          typed('m'),
          typed('b'),
        ]);
        await store.setArchived('alice', stored[2].id, true);
        await store.setArchived('alice', stored[3].id, true);
        expect(await list('alice', { muted: ['m'] })).toEqual([stored[0].id]);
        expect(await list('alice', { muted: ['m'], types: ['m', 'a'] })).toEqual([stored[0].id]);
        expect(await list('alice', { muted: ['m'], archived: true })).toEqual([stored[3].id]);
        expect(await list('alice', { muted: ['m'], unreadOnly: true })).toEqual([stored[0].id]);
        expect(await list('alice', { muted: [] })).toEqual([stored[1].id, stored[0].id]);
      });

      it('combines types with unreadOnly and archived', async () => {
        const stored = await store.append([
          typed('a'),
          typed('a'),
          typed('b'),
          typed('a'),
          typed('a'),
        ]);
        await store.markRead('alice', stored[0].id);
        await store.setArchived('alice', stored[1].id, true);
        await store.setArchived('alice', stored[3].id, true);
        await store.markUnread('alice', stored[3].id);
        expect(await list('alice', { types: ['a'], unreadOnly: true })).toEqual([stored[4].id]);
        expect(await list('alice', { types: ['a'], archived: true })).toEqual([
          stored[3].id,
          stored[1].id,
        ]);
        expect(await list('alice', { types: ['a'], archived: true, unreadOnly: true })).toEqual([
          stored[3].id,
        ]);
        expect(await list('alice', { types: ['b'], archived: true })).toEqual([]);
      });

      it('lists unread notifications marked unread after markAllRead, newest first', async () => {
        const stored = await store.append(times(4, () => typed('a')));
        await store.markAllRead('alice');
        await store.markUnread('alice', stored[1].id);
        const [later] = await store.append([typed('b')]);
        expect(await list('alice', { unreadOnly: true })).toEqual([later.id, stored[1].id]);
        expect(await list('alice', { unreadOnly: true, types: ['a'] })).toEqual([stored[1].id]);
        expect(await list('alice', { unreadOnly: true, before: later.id })).toEqual([stored[1].id]);
      });

      async function pageThrough(query: Partial<InboxQuery>, limit: number) {
        const pages: string[][] = [];
        let before: string | null = null;
        do {
          const page = await store.inbox('alice', { ...all, ...query, before, limit });
          pages.push(ids(page.items));
          before = page.nextBefore;
        } while (before !== null && pages.length < 20);
        return pages;
      }

      it('pages through a filtered list exactly once, nextBefore null on the last page', async () => {
        const stored = await store.append(
          Array.from({ length: 12 }, (_, i) =>
            typed(['a', 'b', 'm'][i % 3], i % 4 === 0 ? BROADCAST : 'alice'),
          ),
        );
        for (const i of [0, 1, 2, 7, 9]) await store.setArchived('alice', stored[i].id, true);
        const expected = (archived: boolean) =>
          stored
            .filter((n, i) => n.type === 'a' && [0, 1, 2, 7, 9].includes(i) === archived)
            .map(({ id }) => id)
            .reverse();
        for (const archived of [false, true]) {
          const pages = await pageThrough({ archived, types: ['a', 'm'], muted: ['m'] }, 1);
          expect(pages.flat()).toEqual(expected(archived));
          expect(pages.every((page) => page.length === 1)).toBe(true);
        }
      });
    });

    describe('markUnread', () => {
      it('marks a read notification unread again, flagged and counted', async () => {
        const stored = await store.append([draft('alice'), draft('alice')]);
        await store.markRead('alice', stored[0].id);
        expect(await store.markUnread('alice', stored[0].id)).toBe(true);
        const { items } = await store.inbox('alice', { unreadOnly: true, before: null, limit: 10 });
        expect(ids(items)).toEqual([stored[1].id, stored[0].id]);
        expect((await store.unreadCount('alice')).count).toBe(2);
      });

      it('marks one unread after markAllRead, leaving the others read', async () => {
        const stored = await store.append([draft('alice'), draft(BROADCAST), draft('alice')]);
        await store.markAllRead('alice');
        expect(await store.markUnread('alice', stored[1].id)).toBe(true);
        const { items } = await store.inbox('alice', {
          unreadOnly: false,
          before: null,
          limit: 10,
        });
        expect(items.map(({ read }) => read)).toEqual([true, false, true]);
        expect((await store.unreadCount('alice')).count).toBe(1);
      });

      it('is undone by markRead and by markAllRead', async () => {
        const stored = await store.append([draft('alice'), draft('alice')]);
        await store.markAllRead('alice');
        await store.markUnread('alice', stored[0].id);
        await store.markRead('alice', stored[0].id);
        expect((await store.unreadCount('alice')).count).toBe(0);
        await store.markUnread('alice', stored[1].id);
        const [later] = await store.append([draft('alice')]);
        await store.markUnread('alice', later.id);
        await store.markAllRead('alice');
        expect((await store.unreadCount('alice')).count).toBe(0);
      });

      it('is idempotent, and true for a notification that is already unread', async () => {
        const [own] = await store.append([draft('alice')]);
        expect(await store.markUnread('alice', own.id)).toBe(true);
        await store.markRead('alice', own.id);
        expect(await store.markUnread('alice', own.id)).toBe(true);
        expect(await store.markUnread('alice', own.id)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(1);
      });

      it('marks a broadcast unread for that user only', async () => {
        const [broadcast] = await store.append([draft(BROADCAST)]);
        await store.markAllRead('alice');
        await store.markAllRead('bob');
        expect(await store.markUnread('alice', broadcast.id)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(1);
        expect((await store.unreadCount('bob')).count).toBe(0);
      });

      it("is false for another user's, the user's own broadcast, a pruned or never issued one", async () => {
        const [bobs, own, alices] = await store.append([
          draft('bob'),
          draft(BROADCAST, 'alice'),
          draft('alice'),
        ]);
        await store.markAllRead('bob');
        expect(await store.markUnread('alice', bobs.id)).toBe(false);
        expect(await store.markUnread('alice', own.id)).toBe(false);
        expect(await store.markUnread('alice', successor(alices.id))).toBe(false);
        expect((await store.unreadCount('bob')).count).toBe(0);
        await store.prune(FAR_FUTURE());
        expect(await store.markUnread('alice', alices.id)).toBe(false);
      });

      it.each(GARBAGE_CURSORS)('is false for the malformed id %j', async (garbage) => {
        await store.append([draft('alice')]);
        await store.markAllRead('alice');
        expect(await store.markUnread('alice', garbage)).toBe(false);
        expect((await store.unreadCount('alice')).count).toBe(0);
      });
    });

    describe('setArchived', () => {
      it('archives and marks read; unarchiving lists it again, still read', async () => {
        const stored = await store.append([draft('alice'), draft('alice')]);
        expect(await store.setArchived('alice', stored[0].id, true)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(1);
        const archived = await store.inbox('alice', {
          unreadOnly: false,
          before: null,
          limit: 10,
          archived: true,
        });
        expect(archived.items).toEqual([{ ...stored[0], read: true }]);
        expect(await store.setArchived('alice', stored[0].id, false)).toBe(true);
        const { items } = await store.inbox('alice', {
          unreadOnly: false,
          before: null,
          limit: 10,
        });
        expect(items.map(({ id, read }) => [id, read])).toEqual([
          [stored[1].id, false],
          [stored[0].id, true],
        ]);
        expect((await store.unreadCount('alice')).count).toBe(1);
      });

      it('never counts an archived notification as unread, also when marked unread', async () => {
        const stored = await store.append([draft('alice'), draft(BROADCAST), draft('alice')]);
        await store.markAllRead('alice');
        const [later] = await store.append([draft('alice')]);
        await store.setArchived('alice', stored[1].id, true);
        await store.setArchived('alice', later.id, true);
        expect(await store.markUnread('alice', stored[1].id)).toBe(true);
        expect(await store.markUnread('alice', later.id)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(0);
        const { items } = await store.inbox('alice', {
          unreadOnly: true,
          before: null,
          limit: 10,
          archived: true,
        });
        expect(items.map(({ id, read }) => [id, read])).toEqual([
          [later.id, false],
          [stored[1].id, false],
        ]);
        await store.setArchived('alice', later.id, false);
        expect((await store.unreadCount('alice')).count).toBe(1);
      });

      it('archives a broadcast for that user only', async () => {
        const [broadcast] = await store.append([draft(BROADCAST)]);
        expect(await store.setArchived('alice', broadcast.id, true)).toBe(true);
        expect(
          (await store.inbox('alice', { unreadOnly: false, before: null, limit: 10 })).items,
        ).toEqual([]);
        expect(
          ids((await store.inbox('bob', { unreadOnly: false, before: null, limit: 10 })).items),
        ).toEqual([broadcast.id]);
        expect((await store.unreadCount('bob')).count).toBe(1);
      });

      it('is idempotent both ways', async () => {
        const [own] = await store.append([draft('alice'), draft('alice')]);
        expect(await store.setArchived('alice', own.id, true)).toBe(true);
        expect(await store.setArchived('alice', own.id, true)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(1);
        expect(await store.setArchived('alice', own.id, false)).toBe(true);
        expect(await store.setArchived('alice', own.id, false)).toBe(true);
        expect((await store.unreadCount('alice')).count).toBe(1);
      });

      it("is false for another user's, the user's own broadcast, a pruned or never issued one", async () => {
        const [bobs, own, alices] = await store.append([
          draft('bob'),
          draft(BROADCAST, 'alice'),
          draft('alice'),
        ]);
        for (const archived of [true, false]) {
          expect(await store.setArchived('alice', bobs.id, archived)).toBe(false);
          expect(await store.setArchived('alice', own.id, archived)).toBe(false);
          expect(await store.setArchived('alice', successor(alices.id), archived)).toBe(false);
          expect(await store.setArchived('alice', 'abc', archived)).toBe(false);
        }
        // bob's own and alice's broadcast, untouched.
        expect((await store.unreadCount('bob')).count).toBe(2);
        await store.prune(FAR_FUTURE());
        expect(await store.setArchived('alice', alices.id, true)).toBe(false);
      });
    });

    describe('unreadCount with muted types', () => {
      const typed = (type: string, recipient = 'alice', actor: string | null = 'system') =>
        draft(recipient, actor, { type });

      it('leaves out muted types, targeted and broadcast', async () => {
        await store.append([
          typed('a'),
          typed('m'),
          typed('m', BROADCAST),
          typed('m', BROADCAST, 'alice'),
          typed('a', BROADCAST),
          typed('m', 'bob'),
        ]);
        expect((await store.unreadCount('alice', ['m'])).count).toBe(2);
        expect((await store.unreadCount('alice', ['m', 'a'])).count).toBe(0);
        expect((await store.unreadCount('alice', [])).count).toBe(4);
        expect((await store.unreadCount('bob', ['m'])).count).toBe(1);
      });

      it('stays right through read, unread, archive and markAllRead of muted and other types', async () => {
        const stored = await store.append([typed('a'), typed('m'), typed('a'), typed('m')]);
        await store.markRead('alice', stored[1].id);
        await store.markRead('alice', stored[0].id);
        expect((await store.unreadCount('alice', ['m'])).count).toBe(1);
        await store.setArchived('alice', stored[3].id, true);
        await store.markUnread('alice', stored[3].id);
        expect((await store.unreadCount('alice', ['m'])).count).toBe(1);
        await store.markAllRead('alice');
        await store.markUnread('alice', stored[1].id);
        await store.markUnread('alice', stored[2].id);
        expect((await store.unreadCount('alice', ['m'])).count).toBe(1);
        expect((await store.unreadCount('alice')).count).toBe(2);
        await store.setArchived('alice', stored[2].id, true);
        await store.markUnread('alice', stored[2].id);
        expect((await store.unreadCount('alice', ['m'])).count).toBe(0);
      });

      it('keeps asOf the newest issued cursor', async () => {
        const [, , newest] = await store.append([typed('a'), typed('m'), typed('m', 'bob')]);
        expect(await store.unreadCount('alice', ['m'])).toEqual({ count: 1, asOf: newest.id });
      });
    });

    describe('knownTypes', () => {
      const builtIn = [...BUILT_IN_NOTIFICATION_TYPES].sort();

      it('is the built-in types, sorted, in an empty store', async () => {
        expect(await store.knownTypes()).toEqual(builtIn);
      });

      it('adds every appended type once, sorted, and keeps them after a prune', async () => {
        await store.append([
          draft('alice', null, { type: 'zz.top' }),
          draft(BROADCAST, null, { type: 'invoice.paid' }),
        ]);
        await store.append([
          draft('bob', null, { type: 'invoice.paid' }),
          draft('bob', null, { type: 'announcement' }),
        ]);
        const expected = [...builtIn, 'invoice.paid', 'zz.top'].sort();
        expect(await store.knownTypes()).toEqual(expected);
        await store.prune(FAR_FUTURE());
        expect(await store.knownTypes()).toEqual(expected);
      });

      it('records the types of concurrent appends', async () => {
        await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            store.append([draft('alice', null, { type: `t${i}` })]),
          ),
        );
        expect(await store.knownTypes()).toEqual(
          [...builtIn, 't0', 't1', 't2', 't3', 't4', 't5'].sort(),
        );
      });
    });

    describe('prune and per-user state', () => {
      it('takes the read and archive state of what it deletes with it', async () => {
        const stored = await store.append([
          draft('alice'),
          draft(BROADCAST),
          draft('bob'),
          draft('alice'),
        ]);
        await store.markRead('alice', stored[0].id);
        await store.markRead('bob', stored[1].id);
        await store.setArchived('carol', stored[1].id, true);
        await store.setArchived('alice', stored[3].id, true);
        await store.markAllRead('bob');
        await store.markUnread('bob', stored[2].id);
        expect(await opened.userStateSize()).toBeGreaterThan(0);
        await store.prune(FAR_FUTURE());
        expect(await opened.userStateSize()).toBe(0);
      });

      it('keeps the state of what it keeps', async () => {
        const old = await store.append([draft('alice'), draft(BROADCAST)]);
        await store.markAllRead('alice');
        await store.markUnread('alice', old[0].id);
        await after(old[1].createdAt);
        const kept = await store.append([draft('alice'), draft(BROADCAST), draft('alice')]);
        await store.markRead('alice', kept[0].id);
        await store.setArchived('alice', kept[1].id, true);
        await store.markUnread('alice', kept[1].id);
        expect(await store.prune(new Date(kept[0].createdAt))).toBe(2);
        expect((await store.unreadCount('alice')).count).toBe(1);
        const archived = await store.inbox('alice', {
          unreadOnly: true,
          before: null,
          limit: 10,
          archived: true,
        });
        expect(ids(archived.items)).toEqual([kept[1].id]);
        const { items } = await store.inbox('alice', {
          unreadOnly: false,
          before: null,
          limit: 10,
        });
        expect(items.map(({ id, read }) => [id, read])).toEqual([
          [kept[2].id, false],
          [kept[0].id, true],
        ]);
      });
    });

    if (!losesHistory) return;

    // CONTRACT.md, "The notification stream": a store that loses its history.
    describe('after the history was lost', () => {
      /** Appends `count` to alice, loses them, then appends `count` again. */
      async function lostAndNew(count: number) {
        const lost = await store.append(times(count, () => draft('alice')));
        await opened.loseHistory!();
        const fresh = await store.append(times(count, () => draft('alice')));
        return { lost, fresh };
      }

      it('issues cursors unlike every cursor of the lost history, in the same places', async () => {
        const { lost, fresh } = await lostAndNew(3);
        expect(fresh.filter((n) => ids(lost).includes(n.id))).toEqual([]);
        expectIncreasing(ids(fresh));
      });

      it("finds every cursor of the lost history 'unknown'", async () => {
        const { lost } = await lostAndNew(3);
        for (const { id } of lost) {
          expect([id, await store.cursorState(id)]).toEqual([id, 'unknown']);
        }
      });

      it("finds a cursor of the lost history 'unknown' while nothing is stored yet", async () => {
        const [lost] = await store.append([draft('alice')]);
        await opened.loseHistory!();
        expect(await store.cursorState(lost.id)).toBe('unknown');
        expect(await store.readAfter('alice', lost.id, 10)).toEqual([]);
      });

      it('reads all of the new history after a cursor of the lost one', async () => {
        const { lost, fresh } = await lostAndNew(3);
        expect(await store.readAfter('alice', lost[0].id, 10)).toEqual(fresh);
      });

      it('gives the new history for the latest cursor and the unread count', async () => {
        const { fresh } = await lostAndNew(2);
        expect(await store.latestCursor('alice')).toBe(fresh[1].id);
        expect(await store.unreadCount('alice')).toEqual({ count: 2, asOf: fresh[1].id });
      });

      it('lists nothing before a cursor of the lost history, and marks none of it read', async () => {
        const { lost, fresh } = await lostAndNew(3);
        const page = await store.inbox('alice', {
          unreadOnly: false,
          before: lost[2].id,
          limit: 10,
        });
        expect(page).toEqual({ items: [], nextBefore: null });
        expect(await store.markRead('alice', lost[0].id)).toBe(false);
        expect(await store.unreadCount('alice')).toEqual({ count: 3, asOf: fresh[2].id });
      });
    });
  });
}
