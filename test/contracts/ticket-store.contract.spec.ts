import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { AuthUser } from '../../src/auth/auth-user.js';
import { InMemoryTicketStore } from '../../src/storage/memory/in-memory-ticket-store.js';
import { RedisTicketStore } from '../../src/storage/redis/redis-ticket-store.js';
import type { TicketStore } from '../../src/tickets/ticket-store.js';
import { sleep } from '../support/app.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';

const GRANT: AuthUser = {
  id: 'alice',
  name: 'Alice',
  roles: ['admin'],
  expiresAt: new Date('2030-01-01T00:00:00.000Z'),
};

/** What every ticket store does: keep a grant for a while, hand it out once. */
function describeTicketStore(name: string, create: () => Promise<TicketStore>): void {
  describe(name, () => {
    let store: TicketStore;
    beforeEach(async () => {
      store = await create();
    });

    it('hands a saved grant out once, as saved', async () => {
      expect(await store.save('k1', GRANT, 60_000)).toBe(true);
      expect(await store.take('k1')).toEqual(GRANT);
      expect(await store.take('k1')).toBeNull();
    });

    it('refuses to save under a key already taken', async () => {
      expect(await store.save('k2', GRANT, 60_000)).toBe(true);
      expect(await store.save('k2', { ...GRANT, id: 'mallory' }, 60_000)).toBe(false);
      expect(await store.take('k2')).toMatchObject({ id: 'alice' });
    });

    it('forgets a grant once its time is up', async () => {
      await store.save('k3', GRANT, 50);
      await sleep(120);
      expect(await store.take('k3')).toBeNull();
    });

    it('hands a grant to exactly one of many concurrent takers', async () => {
      await store.save('k4', GRANT, 60_000);
      const taken = await Promise.all(Array.from({ length: 10 }, () => store.take('k4')));
      expect(taken.filter((grant) => grant !== null)).toHaveLength(1);
    });

    it('knows nothing of a key never saved', async () => {
      expect(await store.take('never')).toBeNull();
    });
  });
}

describe('Ticket stores', () => {
  const inMemory: InMemoryTicketStore[] = [];
  afterAll(() => {
    for (const store of inMemory) store.onModuleDestroy();
  });

  describeTicketStore(InMemoryTicketStore.name, () => {
    const store = new InMemoryTicketStore();
    inMemory.push(store);
    return Promise.resolve(store);
  });

  describeWithRedis('in Redis', () => {
    let server: RedisServer | null = null;
    const connections: Redis[] = [];
    let prefixes = 0;

    beforeAll(async () => {
      server = await RedisServer.start();
    });
    afterEach(() => {
      for (const connection of connections.splice(0)) connection.disconnect();
    });
    afterAll(async () => {
      await server?.stop();
    });

    describeTicketStore(RedisTicketStore.name, async () => {
      const redis = new Redis(server!.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      connections.push(redis);
      prefixes += 1;
      return new RedisTicketStore(redis, `test:${process.pid}:${prefixes}:`);
    });

    it('keeps tickets under the prefix, by digest, with an expiry set by Redis', async () => {
      const redis = new Redis(server!.url);
      connections.push(redis);
      const store = new RedisTicketStore(redis, 'probe:');
      await store.save('digest', GRANT, 60_000);
      expect(await redis.keys('probe:*')).toEqual(['probe:ticket:digest']);
      expect(await redis.pttl('probe:ticket:digest')).toBeGreaterThan(59_000);
    });
  });
});
