import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { Notification } from '../../src/notifications/notification.js';
import { CHANNELS, userChannel } from '../../src/storage/redis/redis-channels.js';
import { publish, untilStatus } from '../support/api.js';
import { eventually, sleep } from '../support/app.js';
import { DelayProxy } from '../support/delay-proxy.js';
import { Instance } from '../support/instance.js';
import { startInstancePair, type InstancePair } from '../support/instance-pair.js';
import { parseMetrics, valueOf } from '../support/prometheus.js';
import { describeWithRedis } from '../support/redis.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { bearer, token } from '../support/tokens.js';

const FED = 'notification_hub_feed_notifications_total';

/** Every notification the feed brought to the instance so far, routed or skipped. */
async function fedTotal(instance: Instance): Promise<number> {
  const samples = parseMetrics((await request(instance.url).get('/metrics').expect(200)).text);
  return valueOf(samples, FED, { routed: 'true' }) + valueOf(samples, FED, { routed: 'false' });
}

const titles = (stream: StreamClient) => stream.payloads<Notification>().map((n) => n.title);

/**
 * Issue 17, point 4: an instance hears a user's notifications, read marks and preference
 * changes only while it holds a stream of theirs (one Redis channel per user, subscribed
 * by the first stream and left by the last), so that it pays nothing for the users of
 * other instances; broadcasts, and what every instance must learn (a new type, a new
 * history), stay on the shared channel.
 */
describeWithRedis('Per-user channels', () => {
  let pair: InstancePair | undefined;
  let a: Instance;
  let b: Instance;
  let admin: Redis;

  /** How many connections (instances) subscribe to the channel. */
  const subscribers = async (channel: string) =>
    Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]);

  beforeAll(async () => {
    pair = await startInstancePair();
    ({ a, b } = pair);
    admin = new Redis(pair.redis.url);
  }, 30000);
  afterEach(() => closeAllClients());
  afterAll(async () => {
    admin?.disconnect();
    await pair?.stop();
  });

  it('bring B nothing of a user it holds no stream of: notifications, read marks, preferences', async () => {
    // The type and the history are not new by then: those go to every instance.
    await publish(a.url, ['nobody'], 'warm-up');
    const onA = await new StreamClient(a.url, token('only-on-a'), {
      types: ['preferences'],
    }).ready();
    await eventually(() => onA.controls.length > 0, 'the stream to start');
    const bBefore = await fedTotal(b);

    const sent = [];
    for (let i = 1; i <= 5; i += 1) sent.push(...(await publish(a.url, ['only-on-a'], `n ${i}`)));
    await onA.waitForEvents(5);
    await request(a.url)
      .post(`/notifications/${sent[0].id}/read`)
      .set(bearer(token('only-on-a')))
      .expect(204);
    await request(a.url)
      .put('/notifications/preferences')
      .set(bearer(token('only-on-a')))
      .send({ types: { 'test.ping': false } })
      .expect(200);
    await eventually(() => onA.payloads('preferences').length === 1, 'the preferences event');
    await sleep(200);

    expect(titles(onA)).toEqual(['n 1', 'n 2', 'n 3', 'n 4', 'n 5']);
    // B was not even woken: the feed brought it none of them.
    expect((await fedTotal(b)) - bBefore).toBe(0);
    // Only A listens to the user's channel, and nothing of a user travels on a shared one.
    expect(await subscribers(userChannel(CHANNELS, 'only-on-a'))).toBe(1);
    const channels = (await admin.pubsub('CHANNELS', '*')) as string[];
    expect(channels.sort()).toEqual(
      [
        CHANNELS.notifications,
        CHANNELS.timelines,
        CHANNELS.presence,
        userChannel(CHANNELS, 'only-on-a'),
      ].sort(),
    );
  });

  it('follow a user on B from their first stream to their last, read marks from A included', async () => {
    const channel = userChannel(CHANNELS, 'moves-to-b');
    const first = await new StreamClient(b.url, token('moves-to-b')).ready();
    const second = await new StreamClient(b.url, token('moves-to-b')).ready();
    const [n] = await publish(a.url, ['moves-to-b'], 'to both');
    for (const stream of [first, second]) await stream.waitForEvents(1);
    expect(await subscribers(channel)).toBe(1);
    // A read mark made through A reaches B's streams: the count drops to 0.
    await request(a.url)
      .post(`/notifications/${n.id}/read`)
      .set(bearer(token('moves-to-b')));
    await eventually(
      () => second.payloads<{ count: number }>('unread-count').at(-1)?.count === 0,
      'the count after the read mark',
    );

    first.close();
    await sleep(300);
    expect(await subscribers(channel)).toBe(1);
    await publish(a.url, ['moves-to-b'], 'to the second');
    await second.waitForEvents(2);
    second.close();
    await sleep(500);
    expect(await subscribers(channel)).toBe(0);
    const before = await fedTotal(b);
    await publish(a.url, ['moves-to-b'], 'to nobody');
    await sleep(200);
    expect((await fedTotal(b)) - before).toBe(0);
  });

  it('miss nothing published while the subscription is on its way, fresh or resumed', async () => {
    // A third instance whose Redis connections pass a proxy that holds the SUBSCRIBE.
    const proxy = await DelayProxy.start(pair!.redis.port);
    const c = await Instance.start({ REDIS_URL: proxy.url, RETRY_MS: '200', HEARTBEAT_MS: '300' });
    try {
      await untilStatus(c.url, '/health/ready', 200, 15000);

      // Fresh: what is published once the stream is open (headers received) reaches it.
      proxy.delayNext(userChannel(CHANNELS, 'fresh-on-c'), 800);
      const fresh = await new StreamClient(c.url, token('fresh-on-c')).ready();
      const during = await publish(a.url, ['fresh-on-c'], 'during');
      await sleep(900);
      const after = await publish(a.url, ['fresh-on-c'], 'after');
      await fresh.waitForEvents(2);

      // Resumed: the replay carries what was missed, the window included, once.
      const [seen, ...missed] = [
        ...(await publish(a.url, ['resumed-on-c'], 'seen')),
        ...(await publish(a.url, ['resumed-on-c'], 'missed')),
      ];
      proxy.delayNext(userChannel(CHANNELS, 'resumed-on-c'), 800);
      const resumed = await new StreamClient(c.url, token('resumed-on-c'), {
        lastEventId: seen.id,
      }).ready();
      missed.push(...(await publish(a.url, ['resumed-on-c'], 'during')));
      await sleep(900);
      missed.push(...(await publish(a.url, ['resumed-on-c'], 'after')));
      await resumed.waitForEvents(3);
      await sleep(300);

      expect(titles(fresh)).toEqual(['during', 'after']);
      expect(fresh.cursors).toEqual([...during, ...after].map((n) => n.id));
      expect(titles(resumed)).toEqual(['missed', 'during', 'after']);
      expect(resumed.cursors).toEqual(missed.map((n) => n.id));
    } finally {
      closeAllClients();
      await c.stop();
      await proxy.close();
    }
  }, 30000);
});
