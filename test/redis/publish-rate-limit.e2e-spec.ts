import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { Instance } from '../support/instance.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { bearer, token } from '../support/tokens.js';

/**
 * Issue 11, point 7: with REDIS_URL the publish rate limits are one budget across all
 * instances (CONTRACT.md, "Start-up and configuration"), not one per instance.
 */
describeWithRedis('Publish rate limits across two instances on one Redis', () => {
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = {
      REDIS_URL: redis.url,
      PUBLISH_RATE_LIMIT: '4',
      SERVICE_PUBLISH_RATE_LIMIT: '6',
      PUBLISH_RATE_TTL_MS: '60000',
    };
    [a, b] = await Promise.all([Instance.start(env), Instance.start(env)]);
  }, 30000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.destroy();
  });

  /** Sends `count` requests alternately to A and B; answers the statuses in order. */
  async function alternating(count: number, send: (url: string) => request.Test) {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push((await send(i % 2 ? b.url : a.url)).status);
    return statuses;
  }

  it('allows a person PUBLISH_RATE_LIMIT publishes in total, whichever instance takes them', async () => {
    const alice = token('alice');
    const statuses = await alternating(8, (url) =>
      request(url)
        .post('/messages')
        .set(bearer(alice))
        .send({ text: 'hi', to: ['zed'] }),
    );
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429, 429, 429]);
  });

  it('allows a service SERVICE_PUBLISH_RATE_LIMIT publishes in total, whichever instance takes them', async () => {
    const service = token('billing', { roles: ['service'] });
    const statuses = await alternating(10, (url) =>
      request(url)
        .post('/notifications')
        .set(bearer(service))
        .send({ recipients: ['zed'], type: 'test.ping', title: 'hi' }),
    );
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 429, 429, 429, 429]);
  });
});
