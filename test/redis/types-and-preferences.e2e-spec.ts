import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { publish, untilStatus } from '../support/api.js';
import { eventually } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { RawStream } from '../support/raw-stream.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

/**
 * Types and preferences across instances (CONTRACT.md, "The notification stream": Types;
 * "The inbox"): a type new to the service is announced on every instance, and a change of
 * preferences on one reaches the user's streams on the other.
 */
describeWithRedis('Types and preferences on two instances sharing Redis', () => {
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;
  const raws: RawStream[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, RETRY_MS: '200', HEARTBEAT_MS: '5000' };
    [a, b] = await Promise.all([Instance.start(env), Instance.start(env)]);
    for (const instance of [a, b]) await untilStatus(instance.url, '/health/ready', 200);
  }, 30000);
  afterEach(() => {
    closeAllClients();
    raws.splice(0).forEach((raw) => raw.close());
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.destroy();
  });

  it('announces a type published on A to a stream on B, before its first notification', async () => {
    const onB = new RawStream(`${b.url}/notifications/stream`, bearer(token('alice')));
    raws.push(onB);
    await onB.waitForBody('event: unread-count');
    expect(onB.body).not.toContain('invoice.paid');

    const [paid] = await publish(a.url, ['alice'], 'paid', { type: 'invoice.paid' });
    await onB.waitForBody(`id: ${paid.id}`);
    const blocks = onB.blocks.filter((block) => !block.startsWith(':'));
    const at = blocks.findIndex((block) => block.startsWith(`id: ${paid.id}`));
    const announced = blocks.findLastIndex(
      (block, i) => i < at && block.startsWith('event: types') && block.includes('invoice.paid'),
    );
    expect(announced).toBeGreaterThan(0);
    expect(blocks[at]).toBe(`id: ${paid.id}\nevent: invoice.paid\ndata: ${JSON.stringify(paid)}`);
    // B lists it too.
    const listed = await request(b.url)
      .get('/notifications/types')
      .set(bearer(token('alice')))
      .expect(200);
    expect((listed.body as { types: string[] }).types).toContain('invoice.paid');
  });

  it('pushes `preferences` and `unread-count` to a stream on B when A changes them', async () => {
    await publish(a.url, ['bob'], 'one', { type: 'order.shipped' });
    await publish(a.url, ['bob'], 'two');
    const onB = await new StreamClient(b.url, token('bob'), {
      types: ['preferences', 'order.shipped'],
    }).ready();
    const counts = () => onB.payloads<{ count: number }>('unread-count').map((c) => c.count);
    await eventually(() => counts().at(-1) === 2, 'the first count');

    const answer = await request(a.url)
      .put('/notifications/preferences')
      .set(bearer(token('bob')))
      .send({ types: { 'order.shipped': false } })
      .expect(200);
    await eventually(
      () => onB.payloads('preferences').length === 1 && counts().at(-1) === 1,
      'preferences and the new count on B',
    );
    expect(onB.payloads('preferences')).toEqual([answer.body]);
    const order = onB.controls.map((c) => c.type);
    expect(order.slice(-2)).toEqual(['preferences', 'unread-count']);

    // B filters with the new set at once: a muted notification published on A is not delivered.
    await publish(a.url, ['bob'], 'muted', { type: 'order.shipped' });
    const [kept] = await publish(a.url, ['bob'], 'kept');
    await eventually(() => onB.cursors.includes(kept.id), 'the kept one');
    expect(onB.events.map((e) => e.type)).toEqual(['test.ping']);
    expect(counts().at(-1)).toBe(2);
  });
});
