import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { isAfter } from '../../src/cursor.js';
import { BROADCAST } from '../../src/notifications/notification.js';
import { RedisTimelineStore } from '../../src/storage/redis/redis-timeline-store.js';
import { RedisDocumentStore } from '../../src/storage/redis/redis-document-store.js';
import { RedisIdempotencyStore } from '../../src/storage/redis/redis-idempotency-store.js';
import { RedisNotificationStore } from '../../src/storage/redis/redis-notification-store.js';
import { draft } from '../support/drafts.js';
import { RequestWrites, runAsRequest } from '../../src/storage/request-writes.js';
import { RedisPreferenceStore } from '../../src/storage/redis/redis-preference-store.js';
import {
  channelsUnder,
  decodeNotificationMessage,
  decodePreferencesMessage,
  encodeNotificationMessage,
  READ_MESSAGE,
  userChannel,
} from '../../src/storage/redis/redis-channels.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { sleep } from '../support/wait.js';
import { describeDocumentStore } from './document-store.contract.js';
import { describeIdempotencyStore } from './idempotency-store.contract.js';
import { describeTimelineStore } from './timeline-store.contract.js';
import { describeNotificationStore } from './notification-store.contract.js';
import { describePreferenceStore } from './preference-store.contract.js';
import { describeRateLimitCounters } from './rate-limit-counters.contract.js';
import { RedisRateLimitCounters } from '../../src/storage/redis/redis-rate-limit-counters.js';

/** As the service creates its command connection: fail at once rather than queue. */
const OPTIONS = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true };

async function connect(url: string, options: object = OPTIONS): Promise<Redis> {
  const redis = new Redis(url, { ...OPTIONS, ...options });
  // The outage test provokes errors on purpose; ioredis would print each one.
  redis.on('error', () => {});
  await redis.connect();
  return redis;
}

/** Deletes every key under the prefix (instead of flushing a Redis that may not be only ours). */
async function deleteKeys(redis: Redis, keyPrefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/**
 * Per-user read and archive entries of the notification store under the prefix: members
 * of every read, unread and archived set, every read-through mark, and the index of the
 * users who have any.
 */
async function userStateSize(redis: Redis, keyPrefix: string): Promise<number> {
  const namespace = `${keyPrefix}notifications:`;
  let size = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}*`, 'COUNT', 1000);
    for (const key of keys) {
      const name = key.slice(namespace.length);
      if (name.startsWith('read-through:')) size += 1;
      else if (/^(read|unread|archived):|^stateful$/.test(name)) size += await redis.zcard(key);
    }
    cursor = next;
  } while (cursor !== '0');
  return size;
}

const DAY_MS = 24 * 3600 * 1000;

const WIRE_ORDER = ['id', 'type', 'recipient', 'actorId', 'title', 'body', 'data', 'createdAt'];

describeWithRedis('Redis stores', () => {
  // REDIS_URL may be a Redis that is not only ours: each test works under a fresh key
  // prefix and deletes its keys, instead of flushing the database.
  let server: RedisServer | null = null;
  let url: string;
  const connections: Redis[] = [];
  let prefixes = 0;

  beforeAll(async () => {
    if (process.env.REDIS_URL) {
      url = process.env.REDIS_URL;
    } else {
      server = await RedisServer.start();
      url = server.url;
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function namespace(): Promise<{ redis: Redis; keyPrefix: string; close(): Promise<void> }> {
    prefixes += 1;
    const keyPrefix = `test:${process.pid}:${prefixes}:`;
    const redis = await connect(url);
    connections.push(redis);
    return {
      redis,
      keyPrefix,
      close: async () => {
        await deleteKeys(redis, keyPrefix);
        for (const connection of connections.splice(0)) connection.disconnect();
      },
    };
  }

  describeNotificationStore(
    RedisNotificationStore.name,
    async () => {
      const { redis, keyPrefix, close } = await namespace();
      return {
        store: new RedisNotificationStore(redis, { keyPrefix }),
        close,
        // What a Redis restarted without its data holds of this store: nothing.
        loseHistory: () => deleteKeys(redis, keyPrefix),
        userStateSize: () => userStateSize(redis, keyPrefix),
      };
    },
    { losesHistory: true },
  );

  // Its keys expire with their windows (the contract uses a fresh key per test).
  describeRateLimitCounters(RedisRateLimitCounters.name, async () => {
    const { redis, close } = await namespace();
    return { counters: new RedisRateLimitCounters(redis), close };
  });

  describePreferenceStore(RedisPreferenceStore.name, async () => {
    const { redis, keyPrefix, close } = await namespace();
    return { store: new RedisPreferenceStore(redis, { keyPrefix }), close };
  });

  describeDocumentStore(RedisDocumentStore.name, async ({ retentionMs = DAY_MS } = {}) => {
    const { redis, keyPrefix, close } = await namespace();
    return { store: new RedisDocumentStore(redis, { keyPrefix, retentionMs }), close };
  });

  describeTimelineStore(RedisTimelineStore.name, async ({ retentionMs = DAY_MS } = {}) => {
    const { redis, keyPrefix, close } = await namespace();
    return {
      store: new RedisTimelineStore(redis, { keyPrefix, retentionMs }),
      close,
    };
  });

  describeIdempotencyStore(RedisIdempotencyStore.name, async () => {
    const { redis, keyPrefix, close } = await namespace();
    return { store: new RedisIdempotencyStore(redis, { keyPrefix }), close };
  });

  describe('across connections, as across instances', () => {
    let close: () => Promise<void>;
    afterEach(async () => {
      await close();
    });

    it('publishes every appended notification on its channel, in cursor order, as stored', async () => {
      const opened = await namespace();
      close = opened.close;
      const { keyPrefix } = opened;
      const channels = channelsUnder(keyPrefix);
      const subscriber = await connect(url, { enableOfflineQueue: true });
      connections.push(subscriber);
      const heard: { from: string; message: string }[] = [];
      subscriber.on('message', (from: string, message: string) => heard.push({ from, message }));
      await subscriber.subscribe(
        channels.notifications,
        userChannel(channels, 'alice'),
        userChannel(channels, 'bob'),
      );

      const instances = [opened.redis, await connect(url), await connect(url)].map((redis) => {
        connections.push(redis);
        return new RedisNotificationStore(redis, { keyPrefix });
      });
      const batches = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          instances[i % 3].append([draft('alice', `u${i}`), draft(BROADCAST, null), draft('bob')]),
        ),
      );
      const stored = batches.flat().sort((a, b) => (isAfter(a.id, b.id) ? 1 : -1));
      // Each run of one channel's notifications is one message, each with its header
      // (redis-channels.ts); one subscriber of all three channels hears them in cursor order.
      const decoded = () =>
        heard.flatMap(({ from, message }) =>
          decodeNotificationMessage(message).map((fed) => ({ from, fed })),
        );
      while (decoded().length < stored.length) await sleep(10);
      const fed = decoded().map(({ fed }) => fed);
      const messages = heard.map(({ message }) => message);
      // Broadcasts, and the first of the history (the first of its type too), on the shared
      // channel; the others on their recipient's.
      expect(decoded().map(({ from }) => from)).toEqual(
        stored.map((n, i) =>
          n.recipient === BROADCAST || i === 0
            ? channels.notifications
            : userChannel(channels, n.recipient),
        ),
      );
      expect(messages.join('\n')).toBe(
        encodeNotificationMessage(
          fed.map((n) => ({ notification: n.notification(), json: n.json })),
        ),
      );
      expect(fed.map((n) => n.json)).toEqual(stored.map((n) => JSON.stringify(n)));
      expect(fed.map((n) => [n.id, n.type, n.recipient])).toEqual(
        stored.map((n) => [n.id, n.type, n.recipient]),
      );
      expect(Object.keys(fed[0].notification())).toEqual(WIRE_ORDER);
      const forBob = fed.filter((n) => ['bob', BROADCAST].includes(n.recipient)).map((n) => n.json);
      const replayed = await instances[1].readAfter('bob', stored[0].id, 1000);
      expect(replayed.map((notification) => JSON.stringify(notification))).toEqual(forBob);
    });

    it("publishes `read` on the user's channel from the read marks themselves", async () => {
      const opened = await namespace();
      close = opened.close;
      const channels = channelsUnder(opened.keyPrefix);
      const { keyPrefix } = opened;
      const subscriber = await connect(url, { enableOfflineQueue: true });
      connections.push(subscriber);
      const messages: string[] = [];
      subscriber.on('message', (from: string, message: string) => {
        if (from !== channels.notifications) messages.push(`${from}: ${message}`);
      });
      const users = ['alice', 'bob', 'carol'];
      await subscriber.subscribe(...users.map((user) => userChannel(channels, user)));

      const store = new RedisNotificationStore(opened.redis, { keyPrefix });
      const [forAlice] = await store.append([draft('alice')]);
      expect(await store.markRead('bob', forAlice.id)).toBe(false);
      expect(await store.markRead('alice', forAlice.id)).toBe(true);
      await store.markAllRead('carol');
      while (messages.length < 2) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));

      expect(messages).toEqual(
        ['alice', 'carol'].map((user) => `${userChannel(channels, user)}: ${READ_MESSAGE}`),
      );
    });

    it("publishes the user and their muted types on the user's channel from the change itself", async () => {
      const opened = await namespace();
      close = opened.close;
      const { keyPrefix } = opened;
      const channel = userChannel(channelsUnder(keyPrefix), 'dävé');
      const subscriber = await connect(url, { enableOfflineQueue: true });
      connections.push(subscriber);
      const messages: string[] = [];
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) messages.push(message);
      });
      await subscriber.subscribe(channel);

      const store = new RedisPreferenceStore(opened.redis, { keyPrefix });
      expect(await store.setTypes('dävé', { 'invoice.paid': false, 'a.b': false })).toEqual([
        'a.b',
        'invoice.paid',
      ]);
      expect(await store.setTypes('dävé', { 'a.b': true, 'invoice.paid': true })).toEqual([]);
      while (messages.length < 2) await sleep(10);

      expect(messages.map((message) => decodePreferencesMessage(message))).toEqual([
        { userId: 'dävé', muted: ['a.b', 'invoice.paid'] },
        { userId: 'dävé', muted: [] },
      ]);
    });

    it('loses no document update among concurrent updates from several connections', async () => {
      const opened = await namespace();
      close = opened.close;
      const { keyPrefix } = opened;
      const stores = [opened.redis, await connect(url)].map((redis) => {
        connections.push(redis);
        return new RedisDocumentStore(redis, { keyPrefix, retentionMs: DAY_MS });
      });
      await stores[0].insert('counters', { id: 'c', n: 0 });
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          stores[i % 2].update<{ id: string; n: number }>('counters', 'c', (current) => ({
            id: 'c',
            n: (current?.n ?? 0) + 1,
          })),
        ),
      );
      expect(await stores[1].get('counters', 'c')).toEqual({ id: 'c', n: 40 });
    });
  });

  describe('retention', () => {
    /** Short, so that the tests age data in seconds; long enough for a loaded machine's timers. */
    const RETENTION_MS = 1000;
    let close: () => Promise<void>;
    afterEach(async () => {
      await close();
    });

    /** Every key under the prefix, with its time to live in ms (-1: none), by name after it. */
    async function keysUnder(redis: Redis, keyPrefix: string): Promise<Map<string, number>> {
      const found = new Map<string, number>();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        for (const key of keys) found.set(key.slice(keyPrefix.length), await redis.pttl(key));
        cursor = next;
      } while (cursor !== '0');
      return found;
    }

    it('leaves only the bounded singletons once everything is older than the retention and pruned', async () => {
      const opened = await namespace();
      close = opened.close;
      const { redis, keyPrefix } = opened;
      const notifications = new RedisNotificationStore(redis, { keyPrefix });
      const documents = new RedisDocumentStore(redis, { keyPrefix, retentionMs: RETENTION_MS });
      const timelines = new RedisTimelineStore(redis, { keyPrefix, retentionMs: RETENTION_MS });
      const idempotency = new RedisIdempotencyStore(redis, { keyPrefix });
      const index = (w: { id: string; status: string }) => ['starter:alice', `status:${w.status}`];

      const [forAlice, , broadcast] = await notifications.append([
        draft('alice'),
        draft('bob'),
        draft(BROADCAST, 'carol'),
      ]);
      await notifications.markRead('alice', forAlice.id);
      await notifications.markAllRead('bob');
      await notifications.markUnread('bob', broadcast.id);
      await notifications.setArchived('alice', broadcast.id, true);
      await runAsRequest(new RequestWrites('request-1', RETENTION_MS), async () => {
        await documents.insert('workflows', { id: 'w1', status: 'pending' }, index);
        await documents.update('workflows', 'w1', () => ({ id: 'w1', status: 'done' }), index);
        await documents.insert('messages', { id: 'm1' });
        await timelines.append('w1', [{ type: 'log', data: { line: 'a' } }]);
      });
      await idempotency.claim('alice', 'key-1', 'fingerprint', RETENTION_MS);

      // Meanwhile, every key that is not pruned by the hourly job expires by itself.
      const written = await keysUnder(redis, keyPrefix);
      const expiring = [...written].filter(([key]) => !key.startsWith('notifications:'));
      expect(expiring.length).toBeGreaterThan(8);
      for (const [key, ttl] of expiring) {
        expect([key, ttl > 0 && ttl <= RETENTION_MS]).toEqual([key, true]);
      }

      await sleep(RETENTION_MS + 200);
      await notifications.prune(new Date());
      await documents.prune();
      await timelines.prune();

      const left = await keysUnder(redis, keyPrefix);
      expect([...left.keys()].sort()).toEqual([
        'notifications:history',
        'notifications:pruned',
        'notifications:types',
      ]);
    });

    it('passes over entries of expired documents in a listing before any prune, still filling the page', async () => {
      const opened = await namespace();
      close = opened.close;
      const store = new RedisDocumentStore(opened.redis, {
        keyPrefix: opened.keyPrefix,
        retentionMs: RETENTION_MS,
      });
      const index = () => ['all'];
      await store.insert('tasks', { id: 'kept', v: 0 }, index);
      for (const id of ['gone1', 'gone2', 'gone3']) await store.insert('tasks', { id }, index);
      await sleep(RETENTION_MS * 0.6);
      const kept = await store.update('tasks', 'kept', () => ({ id: 'kept', v: 1 }), index);
      await sleep(RETENTION_MS * 0.6);

      expect(await store.list('tasks', { anyOf: ['all'], limit: 1 })).toEqual([kept]);
      expect(await store.prune()).toBe(3);
      expect(await opened.redis.zcard(`${opened.keyPrefix}document-index:tasks:all`)).toBe(1);
    });

    it('appends a timeline once for a request run twice (a retry after an unknown outcome)', async () => {
      const opened = await namespace();
      close = opened.close;
      const timelines = new RedisTimelineStore(opened.redis, {
        keyPrefix: opened.keyPrefix,
        retentionMs: DAY_MS,
      });
      const writes = () => new RequestWrites('request-1', DAY_MS);
      const run = () =>
        runAsRequest(writes(), () =>
          timelines.append('w1', [
            { type: 'log', data: { line: 'a' } },
            { type: 'log', data: { line: 'b' } },
          ]),
        );
      const first = await run();
      const again = await run();
      expect(again.map((event) => event.id)).toEqual(['1', '2']);
      expect(again).toEqual(first);
      expect(await timelines.readAfter('w1', null, 10)).toEqual(first);
      // Another request appends, of course.
      await runAsRequest(new RequestWrites('request-2', DAY_MS), () =>
        timelines.append('w1', [{ type: 'log', data: { line: 'c' } }]),
      );
      expect(await timelines.latestCursor('w1')).toBe('3');
    });
  });

  describe('with Redis down', () => {
    it('rejects every operation at once instead of hanging', async () => {
      const own = await RedisServer.start();
      // ioredis gives a socket that is already gone this long to close when disconnecting.
      const redis = await connect(own.url, { disconnectTimeout: 50 });
      const notifications = new RedisNotificationStore(redis, { keyPrefix: 'down:' });
      const documents = new RedisDocumentStore(redis, { keyPrefix: 'down:', retentionMs: DAY_MS });
      const preferences = new RedisPreferenceStore(redis, { keyPrefix: 'down:' });
      await notifications.append([draft('alice')]);
      await own.stop();
      try {
        const all = { unreadOnly: false, before: null, limit: 10 };
        const operations: Promise<unknown>[] = [
          notifications.append([draft('alice')]),
          notifications.readAfter('alice', '1', 10),
          notifications.cursorState('1'),
          notifications.latestCursor('alice'),
          notifications.inbox('alice', all),
          notifications.unreadCount('alice'),
          notifications.markRead('alice', '1'),
          notifications.markAllRead('alice'),
          notifications.markUnread('alice', '1'),
          notifications.setArchived('alice', '1', true),
          notifications.knownTypes(),
          notifications.prune(new Date()),
          preferences.mutedTypes('alice'),
          preferences.setTypes('alice', { a: false }),
          documents.insert('workflows', { id: 'w1' }),
          documents.get('workflows', 'w1'),
          documents.update('workflows', 'w1', () => ({ id: 'w1' })),
          documents.list('workflows', { anyOf: ['starter:alice'], limit: 10 }),
        ];
        const results = await Promise.allSettled(operations);
        expect(results.map((result) => result.status)).toEqual(operations.map(() => 'rejected'));
      } finally {
        redis.disconnect();
      }
    });
  });
});
