import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import type { Notification } from '../../src/notifications/notification.js';
import {
  MAX_COMMANDS_IN_FLIGHT,
  RedisConnections,
  TOO_MANY_COMMANDS_WAITING,
} from '../../src/storage/redis/redis-connections.js';
import { SERVICE_TOKEN, startWorkflow, untilStatus } from '../support/api.js';
import { startApp, type TestApp } from '../support/app.js';
import { DelayProxy } from '../support/delay-proxy.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';
import { sleep } from '../support/wait.js';

/** POST /notifications to `recipient` by the service, timed. */
async function timedPublish(app: TestApp, recipient: string, title: string, key?: string) {
  const startedAt = Date.now();
  const post = request(app.url).post('/notifications').set(bearer(SERVICE_TOKEN));
  if (key) post.set('Idempotency-Key', key);
  const res = await post.send({ recipients: [recipient], type: 'test.ping', title });
  return { res, ms: Date.now() - startedAt };
}

async function timedGet(app: TestApp, path: string, user?: string) {
  const startedAt = Date.now();
  const get = request(app.url).get(path);
  if (user) get.set(bearer(token(user)));
  const res = await get;
  return { res, ms: Date.now() - startedAt };
}

/** Issue 17, point 1: REDIS_COMMAND_TIMEOUT_MS, readiness and a bounded wait on a stalled Redis. */
describeWithRedis('A stalled Redis (DEBUG SLEEP)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let app: TestApp;

  beforeAll(async () => {
    redis = await RedisServer.start({ debugCommand: true });
    admin = new Redis(redis.url);
    app = await startApp({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500' });
    await untilStatus(app, '/health/ready', 200);
  }, 20000);
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await app?.close();
    admin?.disconnect();
    await redis?.destroy();
  });

  it('answers 503 with Retry-After within the timeout, readiness 503 within a second, and recovers; streams stay open and catch up', async () => {
    const bob = await new StreamClient(app.url, token('bob-stall')).ready();
    await timedPublish(app, 'bob-stall', 'before');
    await bob.waitForEvents(1);

    const stall = admin.call('DEBUG', 'SLEEP', '3');
    await sleep(100);
    const [publish, inbox, ready] = await Promise.all([
      timedPublish(app, 'bob-stall', 'during'),
      timedGet(app, '/notifications', 'bob-stall'),
      timedGet(app, '/health/ready'),
    ]);
    expect([publish.res.status, inbox.res.status, ready.res.status]).toEqual([503, 503, 503]);
    expect(publish.ms).toBeLessThan(1500);
    expect(inbox.ms).toBeLessThan(1500);
    expect(ready.ms).toBeLessThan(1000);
    for (const { res } of [publish, inbox]) {
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    // The append was sent and will run when Redis wakes: the client is told so.
    expect(publish.res.body).toMatchObject({ statusCode: 503, outcome: 'unknown' });
    expect((publish.res.body as { message: string }).message).toMatch(
      /outcome is unknown.*same Idempotency-Key/,
    );

    await stall;
    await untilStatus(app, '/health/ready', 200, 3000);
    const after = await timedPublish(app, 'bob-stall', 'after');
    expect(after.res.status).toBe(201);
    expect((await timedGet(app, '/notifications', 'bob-stall')).res.status).toBe(200);
    // The stream never closed, and goes on with what is stored after the stall. (The
    // publish during it failed at its first command, the rate limit's: it stored nothing.)
    await bob.waitForEvents(2);
    expect(bob.payloads<Notification>().map((n) => n.title)).toEqual(['before', 'after']);
    expect(bob.errors).toEqual([]);
  }, 15000);

  it(`refuses a command at once, unsent, while ${MAX_COMMANDS_IN_FLIGHT} wait for their answer`, async () => {
    const connections = new RedisConnections(
      loadConfig({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '3000' }),
    );
    try {
      await connections.onApplicationBootstrap();
      const stall = admin.call('DEBUG', 'SLEEP', '1');
      await sleep(50);
      const waiting = Array.from({ length: MAX_COMMANDS_IN_FLIGHT }, () =>
        connections.commands.ping(),
      );
      const startedAt = Date.now();
      await expect(connections.commands.ping()).rejects.toThrow(TOO_MANY_COMMANDS_WAITING);
      expect(Date.now() - startedAt).toBeLessThan(100);
      await stall;
      expect(new Set(await Promise.all(waiting))).toEqual(new Set(['PONG']));
      await expect(connections.commands.ping()).resolves.toBe('PONG');
    } finally {
      await connections.onApplicationShutdown();
    }
  }, 10000);
});

/**
 * Issue 17, point 2: a publish whose append reaches Redis only after its request gave up
 * (stored, though the client got 503) says that its outcome is unknown, and a retry with
 * the same Idempotency-Key answers what was stored and publishes nothing more.
 */
describeWithRedis('A publish whose outcome is unknown', () => {
  let redis: RedisServer;
  let proxy: DelayProxy;
  let app: TestApp;

  beforeAll(async () => {
    redis = await RedisServer.start();
    proxy = await DelayProxy.start(redis.port);
    app = await startApp({ REDIS_URL: proxy.url, REDIS_COMMAND_TIMEOUT_MS: '500' });
    await untilStatus(app, '/health/ready', 200);
  }, 20000);
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await redis?.destroy();
  });

  it('answers 503 "outcome unknown", and the retry with the same key returns the stored notification', async () => {
    const carol = await new StreamClient(app.url, token('carol-unknown')).ready();
    // Redis learns the scripts (EVALSHA, else EVAL) before the publish that is held: a
    // held EVALSHA of a script it does not know would do nothing.
    expect((await timedPublish(app, 'someone-else', 'warm-up', 'key-0')).res.status).toBe(201);
    // The append carries the title: held on its way for 1.5 s, past the 500 ms timeout.
    proxy.delayNext('late-but-stored', 1500);
    const first = await timedPublish(app, 'carol-unknown', 'late-but-stored', 'key-1');
    expect(first.res.status).toBe(503);
    expect(first.ms).toBeLessThan(1400);
    expect(first.res.body).toMatchObject({ outcome: 'unknown' });
    expect((first.res.body as { message: string }).message).toMatch(
      /outcome is unknown: retry with the same Idempotency-Key/,
    );

    // It reaches Redis after the 503 all the same: stored and delivered.
    const [delivered] = await carol.waitForEvents(1);
    const stored = JSON.parse(delivered.data) as Notification;
    expect(stored.title).toBe('late-but-stored');

    const retry = await timedPublish(app, 'carol-unknown', 'late-but-stored', 'key-1');
    expect(retry.res.status).toBe(201);
    expect((retry.res.body as { items: Notification[] }).items).toEqual([stored]);
    const again = await timedPublish(app, 'carol-unknown', 'late-but-stored', 'key-1');
    expect(again.res.body).toEqual(retry.res.body);

    const inbox = await timedGet(app, '/notifications', 'carol-unknown');
    expect((inbox.res.body as { items: Notification[] }).items.map((n) => n.id)).toEqual([
      stored.id,
    ]);
    await sleep(200);
    expect(carol.events).toHaveLength(1);
  }, 15000);

  it('appends a log line once when its 503 said "outcome unknown" and the retry has the same key', async () => {
    const workflow = await startWorkflow(app, 'dora-unknown', { name: 'Deploy' });
    const postLogs = (lines: string[], key: string) =>
      request(app.url)
        .post(`/workflows/${workflow.id}/logs`)
        .set(bearer(SERVICE_TOKEN))
        .set('Idempotency-Key', key)
        .send({ lines });
    // As above: Redis learns the append script first.
    expect((await postLogs(['warm-up'], 'log-0')).status).toBe(201);
    proxy.delayNext('late-but-logged', 1500);
    const first = await postLogs(['late-but-logged'], 'log-1');
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({ outcome: 'unknown' });
    // The held append reaches Redis after the 503.
    await sleep(1500);

    const retry = await postLogs(['late-but-logged'], 'log-1');
    expect([retry.status, retry.body]).toEqual([201, { count: 1 }]);
    const direct = new Redis(redis.url);
    try {
      const stored = await direct.lrange(`notification-hub:timeline:${workflow.id}`, 0, -1);
      const lines = stored.map(
        (json) => (JSON.parse(json) as { data: { line?: string } }).data.line,
      );
      expect(lines).toEqual([undefined, 'warm-up', 'late-but-logged']);
    } finally {
      direct.disconnect();
    }
  }, 15000);
});
