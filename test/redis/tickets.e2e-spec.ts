import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { mintTicket } from '../support/api.js';
import { Instance } from '../support/instance.js';
import { RawStream } from '../support/raw-stream.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { token } from '../support/tokens.js';

/** With REDIS_URL, a stream ticket minted on one instance works once, on any instance. */
describeWithRedis('Stream tickets across two instances on one Redis', () => {
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;
  const streams: RawStream[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url };
    [a, b] = await Promise.all([Instance.start(env), Instance.start(env)]);
  }, 30000);
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.destroy();
  });

  const mint = (on: Instance) => mintTicket(on, token('alice'));

  function open(on: Instance, ticket: string): RawStream {
    const stream = new RawStream(`${on.url}/notifications/stream?ticket=${ticket}`);
    streams.push(stream);
    return stream;
  }

  it('opens a stream on B with a ticket minted on A, then nowhere again', async () => {
    const ticket = await mint(a);
    const stream = open(b, ticket);
    await stream.waitForBody('retry:');
    expect(stream.status).toBe(200);
    await request(a.url).get(`/notifications/stream?ticket=${ticket}`).expect(401);
    await request(b.url).get(`/notifications/stream?ticket=${ticket}`).expect(401);
  });

  it('opens exactly one stream when used on both instances at once', async () => {
    const ticket = await mint(b);
    const both = [open(a, ticket), open(b, ticket)];
    await Promise.all(both.map((stream) => stream.headersReceived()));
    expect(both.map((stream) => stream.status).sort()).toEqual([200, 401]);
  });
});
