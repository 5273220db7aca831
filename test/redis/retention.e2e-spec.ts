import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';
import { RetentionService } from '../../src/notifications/retention.service.js';
import { publish, sendMessage, SERVICE_TOKEN, startWorkflow, untilStatus } from '../support/api.js';
import { sleep, startApp, type TestApp } from '../support/app.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { bearer, token } from '../support/tokens.js';

/** Kept this long in this suite (TEST_RETENTION_MS, a test-only stand-in for RETENTION_DAYS). */
const RETENTION_MS = 1500;

/**
 * The keys that may outlive everything they describe, each one key whatever the traffic
 * (README, "What is kept how long"): the notification history's counter and epoch, the
 * pruned-through mark, and the set of known types.
 */
const SINGLETONS = ['history', 'pruned', 'types'].map((k) => `notification-hub:notifications:${k}`);

/** Every key in Redis with its remaining time to live in ms (-1: none). */
async function keysWithTtl(redis: Redis): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    for (const key of keys) found.set(key, await redis.pttl(key));
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/**
 * CONTRACT.md, "The inbox": nothing the service stores lives forever. Everything a busy
 * minute writes to Redis (notifications with read and archive state, messages, a workflow
 * decided with its timeline and logs, a keyed publish) is gone once it is older than the
 * retention and the hourly prune has run, but for a few bounded singletons.
 */
describeWithRedis('What Redis keeps after retention', () => {
  let server: RedisServer;
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    t = await startApp({ REDIS_URL: server.url, TEST_RETENTION_MS: String(RETENTION_MS) });
    await untilStatus(t, '/health/ready', 200);
    redis = new Redis(server.url);
  }, 30000);
  afterAll(async () => {
    redis?.disconnect();
    await t?.close();
    await server?.destroy();
  });

  it('leaves no key older than the retention but the bounded singletons', async () => {
    const [forAlice] = await publish(t, ['alice', 'bob'], 'hello');
    await publish(t, '*', 'to everyone');
    await request(t.url)
      .post(`/notifications/${forAlice.id}/read`)
      .set(bearer(token('alice')))
      .expect(204);
    await request(t.url)
      .post('/notifications/read-all')
      .set(bearer(token('bob')))
      .expect(204);
    await request(t.url)
      .post(`/notifications/${forAlice.id}/archive`)
      .set(bearer(token('alice')))
      .expect(204);
    await sendMessage(t, 'alice', ['bob'], 'hi bob');
    const workflow = await startWorkflow(t, 'alice', { name: 'Budget', approvers: ['bob'] });
    await request(t.url)
      .post(`/workflows/${workflow.id}/logs`)
      .set(bearer(SERVICE_TOKEN))
      .send({ lines: ['step 1'] })
      .expect(201);
    await request(t.url)
      .post(`/workflows/${workflow.id}/approve`)
      .set(bearer(token('bob')))
      .send({})
      .expect(201);
    await request(t.url)
      .post('/notifications')
      .set(bearer(SERVICE_TOKEN))
      .set('Idempotency-Key', 'retention-1')
      .send({ recipients: ['carol'], type: 'test.ping', title: 'keyed' })
      .expect(201);
    const written = await keysWithTtl(redis);
    expect([...written.keys()].some((key) => key.includes(':documents:'))).toBe(true);
    expect([...written.keys()].some((key) => key.includes(':timeline:'))).toBe(true);

    await sleep(RETENTION_MS + 300);
    await t.app.get(RetentionService).prune();

    const left = await keysWithTtl(redis);
    const forever = [...left].filter(([, ttl]) => ttl < 0).map(([key]) => key);
    expect(forever.filter((key) => !SINGLETONS.includes(key))).toEqual([]);
    // Whatever still has a time to live is not something retention should have taken.
    const aged = [...left.keys()].filter((key) =>
      /:(documents|document-index|document-seq|timeline|notifications:(n|to|read|read-through|archived)):?/.test(
        key,
      ),
    );
    expect(aged).toEqual([]);
  }, 20000);
});
