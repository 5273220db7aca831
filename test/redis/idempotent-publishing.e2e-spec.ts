import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';
import { sleep } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { bearer, token } from '../support/tokens.js';

/** Polls a GET until it answers `status`. */
async function untilStatus(url: string, path: string, status: number, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while ((await request(url).get(path)).status !== status) {
    if (Date.now() > deadline) throw new Error(`${path} did not answer ${status}`);
    await sleep(100);
  }
}

async function ownInbox(url: string, user: string): Promise<string[]> {
  const res = await request(url)
    .get('/notifications')
    .set(bearer(token(user)))
    .expect(200);
  return (res.body as { items: { id: string; recipient: string }[] }).items
    .filter((item) => item.recipient !== '*')
    .map((item) => item.id);
}

describeWithRedis('Idempotent publishing on two instances sharing Redis', () => {
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url };
    [a, b] = await Promise.all([Instance.start(env), Instance.start(env)]);
    for (const instance of [a, b]) await untilStatus(instance.url, '/health/ready', 200);
  }, 30000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.destroy();
  });

  const send = (url: string, user: string, key: string, body: object) =>
    request(url)
      .post('/messages')
      .set(bearer(token(user)))
      .set('Idempotency-Key', key)
      .send(body);

  it('publishes once for identical keyed requests sent at the same moment to both', async () => {
    const body = { text: 'race', to: ['bob-r1'] };
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(i % 2 ? b.url : a.url, 'alice-r1', 'k', body)),
    );
    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 201));
    expect(new Set(answers.map((res) => JSON.stringify(res.body))).size).toBe(1);
    const [{ id }] = answers.map((res) => res.body as { id: string });
    expect(id).toEqual(expect.any(String));
    expect(await ownInbox(a.url, 'bob-r1')).toHaveLength(1);
  });

  it('gives a retry on the other instance the first answer, and 409 to another body', async () => {
    const body = { text: 'once', to: ['bob-r2'] };
    const first = await send(a.url, 'alice-r2', 'k', body).expect(201);
    const again = await send(b.url, 'alice-r2', 'k', body);
    expect([again.status, again.body]).toEqual([201, first.body]);
    const other = await send(b.url, 'alice-r2', 'k', { ...body, text: 'twice' });
    expect(other.status).toBe(409);
    const elsewhere = await send(b.url, 'carol-r2', 'k', body).expect(201);
    expect(elsewhere.body).not.toEqual(first.body);
    expect(await ownInbox(b.url, 'bob-r2')).toHaveLength(2);
  });

  it('keeps a key in Redis for 24 hours, and no longer', async () => {
    await send(a.url, 'alice-r3', 'k-ttl', { text: 'x', to: ['bob-r3'] }).expect(201);
    const client = new Redis(redis.url);
    try {
      const [key] = await client.keys('*idempotency*alice-r3*');
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(24 * 3600 * 1000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(24 * 3600 * 1000);
    } finally {
      client.disconnect();
    }
  });
});
