import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { Notification } from '../../src/notifications/notification.js';
import { publish } from '../support/api.js';
import { eventually, sleep } from '../support/app.js';
import { Instance } from '../support/instance.js';
import { startInstancePair, type InstancePair } from '../support/instance-pair.js';
import { parseMetrics, valueOf } from '../support/prometheus.js';
import { describeWithRedis, RedisServer } from '../support/redis.js';
import { closeAllClients, StreamClient } from '../support/sse-client.js';
import { token } from '../support/tokens.js';

const FED = 'notification_hub_feed_notifications_total';

/** What the feed brought to the instance so far: routed, and skipped unparsed. */
async function fed(instance: Instance): Promise<{ routed: number; skipped: number }> {
  const samples = parseMetrics((await request(instance.url).get('/metrics').expect(200)).text);
  return {
    routed: valueOf(samples, FED, { routed: 'true' }),
    skipped: valueOf(samples, FED, { routed: 'false' }),
  };
}

const typesOf = (stream: StreamClient) =>
  stream.payloads<{ types: string[] }>('types').map((event) => event.types);

/**
 * Issue 17, point 4: an instance hears the notifications of the users it holds streams of
 * and the broadcasts; what else reaches it (what every instance must learn: a type new to
 * the service, a history that started again) it skips before parsing, once it learned.
 * test/redis/user-channels.e2e-spec.ts: what it does not hear.
 */
describeWithRedis('Notifications for users another instance holds', () => {
  let pair: InstancePair | undefined;
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    pair = await startInstancePair();
    ({ redis, a, b } = pair);
  }, 30000);
  afterEach(() => closeAllClients());
  afterAll(() => pair?.stop());

  it('are skipped unparsed on B, and routed where a stream of theirs is open', async () => {
    const onA = await new StreamClient(a.url, token('held-on-a')).ready();
    const onB = await new StreamClient(b.url, token('held-on-b')).ready();
    const [aBefore, bBefore] = await Promise.all([fed(a), fed(b)]);

    for (let i = 1; i <= 5; i += 1) await publish(a.url, ['held-on-a'], `for A ${i}`);
    // Odd ids travel in the header too; nobody holds this one.
    await publish(a.url, ['new\nline "quoted" /slashed/ ü 😀', 'held-on-b'], 'for B and nobody');
    await publish(b.url, '*', 'for everyone');
    await onA.waitForEvents(6);
    await onB.waitForEvents(2);
    await sleep(200);

    expect(onA.payloads<Notification>().map((n) => n.title)).toEqual([
      'for A 1',
      'for A 2',
      'for A 3',
      'for A 4',
      'for A 5',
      'for everyone',
    ]);
    expect(onB.payloads<Notification>().map((n) => [n.recipient, n.title])).toEqual([
      ['held-on-b', 'for B and nobody'],
      ['*', 'for everyone'],
    ]);
    const [aAfter, bAfter] = await Promise.all([fed(a), fed(b)]);
    // B: its user's one and the broadcast routed. Of A's five, only the first reached B
    // (skipped): the first of a history and of a type goes to every instance; the others
    // went to their user's channel only, as did the odd id's (heard by nobody) and B's.
    expect([bAfter.routed - bBefore.routed, bAfter.skipped - bBefore.skipped]).toEqual([2, 1]);
    expect([aAfter.routed - aBefore.routed, aAfter.skipped - aBefore.skipped]).toEqual([6, 0]);
  });

  it('still teach B a new type: its streams are told, and a stream opened later lists it', async () => {
    const before = await fed(b);
    const openBefore = await new StreamClient(b.url, token('watching-b'), {
      types: ['types'],
    }).ready();
    await eventually(() => typesOf(openBefore).length === 1, 'the first types event');
    expect(typesOf(openBefore)[0]).not.toContain('fanout.brand-new');

    await publish(a.url, ['only-on-a'], 'new type', { type: 'fanout.brand-new' });
    await eventually(() => typesOf(openBefore).length === 2, 'the list again, with the type');
    expect(typesOf(openBefore)[1]).toContain('fanout.brand-new');
    expect((await fed(b)).skipped).toBe(before.skipped + 1);
    const openedAfter = await new StreamClient(b.url, token('late-on-b'), {
      types: ['types'],
    }).ready();
    await eventually(() => typesOf(openedAfter).length === 1, 'the later stream’s types event');
    expect(typesOf(openedAfter)[0]).toContain('fanout.brand-new');
    expect(openBefore.events).toEqual([]);
  });

  it('resume on B from a cursor seen on A', async () => {
    const onA = await new StreamClient(a.url, token('moving')).ready();
    const [seen] = await publish(a.url, ['moving'], 'seen on A');
    await onA.waitForEvents(1);
    onA.close();
    const missed = [
      ...(await publish(a.url, ['moving'], 'missed 1')),
      ...(await publish(a.url, ['moving'], 'missed 2')),
    ];
    const onB = await new StreamClient(b.url, token('moving'), { lastEventId: seen.id }).ready();
    await onB.waitForEvents(2);
    const [live] = await publish(a.url, ['moving'], 'live on B');
    await onB.waitForEvents(3);
    await sleep(200);
    expect(onB.cursors).toEqual([...missed, live].map((n) => n.id));
  });

  it('still tell B that the history started again (a new epoch), resetting its streams', async () => {
    const onB = await new StreamClient(b.url, token('placed-on-b')).ready();
    await publish(a.url, ['placed-on-b'], 'old history');
    await onB.waitForEvents(1);
    const admin = new Redis(redis.url);
    try {
      await admin.flushall();
    } finally {
      admin.disconnect();
    }
    const before = await fed(b);
    // The first notification of the new history is for a user B does not hold.
    await publish(a.url, ['elsewhere'], 'new history');
    await eventually(
      () => onB.received.some((event) => event.type === 'reset'),
      'B’s stream to be reset',
    );
    expect(onB.payloads<{ reason: string }>('reset').map((r) => r.reason)).toEqual([
      'The store lost notifications this stream had sent (it restarted without its data)',
    ]);
    const after = await fed(b);
    expect([after.routed - before.routed, after.skipped - before.skipped]).toEqual([0, 1]);
    expect(onB.payloads<Notification>().map((n) => n.title)).toEqual(['old history']);
  });
});
